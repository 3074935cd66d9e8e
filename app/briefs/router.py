"""Content API: "Today's news in a nutshell"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import Session
from starlette.responses import Response

from app.articles.router import LanguageQ
from app.briefs import queries
from app.briefs.models import BriefPublic
from app.core.config import get_settings
from app.core.db import ReadSessionDep
from app.core.errors import Unprocessable, problem_responses
from app.core.listing import (
    ListParams,
    ListParamsDep,
    NowDep,
    answer,
    list_representation,
    parse_fields,
)
from app.core.pagination import Page
from app.i18n import bikram_sambat

router = APIRouter(prefix="/v1/briefs", tags=["Content"])
DatelineQ = Annotated[str | None, Query(max_length=100, description="e.g. `KATHMANDU`")]


class BriefList(Page[BriefPublic]):
    pass


def _answer(request: Request, session: Session, now: dt.datetime, params: ListParams,
            day: dt.date | None, dateline: str | None, expires: dt.datetime | None = None,
            language: str | None = None) -> Response:
    fields = parse_fields(params.fields, BriefPublic)
    items, next_cursor = queries.list_page(session, now=now, day=day, dateline=dateline,
                                           limit=params.limit, cursor=params.cursor,
                                           language=language)
    keys = ["briefs", *(f"article:{b.article.id}" for b in items if b.article)]
    return answer(request, list_representation(
        request, items, limit=params.limit, next_cursor=next_cursor, fields=fields,
        surrogate_keys=keys, last_modified=None, expires=expires))


@router.get("", response_model=BriefList, operation_id="listBriefs",
            summary="List briefs, newest day first",
            responses=problem_responses(400, 422, 429))
def list_briefs(request: Request, session: ReadSessionDep, params: ListParamsDep, now: NowDep,
                date: Annotated[dt.date | None, Query(description=(
                    "The publisher-local calendar date, YYYY-MM-DD"))] = None,
                dateline: DatelineQ = None, language: LanguageQ = None,
                date_bs: Annotated[str | None, Query(
                    max_length=10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                    description="The same day in Bikram Sambat, YYYY-MM-DD "
                    "(instead of `date`: both together answer 422)",
                    examples=["2081-08-11"])] = None) -> Response:
    """Briefs in page order within each day; `date` (or `date_bs`, the same day in Bikram
    Sambat) picks one day on the publisher's calendar; `language` picks one language."""
    if date_bs is not None:
        if date is not None:
            raise Unprocessable("Give date or date_bs, not both", errors=[
                {"loc": ["query", "date_bs"], "msg": "date is given too"}])
        try:
            date = bikram_sambat.to_ad(date_bs)
        except ValueError as exc:
            raise Unprocessable(str(exc), errors=[
                {"loc": ["query", "date_bs"], "msg": str(exc)}]) from None
    return _answer(request, session, now, params, date, dateline, language=language)


@router.get("/today", response_model=BriefList, operation_id="listTodaysBriefs",
            summary="List today's briefs (publisher's timezone)",
            responses=problem_responses(400, 422, 429))
def todays_briefs(request: Request, session: ReadSessionDep, params: ListParamsDep, now: NowDep,
                  dateline: DatelineQ = None, language: LanguageQ = None) -> Response:
    """Briefs dated today in the publisher's timezone (`KHABAR_TIMEZONE`), not the server's."""
    tz = get_settings().tz
    today = now.astimezone(tz).date()
    # At the publisher's midnight "today" is another day: cached copies end there.
    midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return _answer(request, session, now, params, today, dateline,
                   expires=midnight.astimezone(dt.UTC), language=language)
