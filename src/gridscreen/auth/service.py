"""Users, password checks and login tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gridscreen import clock
from gridscreen.areas.models import Area, Level
from gridscreen.auth.exceptions import BadCredentials, NotLoggedIn, UsernameTaken, UserNeedsArea
from gridscreen.auth.models import AuthToken, Role, User, UserArea
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.db import fetch, read_time
from gridscreen.errors import NotFound


@lru_cache
def _hasher() -> PasswordHasher:
    # OWASP's minimum for argon2id (19 MiB, 2 passes): a login costs ~15 ms, a guess as much.
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    area_ids: Sequence[int] = (),
    household_id: int | None = None,
) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(username)
    if role == Role.resident:
        if household_id is None:
            raise UserNeedsArea(role)
    elif not area_ids:
        raise UserNeedsArea(role)
    for area_id in area_ids:
        if session.get(Area, area_id) is None:
            raise NotFound("area {area_id} does not exist", area_id=area_id)
    user = User(
        username=username,
        password_hash=_hasher().hash(password),
        role=role,
        display_name=display_name,
        household_id=household_id,
    )
    session.add(user)
    session.flush()
    session.add_all(UserArea(user_id=user.id, area_id=a) for a in area_ids)
    session.flush()
    return user


def log_in(session: Session, *, username: str, password: str, now: datetime, hours: int) -> str:
    """Check the password and return a new raw token (shown to the client once)."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        if user is None:
            raise VerificationError
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise BadCredentials() from None
    token = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def log_out(session: Session, *, token: str) -> None:
    session.execute(delete(AuthToken).where(AuthToken.token_hash == _digest(token)))


def principal_for_token(session: Session, *, token: str | None, now: datetime) -> Principal:
    if not token:
        raise NotLoggedIn()
    # Every request asks: the user, the token's end and the user's areas in one driver query.
    rows = fetch(
        session.connection(),
        "SELECT u.id, u.username, u.display_name, u.role, u.household_id, t.expires_at, a.id, a.level "
        "FROM auth_token t JOIN app_user u ON u.id = t.user_id LEFT JOIN user_area ua ON ua.user_id = u.id "
        "LEFT JOIN area a ON a.id = ua.area_id WHERE t.token_hash = ?",
        (_digest(token),),
    )
    if not rows:
        raise NotLoggedIn()
    user_id, username, display_name, role, household_id, expires_at, *_ = rows[0]
    expires_at = read_time(expires_at)
    if clock.aware(expires_at) <= now:
        raise NotLoggedIn()
    grants = [(r[6], r[7]) for r in rows if r[6] is not None]
    return _principal(user_id, username, display_name, role, household_id, grants, session_ends=expires_at)


def principal_for_user(session: Session, user: User) -> Principal:
    grants = session.execute(
        select(Area.id, Area.level).join(UserArea, UserArea.area_id == Area.id).where(UserArea.user_id == user.id)
    ).all()
    return _principal(user.id, user.username, user.display_name, user.role, user.household_id, grants)


def _principal(user_id, username, display_name, role, household_id, grants, session_ends=None) -> Principal:
    return Principal(
        user_id=user_id,
        username=username,
        display_name=display_name,
        role=Role(role),
        grants=tuple(AreaGrant(area_id=i, level=Level(lv)) for i, lv in grants),
        household_id=household_id,
        session_ends=session_ends,
    )
