"""Route-level authorisation: every route names the roles it admits; area checks happen in services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gridscreen import clock
from gridscreen.auth import service
from gridscreen.auth.exceptions import RoleNotAllowed
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.http import DbSession, ReadSession

SESSION_COOKIE = "gs_session"


def request_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.url.path.startswith("/open311/") and request.query_params.get("api_key"):
        return request.query_params["api_key"]  # Open311 clients send their key as a parameter
    return request.cookies.get(SESSION_COOKIE)


def current_principal(request: Request, db: DbSession) -> Principal:
    principal = service.principal_for_token(db, token=request_token(request), now=clock.now())
    request.state.principal = principal
    return principal


def reading_principal(request: Request, db: ReadSession) -> Principal:
    """The caller, found through a session that only reads (for routes that open their own write)."""
    return current_principal(request, db)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
ReadingPrincipal = Annotated[Principal, Depends(reading_principal)]


def require(*roles: Role, reading: bool = False):
    """A dependency admitting only the given roles (401 when not logged in, 403 for other roles). `reading`:
    the caller is found without the request's write transaction, for a route that opens its own."""
    allowed = frozenset(roles)

    def admit(principal: Principal) -> Principal:
        if principal.role not in allowed:
            raise RoleNotAllowed(principal.role)
        return principal

    # Two definitions, not one with a variable in its annotation: FastAPI reads annotations by name. They
    # are coroutines because they wait on nothing: a plain function would cost a trip to the thread pool.
    if reading:

        async def dependency(principal: ReadingPrincipal) -> Principal:
            return admit(principal)

    else:

        async def dependency(principal: CurrentPrincipal) -> Principal:
            return admit(principal)

    dependency.allowed_roles = allowed  # read by the shared access test
    return dependency


AnyUser = Annotated[Principal, Depends(require(*Role))]
StaffUser = Annotated[Principal, Depends(require(*STAFF_ROLES))]
# Those who keep the roster: adding and moving people.
RosterKeeper = Annotated[Principal, Depends(require(Role.district, Role.subdistrict, Role.grid))]
ResidentOrStaff = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.resident))]
