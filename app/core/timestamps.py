"""Timestamps as every JSON surface writes them: UTC with `Z` (RFC 3339), as the v1 contract
says and third-party parsers (Superdesk's ninjs ingest) require."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(value: datetime, timespec: str = "auto") -> str:
    """`2026-12-03T11:36:59Z` (naive values are taken as UTC, as the database stores them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def modified_at(updated: datetime, published: datetime | None) -> datetime:
    """The modification time to show: a scheduled article was last edited before it went live,
    and no reader should see it modified before it was published."""
    return updated if published is None or updated >= published else published
