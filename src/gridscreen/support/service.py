"""Tickets: filing, answering, assigning, resolving, and the sweep that escalates what nobody answered.

Every function takes the caller and checks what they may see: staff see the tickets of their areas, a
volunteer only those assigned to them, a resident only their household's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth.models import Role, User, UserArea
from gridscreen.auth.principal import Principal
from gridscreen.people import service as people
from gridscreen.people.identity import mask_phone
from gridscreen.support import dispatch, notify
from gridscreen.support.exceptions import NeedsAHousehold, NotYourTicket, TicketNotFound, TicketResolved
from gridscreen.support.models import Category, Channel, Ticket, TicketDeadline, TicketEvent, TicketStatus
from gridscreen.support.rules import DEFAULT_DEADLINES, PRIORITY
from gridscreen.support.schemas import DeadlineIn, DeadlineOut, ResolveIn, TicketEventOut, TicketIn, TicketOut

# Roles that call residents back need the contact number in full.
_CALLERS = frozenset({Role.grid, Role.subdistrict, Role.district, Role.command, Role.volunteer})
LEVEL_ROLE = {
    Level.committee: Role.grid,
    Level.subdistrict: Role.subdistrict,
    Level.district: Role.district,
    Level.city: Role.command,
}
_LEVEL_COLUMN = {
    Level.committee: Ticket.committee_id,
    Level.subdistrict: Ticket.subdistrict_id,
    Level.district: Ticket.district_id,
}


def visible(principal: Principal) -> ColumnElement[bool]:
    """SQL condition: tickets the caller may see."""
    if principal.role == Role.resident:
        return Ticket.household_id == principal.household_id if principal.household_id else false()
    if principal.role == Role.volunteer:
        return Ticket.assignee_id == principal.user_id
    if principal.role not in (Role.grid, Role.subdistrict, Role.district, Role.command):
        return false()
    conditions = []
    for grant in principal.grants:
        if grant.level == Level.city:
            return true()
        if grant.level in _LEVEL_COLUMN:
            conditions.append(_LEVEL_COLUMN[grant.level] == grant.area_id)
    return or_(*conditions) if conditions else false()


def deadlines(session: Session) -> dict[Category, tuple[int, int]]:
    rows = session.scalars(select(TicketDeadline))
    stored = {Category(d.category): (d.acknowledge_minutes, d.resolve_minutes) for d in rows}
    return {c: stored.get(c, DEFAULT_DEADLINES[c]) for c in Category}


def set_deadline(session: Session, category: Category, data: DeadlineIn) -> DeadlineOut:
    row = session.get(TicketDeadline, category.value) or TicketDeadline(category=category.value)
    row.acknowledge_minutes, row.resolve_minutes = data.acknowledge_minutes, data.resolve_minutes
    session.add(row)
    return DeadlineOut(category=category, **data.model_dump())


def file_ticket(
    session: Session, principal: Principal, data: TicketIn, *, now: datetime, channel: Channel | None = None
) -> Ticket:
    """File a need. Green-channel tickets alert the grid's and the district's duty officers at once."""
    household = None
    if principal.role == Role.resident:
        household = people.get_household(session, principal, data.household_id or principal.household_id or 0)
        grid = session.get(Area, household.committee_id)
    elif data.household_id is not None:
        household = people.get_household(session, principal, data.household_id)
        grid = session.get(Area, household.committee_id)
    elif data.grid_id is not None:
        grid = areas.get_grid(session, principal, data.grid_id)
    else:
        raise NeedsAHousehold()
    category = Category(data.category)
    acknowledge, resolve = deadlines(session)[category]
    ticket = Ticket(
        household_id=household.id if household else None,
        committee_id=grid.id,
        subdistrict_id=grid.subdistrict_id,
        district_id=grid.district_id,
        category=category,
        details=data.details,
        people_affected=data.people_affected,
        contact_phone=data.contact_phone,
        address=data.address,
        lat=data.lat,
        lon=data.lon,
        channel=channel or (Channel.resident if principal.role == Role.resident else Channel.grid),
        filed_by=principal.user_id,
        status=TicketStatus.open,
        level=Level.committee,
        created_at=now,
        updated_at=now,
        acknowledge_by=now + timedelta(minutes=acknowledge),
        resolve_by=now + timedelta(minutes=resolve),
    )
    ticket.escalate_at = ticket.acknowledge_by
    session.add(ticket)
    session.flush()
    _event(session, ticket, "filed", principal.user_id, now)
    if category == Category.emergency:
        officers = _officers(session, ticket, Level.committee) | _officers(session, ticket, Level.district)
        text = notify.notice("Green channel, ticket {ticket}: {details}", ticket=ticket.id, details=data.details[:120])
        notify.queue(session, officers, text=text, now=now, ticket_id=ticket.id, urgent=True)
    assignee = dispatch.choose_for(session, ticket, now=now)
    if assignee is not None:
        _assign(session, ticket, assignee, by=None, now=now)
    return ticket


def get_ticket(session: Session, principal: Principal, ticket_id: int) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id, visible(principal)))
    if ticket is None:  # a ticket outside the caller's reach does not exist for them
        raise TicketNotFound(ticket_id)
    return ticket


def list_tickets(
    session: Session,
    principal: Principal,
    *,
    status: str | None = "active",
    category: Category | None = None,
    area_id: int | None = None,
    overdue_at: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
    counted: bool = True,
) -> tuple[list[Ticket], int | None]:
    """A queue: the green channel first, then whatever escalates soonest; and how many match (None when not
    `counted`)."""
    query = select(Ticket).where(visible(principal))
    if status == "active":
        query = query.where(Ticket.status != TicketStatus.resolved)
    elif status:
        query = query.where(Ticket.status == status)
    if category:
        query = query.where(Ticket.category == category)
    if area_id is not None:
        area = areas.get_area(session, principal, area_id)
        column = _LEVEL_COLUMN.get(Level(area.level))
        query = query.where(column == area.id) if column is not None else query
    if overdue_at is not None:
        query = query.where(
            Ticket.status != TicketStatus.resolved,
            or_(
                Ticket.resolve_by < overdue_at,
                and_(Ticket.status == TicketStatus.open, Ticket.acknowledge_by < overdue_at),
            ),
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) if counted else None
    priority = case(*((Ticket.category == c.value, p) for c, p in PRIORITY.items()), else_=9)
    order = (Ticket.status == TicketStatus.resolved, priority, Ticket.resolve_by, Ticket.id)
    return list(session.scalars(query.order_by(*order).limit(limit).offset(offset))), total


@dataclass(frozen=True)
class TicketFigures:
    waiting: int  # open: nobody has answered yet
    in_hand: int  # acknowledged, not yet resolved
    overdue: int
    emergencies: int  # green-channel tickets not yet resolved
    above_grid: int  # escalated past the grid


def ticket_figures(session: Session, principal: Principal, area: Area, *, now: datetime) -> TicketFigures:
    """The command centre's counts of unresolved tickets in an area (the caller has checked the area)."""
    active = Ticket.status != TicketStatus.resolved
    column = _LEVEL_COLUMN.get(Level(area.level))
    where = [active, visible(principal)] + ([column == area.id] if column is not None else [])
    late = or_(Ticket.resolve_by < now, and_(Ticket.status == TicketStatus.open, Ticket.acknowledge_by < now))
    row = session.execute(
        select(
            func.count().filter(Ticket.status == TicketStatus.open),
            func.count().filter(Ticket.status == TicketStatus.acknowledged),
            func.count().filter(late),
            func.count().filter(Ticket.category == Category.emergency),
            func.count().filter(Ticket.level != Level.committee),
        ).where(*where)
    ).one()
    return TicketFigures(*row)


def acknowledge(session: Session, principal: Principal, ticket_id: int, *, now: datetime) -> Ticket:
    """Someone answers: the escalation clock now runs to the resolution deadline."""
    ticket = _actionable(session, principal, ticket_id)
    if ticket.status == TicketStatus.open:
        ticket.status, ticket.acknowledged_at, ticket.updated_at = TicketStatus.acknowledged, now, now
        if ticket.escalate_at is not None:
            ticket.escalate_at = max(clock.aware(ticket.resolve_by), now + _step(session, ticket))
        if ticket.assignee_id is None and principal.role == Role.grid:  # the grid worker takes it on
            ticket.assignee_id = principal.user_id
        _event(session, ticket, "acknowledged", principal.user_id, now)
    return ticket


def assign(
    session: Session, principal: Principal, ticket_id: int, volunteer_id: int | None, *, now: datetime
) -> Ticket:
    """Hand a ticket to a volunteer of its grid, or let gridscreen pick one by shift, skills and load."""
    ticket = _actionable(session, principal, ticket_id)
    chosen = (
        dispatch.check_volunteer(session, ticket, volunteer_id)
        if volunteer_id
        else dispatch.choose_for(session, ticket, now=now)
    )
    if chosen is None:
        raise dispatch.NobodyFree()
    _assign(session, ticket, chosen, by=principal.user_id, now=now)
    return ticket


def add_note(session: Session, principal: Principal, ticket_id: int, note: str, *, now: datetime) -> Ticket:
    ticket = _actionable(session, principal, ticket_id)
    ticket.updated_at = now
    _event(session, ticket, "note", principal.user_id, now, note=note)
    return ticket


def resolve(session: Session, principal: Principal, ticket_id: int, data: ResolveIn, *, now: datetime) -> Ticket:
    ticket = _actionable(session, principal, ticket_id)
    ticket.status, ticket.resolved_at, ticket.updated_at, ticket.escalate_at = TicketStatus.resolved, now, now, None
    ticket.acknowledged_at = ticket.acknowledged_at or now
    ticket.outcome, ticket.outcome_note = data.outcome, data.note
    _event(session, ticket, "resolved", principal.user_id, now, note=data.note)
    if ticket.household_id:
        residents = session.scalars(select(User.id).where(User.household_id == ticket.household_id))
        notify.queue(
            session,
            residents,
            text=notify.notice("Ticket {ticket} resolved: {note}", ticket=ticket.id, note=data.note[:200]),
            now=now,
            ticket_id=ticket.id,
        )
    return ticket


def present(
    principal: Principal,
    ticket: Ticket,
    *,
    names: dict[int, str] | None = None,
    events: list[TicketEvent] | None = None,
    now: datetime | None = None,
) -> TicketOut:
    now = now or clock.now()
    phone = ticket.contact_phone
    if phone and principal.role not in _CALLERS:
        phone = mask_phone(phone)
    overdue = ticket.status != TicketStatus.resolved and (
        clock.aware(ticket.resolve_by) < now
        or ticket.status == TicketStatus.open
        and clock.aware(ticket.acknowledge_by) < now
    )
    return TicketOut(
        id=ticket.id,
        household_id=ticket.household_id,
        address=ticket.address,
        committee_id=ticket.committee_id,
        category=ticket.category,
        details=ticket.details,
        people_affected=ticket.people_affected,
        contact_phone=phone,
        channel=ticket.channel,
        status=ticket.status,
        level=ticket.level,
        assignee_id=ticket.assignee_id,
        assignee=(names or {}).get(ticket.assignee_id),
        created_at=clock.aware(ticket.created_at),
        acknowledge_by=clock.aware(ticket.acknowledge_by),
        resolve_by=clock.aware(ticket.resolve_by),
        escalate_at=clock.aware(ticket.escalate_at),
        acknowledged_at=clock.aware(ticket.acknowledged_at),
        resolved_at=clock.aware(ticket.resolved_at),
        outcome=ticket.outcome,
        outcome_note=ticket.outcome_note,
        overdue=overdue,
        events=[
            TicketEventOut(at=clock.aware(e.at), kind=e.kind, by_user=e.by_user, level=e.level, note=e.note)
            for e in events or ()
        ],
    )


def history(session: Session, ticket: Ticket) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))


def user_names(session: Session, user_ids) -> dict[int, str]:
    ids = {u for u in user_ids if u}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}


def _actionable(session: Session, principal: Principal, ticket_id: int) -> Ticket:
    ticket = get_ticket(session, principal, ticket_id)
    if ticket.status == TicketStatus.resolved:
        raise TicketResolved(ticket_id)
    if principal.role == Role.resident:
        raise NotYourTicket()
    return ticket


def _assign(session: Session, ticket: Ticket, user_id: int, *, by: int | None, now: datetime) -> None:
    ticket.assignee_id, ticket.updated_at = user_id, now
    name = user_names(session, [user_id]).get(user_id, str(user_id))
    _event(session, ticket, "assigned", by, now, note=name)
    urgent = ticket.category == Category.emergency
    notify.queue(
        session,
        [user_id],
        text=notify.notice("Ticket {ticket} is yours: {details}", ticket=ticket.id, details=ticket.details[:150]),
        now=now,
        ticket_id=ticket.id,
        urgent=urgent,
    )


def _step(session: Session, ticket: Ticket) -> timedelta:
    return timedelta(minutes=deadlines(session)[Category(ticket.category)][0])


def _event(session, ticket: Ticket, kind: str, by: int | None, now: datetime, note: str | None = None) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=now, kind=kind, by_user=by, level=ticket.level, note=note))


def _officers(session: Session, ticket: Ticket, level: Level) -> set[int]:
    """Users who answer for the ticket's area at a level (the command centre for the city)."""
    role = LEVEL_ROLE[level]
    query = select(User.id).where(User.role == role)
    if level != Level.city:
        area_id = getattr(ticket, _LEVEL_COLUMN[level].key)
        query = query.join(UserArea, UserArea.user_id == User.id).where(UserArea.area_id == area_id)
    return set(session.scalars(query))
