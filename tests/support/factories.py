"""Users who answer tickets, and tickets filed at a fixed moment, for the support tests."""

from __future__ import annotations

from datetime import UTC, datetime, time

from gridscreen.auth import service as auth
from gridscreen.auth.models import Role, User
from gridscreen.auth.principal import Principal
from gridscreen.support import dispatch, service
from gridscreen.support.models import Category
from gridscreen.support.schemas import TicketIn, VolunteerIn
from tests.auth.factories import PASSWORD

# 10:00 in Shanghai: inside the default day shift.
NOW = datetime(2022, 4, 10, 2, 0, tzinfo=UTC)


def staff(db, username: str, role: Role, area) -> Principal:
    user = auth.create_user(db, username=username, password=PASSWORD, role=role, display_name=username,
                            area_ids=[area.id])  # fmt: skip
    return auth.principal_for_user(db, user)


def resident(db, username: str, household) -> Principal:
    user = auth.create_user(db, username=username, password=PASSWORD, role=Role.resident, display_name=username,
                            household_id=household.id)  # fmt: skip
    return auth.principal_for_user(db, user)


def volunteer(db, organiser: Principal, username: str, grid, *, skills=(), start=time(8), end=time(20)) -> Principal:
    data = VolunteerIn(username=username, password=PASSWORD, display_name=username, grid_ids=[grid.id],
                       skills=list(skills), shift_start=start, shift_end=end)  # fmt: skip
    found = dispatch.register(db, organiser, data)
    return auth.principal_for_user(db, db.get(User, found.user_id))


def file(db, who: Principal, household=None, *, category=Category.groceries, now=NOW, details="rice and eggs"):
    data = TicketIn(category=category, details=details, household_id=household.id if household else None)
    return service.file_ticket(db, who, data, now=now)
