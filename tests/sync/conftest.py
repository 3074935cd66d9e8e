from tests.syndication.conftest import make_partner  # noqa: F401  (fixture)
