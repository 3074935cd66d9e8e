"""Fixtures of the interoperability suite: what real consumers (feed validators, ninjs parsers,
shared caches, crawlers) check."""

from tests.syndication.conftest import make_partner  # noqa: F401  (fixture)
