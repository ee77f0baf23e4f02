from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from gridscreen.areas.models import Area
from gridscreen.auth import service as auth
from gridscreen.auth.models import Role
from gridscreen.people.models import Household

PASSWORD = "correct horse battery"


def make_user(
    session: Session, username: str, role: Role, areas: list[Area] = (), household: Household | None = None
) -> str:
    """Create a user and return a bearer token for it."""
    auth.create_user(
        session,
        username=username,
        password=PASSWORD,
        role=role,
        display_name=username,
        area_ids=[a.id for a in areas],
        household_id=household.id if household else None,
    )
    return auth.log_in(session, username=username, password=PASSWORD, now=datetime.now(UTC), hours=1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
