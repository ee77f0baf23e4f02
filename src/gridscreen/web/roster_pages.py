"""The roster's pages: the clerks' review of record pairs, one at a time with keyboard shortcuts, and a grid's
roster page with its queue counts, open door-knock tasks and lists. Thin: services do the work."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth.models import Role
from gridscreen.http import DbSession, request_translator
from gridscreen.ids import MAX_ID, PathId
from gridscreen.roster import service
from gridscreen.roster.exceptions import TaskNotFound
from gridscreen.roster.models import DoorKnockTask, SourceRecord, TaskOutcome
from gridscreen.roster.router import Clerk, Reader
from gridscreen.roster.schemas import RecordOut, TaskCloseIn
from gridscreen.web.pages import render, render_error

router = APIRouter(include_in_schema=False)
# Named grid_id (shown as ?grid=) so the shared access test aims it at a grid, like a path's grid_id.
GridQuery = Annotated[int | None, Query(alias="grid", ge=1, le=MAX_ID)]
DECISIONS = {"same": True, "different": False, "skip": None}
CLERK_ROLES = (Role.grid, Role.subdistrict, Role.district)
RECORDS_PER_PAGE = 50
TASKS_SHOWN = 200


@router.get("/roster/review", response_class=HTMLResponse)
def review_page(request: Request, db: DbSession, user: Clerk, grid_id: GridQuery = None):
    """One pair at a time, side by side: the rows where the two records differ are marked."""
    grid = areas.get_grid(db, user, grid_id) if grid_id is not None else None
    pairs, total = service.review_queue(db, user, grid_id=grid_id, limit=1)
    context = {}
    if pairs:
        pair, a, b = pairs[0]
        context = {"pair": pair, "a": RecordOut.of(user, a), "b": RecordOut.of(user, b), "differs": _differs(a, b)}
    if grid is None:  # back to the caller's grid when they have exactly one
        grids = [g.area_id for g in user.grants if g.level == Level.committee]
        back = db.get(Area, grids[0]) if len(grids) == 1 else None
    else:
        back = grid
    return render(
        request, "roster_review.html", grid=grid, back=back, remaining=total,
        ancestors=areas.visible_ancestors(db, user, grid) + [grid] if grid else [], **context,
    )  # fmt: skip


def _differs(a: SourceRecord, b: SourceRecord) -> set[str]:
    """The fields (as the review page names its rows) in which the two records disagree, compared unmasked."""

    def clean(*values: str | None) -> tuple[str, ...]:
        return tuple((v or "").strip().upper() for v in values)

    fields = {
        "name": lambda r: clean(f"{r.family_name or ''}{r.name or ''}"),
        "document": lambda r: clean(r.document_type, r.document_number),
        "phone": lambda r: clean(r.phone),
        "birth_date": lambda r: clean(r.birth_date),
        "sex": lambda r: clean(r.sex),
        "address": lambda r: clean(r.address or " ".join(p for p in (r.compound, r.building, r.unit, r.room) if p)),
        "note": lambda r: clean(r.note),
    }
    return {name for name, value in fields.items() if value(a) != value(b)}


@router.post("/roster/review/{pair_id}", response_class=HTMLResponse)
def decide(
    request: Request,
    pair_id: PathId,
    db: DbSession,
    user: Clerk,
    grid_id: GridQuery = None,
    decision: Annotated[str, Form(max_length=20)] = "",
):
    """Same person, different persons, or skip; then the next pair."""
    if decision not in DECISIONS:
        translate = request_translator(request)
        return render_error(request, 422, translate("the decision must be one of: same, different, skip"))
    service.decide(db, user, pair_id, same=DECISIONS[decision], now=clock.now())
    query = f"?{urlencode({'grid': grid_id})}" if grid_id is not None else ""
    return RedirectResponse(f"/roster/review{query}", status_code=303)


@router.get("/areas/{grid_id}/roster", response_class=HTMLResponse)
def roster_page(
    request: Request,
    grid_id: PathId,
    db: DbSession,
    user: Reader,
    which: Annotated[str, Query(alias="list", max_length=32)] = "roster",
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
):
    """A grid's roster: pairs and tasks waiting, the open door-knock tasks, and one of its lists."""
    grid = areas.get_grid(db, user, grid_id)
    records, total, sources, reasons = service.grid_list(db, user, grid.id, which=which, limit=RECORDS_PER_PAGE,
                                                         offset=offset)  # fmt: skip
    tasks, task_total = service.list_tasks(db, user, grid_id=grid.id, status="open", limit=TASKS_SHOWN)
    return render(
        request, "roster.html", area=grid, ancestors=areas.visible_ancestors(db, user, grid),
        counts=service.queue_counts(db, user, grid.id), tasks=tasks, task_total=task_total,
        records=[RecordOut.of(user, r, sources.get(r.person_key), reasons.get(r.person_key)) for r in records],
        total=total, which=which,
        lists=service.GRID_LISTS, offset=offset, per_page=RECORDS_PER_PAGE, outcomes=list(TaskOutcome),
        can_review=user.role in CLERK_ROLES,
    )  # fmt: skip


@router.post("/areas/{grid_id}/roster/tasks/{task_id}/close", response_class=HTMLResponse)
def close_task(
    request: Request,
    grid_id: PathId,
    task_id: PathId,
    db: DbSession,
    user: Clerk,
    outcome: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form()] = "",
):
    """Close a door-knock task with what the knock found out; back to the grid's roster page."""
    grid = areas.get_grid(db, user, grid_id)
    task = db.get(DoorKnockTask, task_id)
    if task is None or task.committee_id != grid.id:
        raise TaskNotFound(task_id)
    try:
        data = TaskCloseIn(outcome=outcome, note=note)
    except ValidationError as error:
        translate = request_translator(request)
        reason = "; ".join(f"{e['loc'][-1]}: {translate(e['msg'])}" for e in error.errors())
        return render_error(request, 422, translate("the task cannot be closed: {reason}").format(reason=reason))
    service.close_task(db, user, task.id, outcome=data.outcome, note=data.note, now=clock.now())
    return RedirectResponse(f"/areas/{grid.id}/roster#tasks", status_code=303)
