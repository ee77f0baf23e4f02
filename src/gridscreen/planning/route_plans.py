"""Door-to-door routes of a grid in a round: the households with someone who cannot come to a site (or a
retest to take), visited in the order the route solver finds, by the grid's teams from the committee's
office within their working hours."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gridscreen.areas import service as areas
from gridscreen.areas.models import Area
from gridscreen.auth.principal import Principal
from gridscreen.db import bulk_insert
from gridscreen.people.models import Household, Person
from gridscreen.planning import service as rounds
from gridscreen.planning.defaults import DEFAULTS
from gridscreen.planning.models import Route, RouteStop
from gridscreen.planning.plans import metres_xy
from gridscreen.planning.routing import Stop, Team, plan_routes
from gridscreen.sampling.models import PersonRound
from gridscreen.sampling.tube_state import PersonStatus


@dataclass(frozen=True)
class GridRoutes:
    grid_id: int
    households: int
    visited: int
    unvisited: list[tuple[int, str]]  # household id, why
    routes: int


def plan_grid_routes(session: Session, principal: Principal, round_id: int, grid_id: int, *, seed: int = 0,
                     teams: int | None = None, iterations: int = 500) -> GridRoutes:  # fmt: skip
    """Plan (again) the door-to-door routes of a grid: every household with an immobile member, a member on
    hold or to resample. The grid's routes are used as its teams (`teams` are created when it has none)."""
    rounds.ensure_running(session, round_id)
    grid = areas.get_grid(session, principal, grid_id)
    # Retests are sampling's news; the routes only read who stands where.
    retest = select(PersonRound.person_id).where(
        PersonRound.round_id == round_id, PersonRound.committee_id == grid.id,
        PersonRound.status.in_([PersonStatus.hold, PersonStatus.to_resample]),
    )  # fmt: skip
    rows = session.execute(
        select(Household.id, Area.lat, Area.lon)
        .join(Area, Area.id == Household.building_id)
        .where(Household.id.in_(select(Person.household_id).where(
            Person.committee_id == grid.id, (Person.door_reasons != 0) | Person.id.in_(retest))))
        .order_by(Household.id)
    ).all()  # fmt: skip
    routes = list(session.scalars(select(Route).where(Route.round_id == round_id, Route.committee_id == grid.id)
                                  .order_by(Route.code)))  # fmt: skip
    if teams is None:  # enough teams that the visits fill about 70 % of a working day each
        day = DEFAULTS.team_end_minute - DEFAULTS.team_start_minute
        teams = max(1, math.ceil(len(rows) * DEFAULTS.door_visit_minutes / (0.7 * day)))
    for k in range(len(routes), teams):
        route = Route(
            round_id=round_id, code=f"D-{grid.code}-{k + 1}", committee_id=grid.id, district_id=grid.district_id
        )
        session.add(route)
        routes.append(route)
    session.flush()
    session.execute(delete(RouteStop).where(RouteStop.route_id.in_([r.id for r in routes])))
    placed = [r for r in rows if r.lat is not None]
    if not placed:
        return GridRoutes(grid.id, len(rows), 0, [(r.id, "no address position") for r in rows], len(routes))
    xy = metres_xy(np.array([r.lat for r in placed] + [grid.lat]), np.array([r.lon for r in placed] + [grid.lon]),
                 grid.lat, grid.lon)  # fmt: skip
    base = Team(float(xy[-1, 0]), float(xy[-1, 1]))
    found = plan_routes([Stop(float(x), float(y)) for x, y in xy[:-1]], [base] * len(routes), seed=seed,
                        iterations=iterations)  # fmt: skip
    stops = [(routes[r.team].id, seq, placed[v.stop].id, int(round(v.arrive)))
             for r in found.routes for seq, v in enumerate(r.visits, 1)]  # fmt: skip
    bulk_insert(session.connection(), RouteStop.__tablename__, ("route_id", "seq", "household_id", "arrive_minute"),
                stops)  # fmt: skip
    missed = [(placed[u.stop].id, u.reason.value) for u in found.unvisited]
    missed += [(r.id, "no address position") for r in rows if r.lat is None]
    return GridRoutes(grid.id, len(rows), found.visited, missed, len(routes))


def route_stops(session: Session, route_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """(household id, planned arrival minute) in visiting order, per route."""
    stops: dict[int, list[tuple[int, int]]] = {r: [] for r in route_ids}
    query = select(RouteStop).where(RouteStop.route_id.in_(route_ids)).order_by(RouteStop.route_id, RouteStop.seq)
    for stop in session.scalars(query):
        stops[stop.route_id].append((stop.household_id, stop.arrive_minute))
    return stops
