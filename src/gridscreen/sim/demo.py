"""Demo logins, one per role, placed in the first district / subdistrict / grid of a generated city."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen.areas.models import Area, Level
from gridscreen.auth import service as auth
from gridscreen.auth.models import Role, User
from gridscreen.people.models import Household
from gridscreen.support.models import Volunteer

DEMO_PASSWORD = "demo-2022"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    area: str


def _first(session: Session, level: Level, **where: int) -> Area:
    query = select(Area).where(Area.level == level)
    for column, value in where.items():
        query = query.where(getattr(Area, column) == value)
    area = session.scalar(query.order_by(Area.code).limit(1))
    if area is None:
        raise LookupError(f"the city has no {level}")
    return area


def create_demo_users(session: Session) -> list[DemoLogin]:
    """Create (once) a user for every role; returns the logins to print."""
    city = _first(session, Level.city)
    district = _first(session, Level.district)
    subdistrict = _first(session, Level.subdistrict, district_id=district.id)
    grid = _first(session, Level.committee, subdistrict_id=subdistrict.id)
    household = session.scalar(
        select(Household).where(Household.committee_id == grid.id).order_by(Household.id).limit(1)
    )
    plan = [
        ("command", Role.command, "指挥部 (demo)", city, None),
        ("district", Role.district, f"{district.name} (demo)", district, None),
        ("subdistrict", Role.subdistrict, f"{subdistrict.name} (demo)", subdistrict, None),
        ("grid", Role.grid, f"{grid.name} (demo)", grid, None),
        ("sampler", Role.sampler, "采样员 (demo)", grid, None),
        ("lab", Role.lab, "检测实验室 (demo)", district, None),
        ("resident", Role.resident, "居民 (demo)", None, household),
        ("volunteer", Role.volunteer, "志愿者 (demo)", grid, None),
    ]
    logins = []
    for username, role, display, area, home in plan:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            user = auth.create_user(
                session,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=display,
                area_ids=[area.id] if area else [],
                household_id=home.id if home else None,
            )
            if role == Role.volunteer:  # on call round the clock, so the demo's tickets always find someone
                session.add(Volunteer(user_id=user.id, kind="volunteer", skills="", shift_start=time(0),
                                      shift_end=time(0)))  # fmt: skip
        label = area.name if area else f"household {home.id}"
        logins.append(DemoLogin(username=username, password=DEMO_PASSWORD, role=role, area=label))
    return logins
