"""Pages for residents' needs: the resident's own page (phone first), the ticket queue of grid staff and
volunteers, and a ticket with its history and the actions its reader may take."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth.deps import SESSION_COOKIE, AnyUser, request_token, require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import Principal
from gridscreen.config import get_settings
from gridscreen.http import DbSession, request_locale, request_translator
from gridscreen.ids import MAX_ID, PathId
from gridscreen.sampling.resident_code import sign_resident_code
from gridscreen.support import announcements, dispatch, resident, service, supplies
from gridscreen.support.models import Category, Outcome, SupplyKind, TicketStatus
from gridscreen.support.router import Dispatcher, Filer, Organiser, Responder, TicketReader
from gridscreen.support.schemas import AnnouncementIn, DeliveryIn, ResolveIn, TicketIn, VolunteerIn
from gridscreen.web.pages import STATUS_LABELS, render, render_error

router = APIRouter(include_in_schema=False)
Resident = Annotated[Principal, Depends(require(Role.resident))]
FormId = Annotated[int | None, Form(ge=1, le=MAX_ID)]


@router.get("/me", response_class=HTMLResponse)
def resident_page(request: Request, db: DbSession, user: Resident, error: str | None = None):
    """One household's page: results, resident codes, the notice, announcements and its tickets."""
    # A look that reaches the route is drawn afresh (a new login sees what changed); the layer answers the rest.
    pages, token, locale = request.app.state.resident_pages, request_token(request), request_locale(request)
    keep = error is None and token is not None and request.cookies.get(SESSION_COOKIE) == token
    view = resident.household_view(db, user)
    secret = get_settings().resident_code_key
    response = render(
        request, "me.html", view=view, codes={p.id: sign_resident_code(p.id, secret=secret) for p in view.persons},
        statuses=STATUS_LABELS, error=error,
    )  # fmt: skip
    tag = '"' + hashlib.blake2b(response.body, digest_size=12).hexdigest() + '"'
    if keep:
        pages.store(
            token=token, expires_at=user.session_ends, household_id=view.household.id, locale=locale,
            body=response.body, etag=tag, newest_ticket=max((t.id for t in view.tickets), default=0),
        )  # fmt: skip
    return _revalidated(request, response, tag)


def _revalidated(request: Request, response: HTMLResponse, tag: str) -> Response:
    """Private to the household and always checked, but answered with 304 when nothing changed."""
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Cookie"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


@router.post("/me/tickets", response_class=HTMLResponse)
def resident_files(
    request: Request,
    db: DbSession,
    user: Resident,
    category: Annotated[str, Form()],
    details: Annotated[str, Form()],
    people_affected: Annotated[int, Form()] = 1,
    contact_phone: Annotated[str | None, Form()] = None,
):
    try:
        data = TicketIn(category=category, details=details, people_affected=people_affected,
                        contact_phone=contact_phone or None)  # fmt: skip
    except ValidationError as error:
        return resident_page(request, db, user, error=_invalid(request, error))
    ticket = service.file_ticket(db, user, data, now=clock.now())
    return RedirectResponse(f"/me?after={ticket.id}#tickets", status_code=303)  # past any cached page


@router.get("/tickets", response_class=HTMLResponse)
def queue_page(
    request: Request,
    db: DbSession,
    user: Annotated[
        Principal, Depends(require(Role.grid, Role.subdistrict, Role.district, Role.command, Role.volunteer))
    ],  # fmt: skip
    status: Annotated[str, Query(pattern="^(active|open|acknowledged|resolved|all)$")] = "active",
    category: Category | None = None,
    overdue: bool = False,
    area_id: Annotated[int | None, Query(alias="area", ge=1, le=MAX_ID)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """The caller's queue: green channel first, then whatever is due soonest; a volunteer's own tickets."""
    now = clock.now()
    tickets, total = service.list_tickets(
        db, user, status=None if status == "all" else status, category=category, area_id=area_id,
        overdue_at=now if overdue else None, limit=50, offset=(page - 1) * 50,
    )  # fmt: skip
    names = service.user_names(db, [t.assignee_id for t in tickets])
    return render(
        request, "tickets.html", tickets=[service.present(user, t, names=names, now=now) for t in tickets],
        notifications=announcements.notifications(db, user, unread_only=True, limit=20),
        total=total, page=page, pages=max(1, -(-total // 50)), shown=status, category=category, overdue=overdue,
        area_id=area_id, categories=list(Category), now=now,
        grids=[db.get(Area, g.area_id) for g in user.grants if g.level == Level.committee],
    )  # fmt: skip


@router.post("/notifications/{notification_id}/read")
def notification_seen(notification_id: PathId, db: DbSession, user: AnyUser):
    announcements.mark_read(db, user, notification_id, now=clock.now())
    return RedirectResponse("/tickets", status_code=303)


@router.post("/tickets", response_class=HTMLResponse)
def staff_files(
    request: Request,
    db: DbSession,
    user: Filer,
    category: Annotated[str, Form()],
    details: Annotated[str, Form()],
    household_id: FormId = None,
    grid_id: FormId = None,
    address: Annotated[str | None, Form()] = None,
    people_affected: Annotated[int, Form()] = 1,
    contact_phone: Annotated[str | None, Form()] = None,
):
    """A grid worker files a need for a caller, from the household page or for an address in the grid."""
    try:
        data = TicketIn(category=category, details=details, people_affected=people_affected, household_id=household_id,
                        grid_id=grid_id, address=address or None, contact_phone=contact_phone or None)  # fmt: skip
    except ValidationError as error:
        return render_error(request, 422, _invalid(request, error))
    ticket = service.file_ticket(db, user, data, now=clock.now())
    return RedirectResponse(f"/tickets/{ticket.id}", status_code=303)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(request: Request, ticket_id: PathId, db: DbSession, user: TicketReader):
    ticket = service.get_ticket(db, user, ticket_id)
    events = service.history(db, ticket)
    names = service.user_names(db, [ticket.assignee_id, *(e.by_user for e in events)])
    volunteers = []
    can_assign = user.role in (Role.grid, Role.subdistrict, Role.district, Role.command)
    if can_assign and ticket.status != TicketStatus.resolved:
        volunteers = dispatch.list_volunteers(db, user, grid_id=ticket.committee_id)
    return render(
        request, "ticket.html", ticket=service.present(user, ticket, names=names, events=events), names=names,
        volunteers=volunteers, outcomes=list(Outcome), can_act=user.role != Role.resident,
        can_assign=can_assign,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/acknowledge")
def acknowledge(ticket_id: PathId, db: DbSession, user: Responder):
    service.acknowledge(db, user, ticket_id, now=clock.now())
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/assign")
def assign(ticket_id: PathId, db: DbSession, user: Dispatcher, volunteer_id: FormId = None):
    service.assign(db, user, ticket_id, volunteer_id, now=clock.now())
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/notes")
def add_note(
    ticket_id: PathId, db: DbSession, user: Responder, note: Annotated[str, Form(min_length=1, max_length=2000)]
):
    service.add_note(db, user, ticket_id, note, now=clock.now())
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/resolve", response_class=HTMLResponse)
def resolve(
    request: Request,
    ticket_id: PathId,
    db: DbSession,
    user: Responder,
    outcome: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
):
    try:
        data = ResolveIn(outcome=outcome, note=note)
    except ValidationError as error:
        return render_error(request, 422, _invalid(request, error))
    service.resolve(db, user, ticket_id, data, now=clock.now())
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)


def _invalid(request: Request, error: ValidationError) -> str:
    translate = request_translator(request)
    return translate("the ticket is not complete: {reason}").format(
        reason="; ".join(f"{e['loc'][-1]}: {translate(e['msg'])}" for e in error.errors())
    )


@router.get("/areas/{grid_id}/support", response_class=HTMLResponse)
def support_desk(request: Request, grid_id: PathId, db: DbSession, user: Dispatcher, error: str | None = None):
    """A grid's support desk: its volunteers, announcements, deliveries and the households none has reached."""
    grid = areas.get_grid(db, user, grid_id)
    since = clock.now().astimezone(ZoneInfo(get_settings().timezone)).date() - timedelta(days=7)
    compounds, _ = areas.list_areas(db, user, parent_id=grid.id, level=Level.compound, limit=500)
    return render(
        request, "support_desk.html", area=grid, ancestors=areas.visible_ancestors(db, user, grid),
        volunteers=dispatch.list_volunteers(db, user, grid_id=grid.id),
        announcements=announcements.for_area(db, user, grid.id), deliveries=supplies.list_deliveries(
            db, user, grid_id=grid.id, since=since), unreached=supplies.unreached(db, user, grid_id=grid.id,
            since=since), compounds=compounds, categories=list(Category), kinds=list(SupplyKind), since=since,
        today=since + timedelta(days=7), can_organise=user.role != Role.command, error=error,
    )  # fmt: skip


def _desk(grid_id: int) -> RedirectResponse:
    return RedirectResponse(f"/areas/{grid_id}/support", status_code=303)


@router.post("/areas/{grid_id}/support/volunteers", response_class=HTMLResponse)
async def register_volunteer(request: Request, grid_id: PathId, db: DbSession, user: Organiser):
    form = await request.form()
    try:
        data = VolunteerIn(
            username=form.get("username", ""), password=form.get("password", ""),
            display_name=form.get("display_name", ""), kind=form.get("kind", "volunteer"), grid_ids=[grid_id],
            skills=form.getlist("skills"), shift_start=form.get("shift_start") or "08:00",
            shift_end=form.get("shift_end") or "20:00",
        )  # fmt: skip
    except ValidationError as error:
        return support_desk(request, grid_id, db, user, error=_invalid(request, error))
    dispatch.register(db, user, data)
    return _desk(grid_id)


@router.post("/areas/{grid_id}/support/announcements", response_class=HTMLResponse)
def post_announcement(
    request: Request,
    grid_id: PathId,
    db: DbSession,
    user: Organiser,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
):
    try:
        data = AnnouncementIn(area_id=grid_id, title=title, body=body)
    except ValidationError as error:
        return support_desk(request, grid_id, db, user, error=_invalid(request, error))
    announcements.post(db, user, data, now=clock.now())
    return _desk(grid_id)


@router.post("/areas/{grid_id}/support/deliveries", response_class=HTMLResponse)
def plan_delivery(
    request: Request,
    grid_id: PathId,
    db: DbSession,
    user: Organiser,
    compound_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    kind: Annotated[str, Form()],
    items: Annotated[str, Form()] = "",
    quantity: Annotated[int, Form()] = 0,
    planned_for: Annotated[str, Form()] = "",
):
    try:
        data = DeliveryIn(compound_id=compound_id, kind=kind, items=items, quantity=quantity, planned_for=planned_for)
    except ValidationError as error:
        return support_desk(request, grid_id, db, user, error=_invalid(request, error))
    supplies.plan_delivery(db, user, data)
    return _desk(grid_id)


@router.post("/areas/{grid_id}/support/deliveries/{delivery_id}/delivered")
def delivered(
    grid_id: PathId,
    delivery_id: PathId,
    db: DbSession,
    user: Organiser,
    quantity: Annotated[int, Form(ge=0, le=100_000)],
):
    supplies.mark_delivered(db, user, delivery_id, quantity=quantity, now=clock.now())
    return _desk(grid_id)
