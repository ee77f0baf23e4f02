"""Door-to-door routes: time windows and working hours hold, every stop is visited or explained."""

from __future__ import annotations

import numpy as np

from gridscreen.planning.routing import Stop, Team, UnvisitedReason, plan_routes

SPEED = 75.0  # metres a minute
DETOUR = 1.3


def minutes_between(a, b) -> float:
    return np.ceil(np.rint(np.hypot(a.x - b.x, a.y - b.y) * DETOUR) / (SPEED / 60) - 1e-9) / 60


def random_stops(seed: int, n: int) -> list[Stop]:
    rng = np.random.default_rng(seed)
    opens = rng.choice([480.0, 600.0, 780.0], size=n)
    return [
        Stop(float(x), float(y), service_minutes=5.0, earliest=float(e), latest=float(e + 90))
        for (x, y), e in zip(rng.random((n, 2)) * 1_500, opens, strict=True)
    ]


def check(routes, stops, teams):
    seen = []
    for route in routes.routes:
        team = teams[route.team]
        assert route.leave >= team.start
        place, clock = team, route.leave
        for visit in route.visits:
            stop = stops[visit.stop]
            assert visit.arrive >= clock + minutes_between(place, stop) - 1e-9
            assert stop.earliest - 1e-9 <= visit.start <= stop.latest + 1e-9
            assert visit.start >= visit.arrive - 1e-9
            assert visit.end == visit.start + stop.service_minutes
            place, clock = stop, visit.end
            seen.append(visit.stop)
        assert route.back >= clock + minutes_between(place, team) - 1e-9
        assert route.back <= team.end + 1e-9
    missed = [u.stop for u in routes.unvisited]
    assert sorted(seen + missed) == list(range(len(stops)))


def test_routes_keep_to_time_windows_and_working_hours():
    stops = random_stops(0, 30)
    teams = [Team(0.0, 0.0, 480, 1_020), Team(1_500.0, 1_500.0, 480, 1_020)]
    routes = plan_routes(stops, teams, seed=1, iterations=300, walk_m_per_min=SPEED, detour=DETOUR)
    check(routes, stops, teams)
    assert routes.visited == 30


def test_a_stop_no_team_can_reach_in_time_is_reported_out_of_reach():
    teams = [Team(0.0, 0.0, 480, 540)]
    stops = [
        Stop(100.0, 0.0, earliest=480, latest=600),
        Stop(100.0, 0.0, earliest=300, latest=400),  # window closes before the team starts
        Stop(50_000.0, 0.0, earliest=480, latest=600),  # too far to walk there and back in the hours
    ]
    routes = plan_routes(stops, teams, iterations=100)
    check(routes, stops, teams)
    assert {u.stop: u.reason for u in routes.unvisited} == {
        1: UnvisitedReason.out_of_reach,
        2: UnvisitedReason.out_of_reach,
    }


def test_when_hours_run_out_the_stops_left_are_reported_with_no_time():
    teams = [Team(0.0, 0.0, 480, 540)]
    stops = [Stop(200.0 * i, 0.0, service_minutes=20.0, earliest=480, latest=540) for i in range(1, 6)]
    routes = plan_routes(stops, teams, iterations=200, walk_m_per_min=SPEED, detour=DETOUR)
    check(routes, stops, teams)
    assert 1 <= routes.visited < 5
    assert all(u.reason is UnvisitedReason.no_time for u in routes.unvisited)


def test_the_same_seed_gives_the_same_routes():
    stops = random_stops(2, 20)
    teams = [Team(0.0, 0.0), Team(800.0, 800.0)]
    a = plan_routes(stops, teams, seed=3, iterations=200)
    b = plan_routes(stops, teams, seed=3, iterations=200)
    assert a == b


def test_no_teams_or_no_stops():
    assert plan_routes([], [Team(0.0, 0.0)]).routes == ()
    lonely = plan_routes([Stop(0.0, 0.0)], [])
    assert [u.reason for u in lonely.unvisited] == [UnvisitedReason.out_of_reach]
