"""The five key supports page: each support's latest figures and trend; districts report the day's figures
and the command centre sets where each support turns amber and red."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.auth.deps import StaffUser
from gridscreen.auth.models import Role
from gridscreen.dashboard import charts
from gridscreen.dashboard import service as dashboard
from gridscreen.dashboard.models import REPORTED, SupportKind
from gridscreen.dashboard.router import Commander, Reporter
from gridscreen.dashboard.schemas import SupportReportIn, ThresholdsIn
from gridscreen.http import DbSession, request_translator
from gridscreen.ids import MAX_ID
from gridscreen.web.pages import render

router = APIRouter(include_in_schema=False)
AreaQuery = Annotated[int, Query(alias="area", ge=1, le=MAX_ID)]
RoundQuery = Annotated[int | None, Query(alias="round", ge=1, le=MAX_ID)]


def _page(request, db, user, area_id: int, round_id: int | None, *, status: int = 200, error: str | None = None):
    area = dashboard.support_area(db, user, area_id)
    return render(
        request,
        "supports.html",
        status=status,
        area=area,
        round_id=round_id,
        ancestors=areas.visible_ancestors(db, user, area),
        supports=dashboard.supports(db, user, area_id, round_id=round_id, now=clock.now()),
        reported=REPORTED,
        can_report=user.role in (Role.command, Role.district),
        can_set=user.role == Role.command,
        today=clock.now().date(),
        sparklines=charts.sparklines,
        error=error,
    )


@router.get("/supports", response_class=HTMLResponse)
def supports_page(request: Request, db: DbSession, user: StaffUser, area_id: AreaQuery, round_id: RoundQuery = None):
    return _page(request, db, user, area_id, round_id)


def _back(area_id: int, round_id: int | None) -> RedirectResponse:
    return RedirectResponse(f"/supports?area={area_id}" + (f"&round={round_id}" if round_id else ""), status_code=303)


def _invalid(request, error: ValidationError) -> str:
    translate = request_translator(request)
    return translate("the figures are not valid: {reason}").format(
        reason="; ".join(translate(e["msg"].removeprefix("Value error, ")) for e in error.errors())
    )


@router.post("/supports/{kind}/report", response_class=HTMLResponse)
def report_support(
    request: Request,
    kind: SupportKind,
    db: DbSession,
    user: Reporter,
    area_id: Annotated[int, Form(alias="area", ge=1, le=MAX_ID)],
    day: Annotated[date, Form()],
    have: Annotated[int, Form()],
    need: Annotated[int, Form()],
    round_id: RoundQuery = None,
):
    try:
        data = SupportReportIn(area_id=area_id, day=day, have=have, need=need)
    except ValidationError as error:
        return _page(request, db, user, area_id, round_id, status=422, error=_invalid(request, error))
    dashboard.report_support(db, user, kind, data, now=clock.now())
    return _back(area_id, round_id)


@router.post("/supports/{kind}/thresholds", response_class=HTMLResponse)
def set_thresholds(
    request: Request,
    kind: SupportKind,
    db: DbSession,
    user: Commander,
    area_id: Annotated[int, Form(alias="area", ge=1, le=MAX_ID)],
    amber_below: Annotated[float, Form()],
    red_below: Annotated[float, Form()],
    round_id: RoundQuery = None,
):
    try:
        data = ThresholdsIn(amber_below=amber_below / 100, red_below=red_below / 100)
    except ValidationError as error:
        return _page(request, db, user, area_id, round_id, status=422, error=_invalid(request, error))
    dashboard.set_thresholds(db, user, kind, data, now=clock.now())
    return _back(area_id, round_id)
