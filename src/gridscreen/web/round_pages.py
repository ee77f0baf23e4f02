"""The round's pages: the command centre's live panels for an area, and a grid's door-knock list with what
each knock found out, exportable to Excel. Thin: services do the work."""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from openpyxl import Workbook

from gridscreen import clock, i18n
from gridscreen.areas import service as areas
from gridscreen.areas.models import Level
from gridscreen.auth.deps import StaffUser
from gridscreen.coverage import service as coverage
from gridscreen.coverage.router import FieldUser
from gridscreen.dashboard import charts
from gridscreen.dashboard import service as dashboard
from gridscreen.http import DbSession, request_locale
from gridscreen.ids import MAX_ID, PathId
from gridscreen.planning import service as planning
from gridscreen.sampling.models import MissingReason
from gridscreen.support import service as support
from gridscreen.web.pages import REASON_LABELS, STATUS_LABELS, render

router = APIRouter(include_in_schema=False)
RoundParam = Annotated[int, Query(alias="round", ge=1, le=MAX_ID)]
SortKey = Literal["name", "expected", "sampled", "missing", "on_hold", "positive", "coverage"]
Order = Literal["asc", "desc"]
MISSING_PER_PAGE = 200
EXPORT_LIMIT = 1_000_000  # far above any grid: the export is the whole list


def panels_context(db, user, area, round_id: int, sort: SortKey, order: Order) -> dict:
    """The live part of an area's page: figures, progress, map, coverage by child area, labs."""
    overview = dashboard.overview(db, user, round_id, area.id, now=clock.now())
    points = overview.progress
    chart = charts.progress_chart(
        [p.hour for p in points],
        {
            "sampled": [p.persons_total for p in points],
            "resulted": [p.persons_resulted_total for p in points],
        },
        target=overview.coverage.area.figures.expected,
    )
    hexes = charts.hex_map([(g.area_id, g.name, g.lat, g.lon, g.expected, g.sampled) for g in overview.grids])
    children = overview.coverage.children

    def key(child):
        return child.name if sort == "name" else getattr(child.figures, sort)

    supports = None
    if area.level in (Level.city, Level.district):
        supports = dashboard.supports(db, user, area.id, round_id=round_id, now=overview.at, overview=overview)
    needs = None
    if area.level in (Level.city, Level.district, Level.subdistrict, Level.committee):
        needs = support.ticket_figures(db, user, area, now=overview.at)
    return {
        "needs": needs,
        "supports": supports,
        "sparklines": charts.sparklines,
        "overview": overview,
        "coverage": overview.coverage,
        "chart": chart if points else None,
        "hexes": hexes,
        "children_coverage": sorted(children, key=key, reverse=order == "desc"),
        "sort": sort,
        "order": order,
    }


@router.get("/areas/{area_id}/panels", response_class=HTMLResponse)
def panels(
    request: Request,
    area_id: PathId,
    db: DbSession,
    user: StaffUser,
    round_id: RoundParam,
    sort: SortKey = "coverage",
    order: Order = "asc",
):
    """HTMX fragment, polled: the area's live figures for a round."""
    area = areas.get_area(db, user, area_id)
    round_ = planning.get_round(db, round_id)
    return render(
        request, "_panels.html", area=area, round=round_, **panels_context(db, user, area, round_id, sort, order)
    )


@router.get("/areas/{area_id}/door-knocks", response_class=HTMLResponse)
def door_knocks(
    request: Request,
    area_id: PathId,
    db: DbSession,
    user: FieldUser,
    round_id: RoundParam,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """A grid's door-knock page: open single-tube retests, then everyone not yet sampled, with what the last
    knock found out and a way to record the next one."""
    grid = areas.get_grid(db, user, area_id)
    round_ = planning.get_round(db, round_id)
    offset = (page - 1) * MISSING_PER_PAGE
    missing, missing_total = coverage.missing(db, user, round_id, grid.id, limit=MISSING_PER_PAGE, offset=offset)
    retests, retest_total = coverage.retests(db, user, round_id, grid.id, now=clock.now(), limit=200, offset=0)
    return render(
        request,
        "door_knocks.html",
        area=grid,
        round=round_,
        ancestors=areas.visible_ancestors(db, user, grid),
        missing=missing,
        missing_total=missing_total,
        retests=retests,
        retest_total=retest_total,
        reasons=REASON_LABELS,
        page=page,
        pages=max(1, -(-missing_total // MISSING_PER_PAGE)),
    )


@router.post("/areas/{area_id}/door-knocks/{person_id}", response_class=HTMLResponse)
def note_door_knock(
    request: Request,
    area_id: PathId,
    person_id: PathId,
    db: DbSession,
    user: FieldUser,
    round_id: RoundParam,
    reason: Annotated[MissingReason | Literal[""], Form()] = "",
):
    """HTMX: record what a knock found out; answers with the note as the row now shows it."""
    areas.get_grid(db, user, area_id)
    pr = coverage.note_missing(
        db, user, round_id, person_id, MissingReason(reason) if reason else None, now=clock.now()
    )
    return render(request, "_knock_note.html", reason=pr.missing_reason, noted_at=pr.noted_at, reasons=REASON_LABELS)


@router.get("/areas/{area_id}/missing.xlsx")
def missing_export(request: Request, area_id: PathId, db: DbSession, user: FieldUser, round_id: RoundParam):
    """The whole door-knock list of a grid as an Excel sheet (phones as the caller's role may see them)."""
    grid = areas.get_grid(db, user, area_id)
    round_ = planning.get_round(db, round_id)
    missing, _ = coverage.missing(db, user, round_id, grid.id, limit=EXPORT_LIMIT, offset=0, detail=True)
    _ = i18n.translator(request_locale(request))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Not yet sampled"))
    sheet.append([_("Name"), _("Address"), _("Phone"), _("Status"), _("Door-knock"), _("Noted at"),
                  _("Door-to-door because")])  # fmt: skip
    for m in missing:
        sheet.append([
            m.person.name,
            m.address,
            m.person.phone or "",
            _(STATUS_LABELS.get(m.status, m.status)),
            _(REASON_LABELS[m.reason]) if m.reason else _("to knock"),
            m.noted_at.strftime("%Y-%m-%d %H:%M") if m.noted_at else "",
            ", ".join(_(r) for r in m.person.door_reasons),
        ])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    name = f"missing-{round_.code}-{grid.code}.xlsx"
    return StreamingResponse(
        buffer,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
