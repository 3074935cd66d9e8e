"""Bikram Sambat dates, Nepal's calendar, through `nepali-datetime` (its month-length table
covers BS 1975-2100, i.e. AD 1918-2044). Every date is the publisher's local date
(KHABAR_TIMEZONE): an article published at 23:59 in Kathmandu is dated that day, not the UTC
one."""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

import nepali_datetime
from pydantic import BaseModel, Field

MONTHS_EN = ("Baishakh", "Jestha", "Asar", "Shrawan", "Bhadra", "Ashwin", "Kartik", "Mangsir",
             "Poush", "Magh", "Falgun", "Chaitra")
MONTHS_NE = ("वैशाख", "जेठ", "असार", "साउन", "भदौ", "असोज", "कार्तिक", "मंसिर", "पुष", "माघ",
             "फागुन", "चैत")
_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


class BsDate(BaseModel):
    """A date in Bikram Sambat."""

    date: str = Field(description="YYYY-MM-DD in Bikram Sambat", examples=["2081-08-11"])
    text_ne: str = Field(examples=["२०८१ मंसिर ११"])
    text_en: str = Field(examples=["11 Mangsir 2081"])


def from_ad(day: dt.date) -> dict[str, str] | None:
    """The BS date of an AD date, as `BsDate` fields; None outside the converter's range."""
    fields = _bs_fields(day)
    return dict(fields) if fields is not None else None  # the caller's own copy


@functools.lru_cache(maxsize=4096)
def _bs_fields(day: dt.date) -> dict[str, str] | None:
    # Every article card shows one: converted once per day (the library walks its month
    # table for each date), not once per article per read.
    try:
        bs = nepali_datetime.date.from_datetime_date(day)
    except (OverflowError, ValueError):
        return None
    year, month, mday = bs.year, bs.month, bs.day
    return {"date": f"{year:04d}-{month:02d}-{mday:02d}",
            "text_ne": f"{year} {MONTHS_NE[month - 1]} {mday}".translate(_DIGITS),
            "text_en": f"{mday} {MONTHS_EN[month - 1]} {year}"}


def from_instant(moment: dt.datetime | str | None, tz: ZoneInfo) -> dict[str, str] | None:
    """The BS date, in `tz`, of an aware instant (or the naive-UTC ISO text a raw row holds)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return from_ad(moment.astimezone(tz).date())


def to_ad(value: str) -> dt.date:
    """The AD date of a BS `YYYY-MM-DD`; ValueError when it is no such BS date."""
    match = _ISO.match(value)
    if not match:
        raise ValueError("a Bikram Sambat date is YYYY-MM-DD")
    year, month, day = (int(g) for g in match.groups())
    try:
        ad: dt.date = nepali_datetime.date(year, month, day).to_datetime_date()  # untyped library
        return ad
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"{value} is not a Bikram Sambat date between 1975 and 2100 "
                         f"({exc.args[0] if exc.args else exc})") from None
