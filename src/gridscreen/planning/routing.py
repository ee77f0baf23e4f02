"""Door-to-door routes: sampling teams walk from their base to households whose residents cannot come to a
site (bedridden, disabled, isolating) or that have a retest order, within each visit's time window and the
team's working hours. A vehicle-routing problem with time windows, solved by PyVRP. Pure: no database.

Times are minutes from midnight; PyVRP works in whole seconds and metres, so walks are rounded up to the
second, and the schedule reported is recomputed from those same integers (what PyVRP checked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from gridscreen.planning.defaults import DEFAULTS

__all__ = ["Routes", "Stop", "Team", "TeamRoute", "Unvisited", "UnvisitedReason", "Visit", "plan_routes"]

_HORIZON = 7 * 24 * 3600  # seconds: "no limit" for a time window, kept small for PyVRP's arithmetic


@dataclass(frozen=True, slots=True)
class Stop:
    """A household to visit: where (metres), how long the visit takes, and when it may start."""

    x: float
    y: float
    service_minutes: float = DEFAULTS.door_visit_minutes
    earliest: float = 0.0
    latest: float = math.inf  # latest start of the visit


@dataclass(frozen=True, slots=True)
class Team:
    """A sampling team: its base (where it starts and ends, metres) and working hours."""

    x: float
    y: float
    start: float = DEFAULTS.team_start_minute
    end: float = DEFAULTS.team_end_minute


@dataclass(frozen=True, slots=True)
class Visit:
    stop: int
    arrive: float  # minutes from midnight
    start: float  # visit starts (after waiting for the window to open, if early)
    end: float


@dataclass(frozen=True, slots=True)
class TeamRoute:
    team: int
    visits: tuple[Visit, ...]
    leave: float  # leaves base
    back: float  # back at base
    walk_m: float


class UnvisitedReason(StrEnum):
    out_of_reach = "no team can reach it within its time window and be back before its hours end"
    no_time = "no team time left"


@dataclass(frozen=True, slots=True)
class Unvisited:
    stop: int
    reason: UnvisitedReason


@dataclass(frozen=True, slots=True)
class Routes:
    routes: tuple[TeamRoute, ...]  # one per team that goes out, in team order
    unvisited: tuple[Unvisited, ...]

    @property
    def visited(self) -> int:
        return sum(len(r.visits) for r in self.routes)


def plan_routes(
    stops: list[Stop],
    teams: list[Team],
    *,
    walk_m_per_min: float = DEFAULTS.walk_m_per_min,
    detour: float = DEFAULTS.detour,
    seed: int = 0,
    iterations: int = 2_000,
) -> Routes:
    """Routes visiting as many stops as the teams' hours allow, then walking least. Deterministic for a
    seed (the search stops after `iterations`, never on the clock)."""
    import pyvrp
    from pyvrp.stop import MaxIterations

    n_teams = len(teams)
    xy = np.array([(t.x, t.y) for t in teams] + [(s.x, s.y) for s in stops], dtype=float).reshape(-1, 2)
    metres = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * detour).astype(np.int64)
    seconds = np.ceil(metres / (walk_m_per_min / 60.0) - 1e-9).astype(np.int64)
    team_start = np.array([_sec(t.start) for t in teams], dtype=np.int64)
    team_end = np.array([_sec(t.end) for t in teams], dtype=np.int64)
    early = np.array([_sec(s.earliest) for s in stops], dtype=np.int64)
    late = np.array([_sec(s.latest) for s in stops], dtype=np.int64)
    service = np.array([_sec(s.service_minutes) for s in stops], dtype=np.int64)

    reachable = _reachable(seconds, n_teams, team_start, team_end, early, late, service)
    unvisited = {i: UnvisitedReason.out_of_reach for i in np.flatnonzero(~reachable).tolist()}
    candidates = np.flatnonzero(reachable)
    if not len(candidates):
        return Routes((), _sorted(unvisited))

    model = pyvrp.Model()
    bases = [model.add_location(float(x), float(y)) for x, y in xy[:n_teams]]
    depots = [
        model.add_depot(base, tw_early=int(a), tw_late=int(b))
        for base, a, b in zip(bases, team_start, team_end, strict=True)
    ]
    for depot, a, b in zip(depots, team_start, team_end, strict=True):
        model.add_vehicle_type(1, start_depot=depot, end_depot=depot, tw_early=int(a), tw_late=int(b))
    # Visiting any stop must be worth more than the longest detour it could cost.
    prize = int(2 * metres.max() + 1_000)
    for i in candidates.tolist():
        location = model.add_location(float(xy[n_teams + i, 0]), float(xy[n_teams + i, 1]))
        model.add_client(
            location,
            service_duration=int(service[i]),
            tw_early=int(early[i]),
            tw_late=int(late[i]),
            prize=prize,
            required=False,
        )
    rows = np.r_[np.arange(n_teams), n_teams + candidates]
    data = model.data().replace(
        distance_matrices=[metres[np.ix_(rows, rows)]], duration_matrices=[seconds[np.ix_(rows, rows)]]
    )
    result = pyvrp.solve(data, MaxIterations(iterations), seed=seed, collect_stats=False, display=False)

    routes = []
    for route in sorted(result.best.routes(), key=lambda r: r.vehicle_type()):
        team = route.vehicle_type()
        order = [int(candidates[a.idx]) for a in route.schedule() if a.is_client()]
        visits, dropped = _schedule(order, team, n_teams, seconds, metres, team_start, team_end, early, late, service)
        unvisited.update(dict.fromkeys(dropped, UnvisitedReason.no_time))
        if visits:
            routes.append(visits)
    planned = {v.stop for r in routes for v in r.visits}
    for i in candidates.tolist():
        if i not in planned:
            unvisited.setdefault(i, UnvisitedReason.no_time)
    return Routes(tuple(routes), _sorted(unvisited))


def _sec(minutes: float) -> int:
    return _HORIZON if not math.isfinite(minutes) else min(_HORIZON, max(0, round(minutes * 60)))


def _sorted(unvisited: dict[int, UnvisitedReason]) -> tuple[Unvisited, ...]:
    return tuple(Unvisited(i, r) for i, r in sorted(unvisited.items()))


def _reachable(seconds, n_teams, team_start, team_end, early, late, service) -> np.ndarray:
    """Stops some team could visit on a trip of its own: there in the window, back before hours end."""
    if n_teams == 0:
        return np.zeros(len(early), dtype=bool)
    out_leg = seconds[:n_teams, n_teams:]  # team -> stop
    back_leg = seconds[n_teams:, :n_teams].T  # stop -> team
    begin = np.maximum(team_start[:, None] + out_leg, early[None, :])
    ok = (begin <= late[None, :]) & (begin + service[None, :] + back_leg <= team_end[:, None])
    return ok.any(axis=0)


def _schedule(order, team, n_teams, seconds, metres, team_start, team_end, early, late, service):
    """The route as walked: leave at the start of hours, wait for windows, drop any stop that would be late
    (none, when PyVRP's solution is feasible). Returns (TeamRoute or None, dropped stops)."""
    kept, dropped = list(order), []
    while True:
        at, now, walked, visits, late_stop = team, int(team_start[team]), 0, [], None
        for i in kept:
            arrive = now + int(seconds[at, n_teams + i])
            begin = max(arrive, int(early[i]))
            if begin > late[i]:
                late_stop = i
                break
            visits.append(Visit(i, arrive / 60, begin / 60, (begin + int(service[i])) / 60))
            walked += int(metres[at, n_teams + i])
            now, at = begin + int(service[i]), n_teams + i
        back = now + int(seconds[at, team])
        if late_stop is None and back > team_end[team] and kept:
            late_stop = kept[-1]
        if late_stop is None:
            break
        kept.remove(late_stop)
        dropped.append(late_stop)
    if not visits:
        return None, dropped
    walked += int(metres[at, team])
    return TeamRoute(team, tuple(visits), team_start[team] / 60, back / 60, float(walked)), dropped
