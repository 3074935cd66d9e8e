from tests.core.test_purge import receiver  # noqa: F401  (fixture)
