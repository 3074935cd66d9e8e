from tests.articles.newsroom import newsroom  # noqa: F401  (fixture)
from tests.syndication.conftest import make_partner  # noqa: F401  (fixture)
