"""HTTP for residents' needs: tickets, volunteers, deadlines, announcements, notifications and deliveries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from gridscreen import clock
from gridscreen.auth.deps import AnyUser, StaffUser, require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.http import DbSession, Page
from gridscreen.ids import MAX_ID, PathId
from gridscreen.support import announcements, dispatch, service, supplies
from gridscreen.support.models import Category
from gridscreen.support.schemas import (
    AnnouncementIn,
    AnnouncementOut,
    AssignIn,
    DeadlineIn,
    DeadlineOut,
    DeliveredIn,
    DeliveryIn,
    DeliveryOut,
    NoteIn,
    NotificationOut,
    ResolveIn,
    TicketIn,
    TicketOut,
    TicketPage,
    UnreachedOut,
    VolunteerIn,
    VolunteerOut,
)

router = APIRouter(prefix="/api", tags=["support"])

Filer = Annotated[Principal, Depends(require(Role.resident, Role.grid, Role.subdistrict, Role.district))]
TicketReader = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.volunteer, Role.resident))]
Responder = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.volunteer))]
Dispatcher = Annotated[Principal, Depends(require(*STAFF_ROLES))]
Organiser = Annotated[Principal, Depends(require(Role.grid, Role.subdistrict, Role.district))]
Commander = Annotated[Principal, Depends(require(Role.command))]
GridParam = Annotated[int, Query(ge=1, le=MAX_ID, description="a grid (committee) id")]


def _out(db, user, ticket, *, events: bool = False) -> TicketOut:
    history = service.history(db, ticket) if events else None
    names = service.user_names(db, [ticket.assignee_id])
    return service.present(user, ticket, names=names, events=history, now=clock.now())


@router.post("/tickets", response_model=TicketOut, status_code=201)
def file_ticket(data: TicketIn, db: DbSession, user: Filer):
    """File a need for a household (a resident: their own). Medical emergencies take the green channel."""
    ticket = service.file_ticket(db, user, data, now=clock.now())
    return _out(db, user, ticket, events=True)


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    db: DbSession,
    user: TicketReader,
    page: Page,
    status: Literal["active", "open", "acknowledged", "resolved", "all"] = "active",
    category: Category | None = None,
    area_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    overdue: bool = False,
):
    """The caller's queue, green channel first, then by deadline."""
    tickets, total = service.list_tickets(
        db, user, status=None if status == "all" else status, category=category, area_id=area_id,
        overdue_at=clock.now() if overdue else None, limit=page.limit, offset=page.offset,
    )  # fmt: skip
    names = service.user_names(db, [t.assignee_id for t in tickets])
    now = clock.now()
    return TicketPage(tickets=[service.present(user, t, names=names, now=now) for t in tickets], total=total)


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: PathId, db: DbSession, user: TicketReader):
    return _out(db, user, service.get_ticket(db, user, ticket_id), events=True)


@router.post("/tickets/{ticket_id}/acknowledge", response_model=TicketOut)
def acknowledge(ticket_id: PathId, db: DbSession, user: Responder):
    return _out(db, user, service.acknowledge(db, user, ticket_id, now=clock.now()), events=True)


@router.post("/tickets/{ticket_id}/assign", response_model=TicketOut)
def assign(ticket_id: PathId, data: AssignIn, db: DbSession, user: Dispatcher):
    """Give the ticket to a volunteer of its grid, or (no volunteer named) to the least loaded one on shift."""
    return _out(db, user, service.assign(db, user, ticket_id, data.volunteer_id, now=clock.now()), events=True)


@router.post("/tickets/{ticket_id}/notes", response_model=TicketOut)
def add_note(ticket_id: PathId, data: NoteIn, db: DbSession, user: Responder):
    return _out(db, user, service.add_note(db, user, ticket_id, data.note, now=clock.now()), events=True)


@router.post("/tickets/{ticket_id}/resolve", response_model=TicketOut)
def resolve(ticket_id: PathId, data: ResolveIn, db: DbSession, user: Responder):
    """Close the ticket with its outcome and what was done."""
    return _out(db, user, service.resolve(db, user, ticket_id, data, now=clock.now()), events=True)


@router.get("/ticket-deadlines", response_model=list[DeadlineOut])
def list_deadlines(db: DbSession, user: StaffUser):
    found = service.deadlines(db)
    return [DeadlineOut(category=c, acknowledge_minutes=a, resolve_minutes=r) for c, (a, r) in found.items()]


@router.put("/ticket-deadlines/{category}", response_model=DeadlineOut)
def set_deadline(category: Category, data: DeadlineIn, db: DbSession, user: Commander):
    """The command centre sets how soon a category must be answered and resolved (applies to new tickets)."""
    return service.set_deadline(db, category, data)


@router.post("/volunteers", response_model=VolunteerOut, status_code=201)
def register_volunteer(data: VolunteerIn, db: DbSession, user: Organiser):
    """Sign up a volunteer, a cadre sent down or a staff member to answer a grid's tickets."""
    volunteer = dispatch.register(db, user, data)
    return dispatch.present(db, [volunteer])[0]


@router.get("/volunteers", response_model=list[VolunteerOut])
def list_volunteers(grid_id: GridParam, db: DbSession, user: Dispatcher):
    return dispatch.list_volunteers(db, user, grid_id=grid_id)


@router.post("/announcements", response_model=AnnouncementOut, status_code=201)
def post_announcement(data: AnnouncementIn, db: DbSession, user: Organiser):
    return announcements.post(db, user, data, now=clock.now())


@router.get("/areas/{area_id}/announcements", response_model=list[AnnouncementOut])
def area_announcements(area_id: PathId, db: DbSession, user: StaffUser):
    return announcements.for_area(db, user, area_id)


@router.get("/notifications", response_model=list[NotificationOut])
def my_notifications(db: DbSession, user: AnyUser, unread: bool = False):
    """What the caller has been told: new tickets, escalations, green-channel alerts (urgent first)."""
    return announcements.notifications(db, user, unread_only=unread)


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def read_notification(notification_id: PathId, db: DbSession, user: AnyUser):
    return announcements.mark_read(db, user, notification_id, now=clock.now())


@router.post("/deliveries", response_model=DeliveryOut, status_code=201)
def plan_delivery(data: DeliveryIn, db: DbSession, user: Organiser):
    return supplies.present(db, supplies.plan_delivery(db, user, data))


@router.post("/deliveries/{delivery_id}/delivered", response_model=DeliveryOut)
def mark_delivered(delivery_id: PathId, data: DeliveredIn, db: DbSession, user: Organiser):
    delivery = supplies.mark_delivered(db, user, delivery_id, quantity=data.quantity, now=clock.now())
    return supplies.present(db, delivery)


@router.get("/deliveries", response_model=list[DeliveryOut])
def list_deliveries(grid_id: GridParam, db: DbSession, user: StaffUser, since: date | None = None):
    since = since or (clock.now() - timedelta(days=7)).date()
    return supplies.list_deliveries(db, user, grid_id=grid_id, since=since)


@router.get("/deliveries/unreached", response_model=UnreachedOut)
def unreached(grid_id: GridParam, db: DbSession, user: StaffUser, since: date | None = None):
    """Households of a grid that no food delivery has reached since a day (default: the last 7 days)."""
    since = since or (clock.now() - timedelta(days=7)).date()
    return supplies.unreached(db, user, grid_id=grid_id, since=since)
