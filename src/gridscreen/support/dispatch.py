"""Who answers tickets: volunteers, cadres sent down and grid staff, with their grids, skills and shifts;
and the choice of one for a new ticket by area, shift, skills and load."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridscreen.areas import service as areas
from gridscreen.auth import service as auth
from gridscreen.auth.models import Role, User, UserArea
from gridscreen.auth.principal import Principal
from gridscreen.config import get_settings
from gridscreen.errors import Conflict
from gridscreen.support.exceptions import VolunteerNotHere
from gridscreen.support.models import Category, Ticket, TicketStatus, Volunteer
from gridscreen.support.rules import Candidate, choose_assignee, on_shift, takes
from gridscreen.support.schemas import VolunteerIn, VolunteerOut


class NobodyFree(Conflict):
    def __init__(self) -> None:
        super().__init__("no volunteer of this grid is on shift with the skills this ticket needs; assign one by hand")


def register(session: Session, principal: Principal, data: VolunteerIn) -> Volunteer:
    """A grid (or a higher level) signs up someone to answer its tickets; they log in as a volunteer."""
    grids = [areas.get_grid(session, principal, g) for g in data.grid_ids]
    user = auth.create_user(
        session,
        username=data.username,
        password=data.password,
        role=Role.volunteer,
        display_name=data.display_name,
        area_ids=[g.id for g in grids],
    )
    volunteer = Volunteer(
        user_id=user.id,
        kind=data.kind,
        skills=",".join(s.value for s in data.skills),
        shift_start=data.shift_start,
        shift_end=data.shift_end,
        active=True,
    )
    session.add(volunteer)
    session.flush()
    return volunteer


def list_volunteers(session: Session, principal: Principal, *, grid_id: int) -> list[VolunteerOut]:
    grid = areas.get_grid(session, principal, grid_id)
    volunteers = session.scalars(
        select(Volunteer)
        .join(User, User.id == Volunteer.user_id)
        .join(UserArea, UserArea.user_id == User.id)
        .where(UserArea.area_id == grid.id)
        .order_by(User.display_name)
    ).all()
    return present(session, volunteers)


def present(session: Session, volunteers: list[Volunteer]) -> list[VolunteerOut]:
    ids = [v.user_id for v in volunteers]
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    loads, grids = _loads(session, ids), _grids(session, ids)
    rows = [(v, users[v.user_id]) for v in volunteers]
    return [
        VolunteerOut(
            user_id=v.user_id,
            username=u.username,
            display_name=u.display_name,
            kind=v.kind,
            grid_ids=grids.get(v.user_id, []),
            skills=[s for s in v.skills.split(",") if s],
            shift_start=v.shift_start,
            shift_end=v.shift_end,
            active=v.active,
            load=loads.get(v.user_id, 0),
        )
        for v, u in rows
    ]


def choose_for(session: Session, ticket: Ticket, *, now: datetime) -> int | None:
    """The least loaded active volunteer of the ticket's grid who is on shift now and can take its category."""
    local = now.astimezone(ZoneInfo(get_settings().timezone)).time()
    category = Category(ticket.category)
    volunteers = session.scalars(
        select(Volunteer)
        .join(UserArea, UserArea.user_id == Volunteer.user_id)
        .where(UserArea.area_id == ticket.committee_id, Volunteer.active)
    ).all()
    free = [v for v in volunteers if on_shift(local, v.shift_start, v.shift_end) and takes(v.skills, category)]
    loads = _loads(session, [v.user_id for v in free])
    return choose_assignee([Candidate(v.user_id, loads.get(v.user_id, 0)) for v in free])


def check_volunteer(session: Session, ticket: Ticket, user_id: int) -> int:
    """A volunteer chosen by hand must serve the ticket's grid (grid staff of it may take tickets too)."""
    serves = session.scalar(
        select(User.id)
        .join(UserArea, UserArea.user_id == User.id)
        .where(User.id == user_id, UserArea.area_id == ticket.committee_id, User.role.in_([Role.volunteer, Role.grid]))
    )
    if serves is None:
        raise VolunteerNotHere(user_id)
    return user_id


def _loads(session: Session, user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    query = (
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.in_(user_ids), Ticket.status != TicketStatus.resolved)
        .group_by(Ticket.assignee_id)
    )
    return dict(session.execute(query).all())


def _grids(session: Session, user_ids: list[int]) -> dict[int, list[int]]:
    grids: dict[int, list[int]] = {}
    query = select(UserArea.user_id, UserArea.area_id).where(UserArea.user_id.in_(user_ids))
    for user_id, area_id in session.execute(query):
        grids.setdefault(user_id, []).append(area_id)
    return grids
