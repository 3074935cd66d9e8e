from tests.articles.newsroom import newsroom  # noqa: F401  (fixture)
