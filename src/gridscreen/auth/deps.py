"""Route-level authorisation: every route names the roles it admits; area checks happen in services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gridscreen import clock
from gridscreen.auth import service
from gridscreen.auth.exceptions import RoleNotAllowed
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.http import DbSession

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


def require(*roles: Role):
    """A dependency admitting only the given roles (401 when not logged in, 403 for other roles)."""
    allowed = frozenset(roles)

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            raise RoleNotAllowed(principal.role)
        return principal

    dependency.allowed_roles = allowed  # read by the shared access test
    return dependency


AnyUser = Annotated[Principal, Depends(require(*Role))]
StaffUser = Annotated[Principal, Depends(require(*STAFF_ROLES))]
# Those who keep the roster: adding and moving people.
RosterKeeper = Annotated[Principal, Depends(require(Role.district, Role.subdistrict, Role.grid))]
ResidentOrStaff = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.resident))]
