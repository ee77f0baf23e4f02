"""The shared access helper: enumerates every route of the app so none escapes the deny-by-default checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

# Routes that act on the caller alone, not on an area: they are checked for 401 only.
NOT_AREA_SCOPED = {
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/blocks"),
    ("GET", "/api/rounds"),
    ("GET", "/api/rounds/{round_id}"),
    ("GET", "/api/labs"),
    ("GET", "/"),
    ("POST", "/logout"),
    ("GET", "/sampler"),  # the app shell: what it shows comes from the area-checked API
    ("GET", "/sampler/"),
    ("GET", "/api/notifications"),  # the caller's own
    ("GET", "/api/roster/sources"),  # the lists the caller imported (the command centre: all)
    ("GET", "/me"),  # a resident's own household
    ("POST", "/me/tickets"),
    ("GET", "/tickets"),  # the caller's own queue
    ("GET", "/api/ticket-deadlines"),
    ("GET", "/api/rounds/{round_id}/plan"),  # the round's figures, like the round itself
    ("GET", "/open311/v2/services.{fmt}"),  # the list of needs one can file, the same for everyone
    ("GET", "/open311/v2/services/{service_code}.{fmt}"),
}


@dataclass(frozen=True)
class RouteCase:
    method: str
    path: str
    url: str
    params: dict[str, Any]
    body: dict[str, Any] | None
    lab_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def is_public(route: APIRoute) -> bool:
    return bool((route.openapi_extra or {}).get("x-public"))


def declared_roles(route: APIRoute) -> frozenset | None:
    """The roles admitted by the route's `require(...)` dependency, or None when it has none."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        roles = getattr(dep.call, "allowed_roles", None)
        if roles is not None:
            return roles
        stack.extend(dep.dependencies)
    return None


@dataclass(frozen=True)
class MountedRoute:
    path: str  # as mounted in the app, prefixes included
    methods: frozenset[str]
    route: APIRoute


def all_routes(app) -> list[MountedRoute]:
    return [
        MountedRoute(ctx.path, frozenset(ctx.methods or ()), ctx.original_route)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
    ]


def protected_routes(app) -> list[MountedRoute]:
    return [r for r in all_routes(app) if not is_public(r.route)]


def route_cases(app, targets: dict[str, Any], bodies: dict[tuple[str, str], dict]) -> list[RouteCase]:
    """One case per method of every protected route, aimed at `targets` (ids inside someone's area)."""
    cases = []
    for mounted in protected_routes(app):
        url = re.sub(r"{(\w+)}", lambda m: str(targets[m.group(1)]), mounted.path)
        params = {p.alias: targets[p.name] for p in mounted.route.dependant.query_params if p.name in targets}
        for method in sorted(mounted.methods - {"HEAD"}):
            body = bodies.get((method, mounted.path))
            cases.append(RouteCase(method, mounted.path, url, params, body, targets.get("lab_id")))
    return cases
