"""Benchmark site planning: the heuristic's gap to HiGHS, a plan for the whole city, and its queues.

    uv run python bench/plan.py --quick                     # small gap instances, a 1M city: under a minute
    uv run python bench/plan.py                             # gap up to where HiGHS finishes; the full city
    uv run python bench/plan.py --people 5000000 --committees 1,2,4 --time-limit 60

1. Gap: random city-like instances (committees of compounds of buildings; candidates at each compound's
   square and each committee's yard; sites budgeted at one per 2,500 residents), growing until HiGHS no
   longer proves an instance optimal within --time-limit. The gap is the heuristic's objective over HiGHS's,
   averaged over the instances HiGHS proves optimal (target: at most 0.5 %).
2. City: buildings streamed from generate_city (no database). People who come to a site: residents minus
   those sampled at their door. Candidate sites, since the synthetic city has no map of open spaces: every
   compound's own point stands for its square (up to 4 desks) and every committee's point for a school yard
   or sports ground nearby (up to 8 desks); the guidance sets up points compound by compound and names
   school yards for the big ones (see planning/defaults.py). Planned subdistrict by subdistrict, with the
   sourced defaults. Planning time excludes generating the city (target: under 5 minutes).
3. Queues: 30-minute arrival slots per building, arrivals at random within the slot, every site simulated
   with its desks (vectorised; SimPy re-checks a few sites). Target: p95 wait at most 15 minutes. A stress
   case has everyone of a slot arrive in its first 10 minutes.
4. Door-to-door: routes (PyVRP) for the grid with the most people sampled at their door.

Writes bench/results/plan.json: mean_gap_pct, instances, city_people, city_seconds, p95_wait_min,
finish_hours, and the rest of the figures printed.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from city_generate import FULL_CITY, write_results  # noqa: E402

from gridscreen.planning.defaults import DEFAULTS  # noqa: E402
from gridscreen.planning.location import Instance, plan_sites, site_budgets, solve_exact  # noqa: E402
from gridscreen.sim.instances import city_like  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "plan.json"
console = Console()


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def gap_study(sizes: list[int], seeds: int, time_limit: float) -> tuple[list[dict], list[float]]:
    rows, gaps = [], []
    with progress_bar() as progress:
        task = progress.add_task("heuristic vs HiGHS", total=len(sizes) * seeds)
        for committees in sizes:
            found = []
            for seed in range(seeds):
                instance = city_like(committees, seed)
                started = time.perf_counter()
                heuristic = plan_sites(instance, seed=seed)
                heuristic_s = time.perf_counter() - started
                exact = solve_exact(instance, time_limit=time_limit, seed=seed)
                gap = 100 * (heuristic.objective / exact.plan.objective - 1) if exact.optimal else None
                found.append((instance, heuristic_s, exact, gap))
                progress.advance(task)
            proven = [g for *_, g in found if g is not None]
            gaps += proven
            rows.append(
                {
                    "committees": committees,
                    "buildings": round(np.mean([len(i.persons) for i, *_ in found])),
                    "candidates": round(np.mean([len(i.max_desks) for i, *_ in found])),
                    "sites": round(np.mean([sum(site_budgets(i)) for i, *_ in found]), 1),
                    "proven": f"{len(proven)}/{seeds}",
                    "mean_gap_pct": round(float(np.mean(proven)), 3) if proven else None,
                    "max_gap_pct": round(float(np.max(proven)), 3) if proven else None,
                    "heuristic_s": round(float(np.mean([h for _, h, _, _ in found])), 2),
                    "highs_s": round(float(np.mean([e.seconds for _, _, e, _ in found])), 2),
                }
            )
            if not proven:
                break  # HiGHS no longer finishes: larger instances would say nothing more
    return rows, gaps


def load_city(people: int, seed: int) -> dict[str, np.ndarray]:
    """Buildings, compounds and committees of the generated city, as arrays (no database)."""
    from gridscreen.sim.city import AREA_COLUMNS, generate_city
    from gridscreen.sim.plan import plan_city

    col = {name: i for i, name in enumerate(AREA_COLUMNS)}
    subdistricts = sum(len(d.subdistricts) for d in plan_city(people, seed).districts)
    rows: dict[str, list] = {"building": [], "compound": [], "committee": []}
    keys = ("lat", "lon", "subdistrict_id", "committee_id", "residents", "door_to_door", "id")
    with progress_bar() as progress:
        task = progress.add_task("generating the city", total=subdistricts)
        for chunk in generate_city(people, seed):
            for area in chunk.areas:
                level = area[col["level"]]
                if level in rows:
                    rows[level].append(tuple(area[col[k]] for k in keys))
                elif level == "subdistrict":
                    progress.advance(task)
    out = {}
    for level, values in rows.items():
        array = np.array([tuple(0 if v is None else v for v in row) for row in values], dtype=float)
        for i, key in enumerate(keys):
            out[f"{level}_{key}"] = array[:, i]
    return out


def city_instance(city: dict[str, np.ndarray]) -> tuple[Instance, int]:
    from gridscreen.planning.reach import project

    lat = np.concatenate([city["building_lat"], city["compound_lat"], city["committee_lat"]])
    lon = np.concatenate([city["building_lon"], city["compound_lon"], city["committee_lon"]])
    xy = project(lat, lon)
    n, n_compounds = len(city["building_lat"]), len(city["compound_lat"])
    desks = np.concatenate(
        [
            np.full(n_compounds, DEFAULTS.max_desks_compound),
            np.full(len(city["committee_lat"]), DEFAULTS.max_desks_school),
        ]
    )
    persons = (city["building_residents"] - city["building_door_to_door"]).astype(np.int64)
    site_group = np.concatenate([city["compound_subdistrict_id"], city["committee_subdistrict_id"]])
    instance = Instance.from_defaults(
        persons,
        xy[:n],
        xy[n:],
        desks,
        point_group=city["building_subdistrict_id"].astype(np.int64),
        site_group=site_group.astype(np.int64),
    )
    return instance, n_compounds


def plan_city(instance: Instance, seed: int):
    groups = len(np.unique(instance.point_group))
    with progress_bar() as progress:
        task = progress.add_task("planning, subdistrict by subdistrict", total=groups)
        started = time.perf_counter()
        plan = plan_sites(instance, seed=seed, progress=lambda done, total: progress.update(task, completed=done))
        return plan, time.perf_counter() - started


def city_figures(instance: Instance, plan, n_compounds: int, residents: int, seconds: float) -> dict:
    persons = np.asarray(instance.persons)
    on = plan.assignment >= 0
    walk = plan.walk[on]
    weight = persons[on].astype(float)
    order = np.argsort(walk)
    p95 = walk[order][np.searchsorted(np.cumsum(weight[order]), 0.95 * weight.sum())]
    opened = plan.open_sites
    desks = int(plan.desks.sum())
    return {
        "buildings": len(persons),
        "candidates": len(instance.max_desks),
        "sites": len(opened),
        "sites_compound_square": int((opened < n_compounds).sum()),
        "sites_school_yard": int((opened >= n_compounds).sum()),
        "desks": desks,
        "samplers": DEFAULTS.samplers_for(desks),
        "guidance_samplers": DEFAULTS.guidance_samplers(residents),
        "people_per_site": round(float(persons.sum()) / max(len(opened), 1)),
        "mean_walk_m": round(float(np.average(walk, weights=weight)), 1),
        "p95_walk_m": round(float(p95), 1),
        "max_walk_m": round(float(walk.max()), 1),
        "mean_walk_min": round(float(np.average(walk, weights=weight)) / DEFAULTS.walk_m_per_min, 2),
        "max_walk_min": round(float(walk.max()) / DEFAULTS.walk_m_per_min, 2),
        "unassigned_buildings": len(plan.unassigned),
        "unassigned_persons": plan.persons_unassigned,
        "unassigned_reasons": dict(Counter(str(u.reason) for u in plan.unassigned)),
        "over_capacity_sites": int((plan.load > instance.capacity + 1e-9).sum()),
        "plan_seconds": round(seconds, 1),
    }


def queue_figures(instance: Instance, plan, seed: int, check_sites: int) -> dict:
    from gridscreen.planning.queues import arrivals, simulate_queues
    from gridscreen.planning.slots import plan_slots

    started = time.perf_counter()
    slots = plan_slots(instance.persons, plan.assignment, plan.desks)
    site, minute = arrivals(slots, seed=seed)
    report = simulate_queues(site, minute, plan.desks, seed=seed, engine="vector")
    seconds = time.perf_counter() - started
    # Stress: everyone of a slot arrives in its first 10 minutes.
    bunched = simulate_queues(*arrivals(slots, seed=seed, spread_minutes=10), plan.desks, seed=seed, engine="vector")
    # SimPy on a few sites: the same waits, person by person.
    sample = np.isin(site, report.sites[:check_sites])
    check = simulate_queues(site[sample], minute[sample], plan.desks, seed=seed, engine="simpy")
    vector = simulate_queues(site[sample], minute[sample], plan.desks, seed=seed, engine="vector")
    return {
        "persons": int(len(site)),
        "slots": int(len(slots.point)),
        "p95_wait_min": round(report.overall_p95_wait, 2),
        "mean_wait_min": round(report.overall_mean_wait, 2),
        "worst_site_p95_wait_min": round(float(report.p95_wait.max()), 2),
        "max_queue": report.overall_max_queue,
        "finish_hours": round(report.overall_finish / 60, 2),
        "bunched_p95_wait_min": round(bunched.overall_p95_wait, 2),
        "bunched_max_queue": bunched.overall_max_queue,
        "sites_past_window": int(len(slots.overrun_sites())),
        "simpy_check_sites": int(min(check_sites, len(report.sites))),
        "simpy_max_difference_min": float(np.abs(check.wait - vector.wait).max(initial=0.0)),
        "simulate_seconds": round(seconds, 1),
    }


def routing_figures(city: dict[str, np.ndarray], seed: int) -> dict:
    """Routes for the grid with the most people to swab at their door: one stop per building (a visit of
    door_visit_minutes per person), teams from the committee's point, as many as an 8-hour day needs."""
    from gridscreen.planning.reach import project
    from gridscreen.planning.routing import Stop, Team, plan_routes

    door = city["building_door_to_door"]
    grid_of = city["building_committee_id"]
    per_grid = Counter(dict(zip(*np.unique(grid_of[door > 0], return_counts=True), strict=True)))
    grid, _ = per_grid.most_common(1)[0]
    mine = np.flatnonzero((grid_of == grid) & (door > 0))
    centre = np.flatnonzero(city["committee_id"] == grid)[0]
    lat = np.r_[city["building_lat"][mine], city["committee_lat"][centre]]
    lon = np.r_[city["building_lon"][mine], city["committee_lon"][centre]]
    xy = project(lat, lon)
    stops = [
        Stop(float(x), float(y), service_minutes=float(d) * DEFAULTS.door_visit_minutes)
        for (x, y), d in zip(xy[:-1], door[mine], strict=True)
    ]
    workload = sum(s.service_minutes for s in stops) * 1.5  # walking between doors, roughly half again
    teams = [Team(float(xy[-1, 0]), float(xy[-1, 1])) for _ in range(max(1, math.ceil(workload / 480)))]
    started = time.perf_counter()
    routes = plan_routes(stops, teams, seed=seed, iterations=2_000)
    back = int(max((r.back for r in routes.routes), default=0))
    return {
        "grid_buildings": len(stops),
        "door_persons": int(door[mine].sum()),
        "teams": len(teams),
        "visited": routes.visited,
        "unvisited": len(routes.unvisited),
        "walk_km": round(sum(r.walk_m for r in routes.routes) / 1000, 2),
        "last_back": f"{back // 60:02d}:{back % 60:02d}",
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small gap instances and a 1,000,000-person city")
    parser.add_argument("--people", type=int, default=FULL_CITY, help="residents of the city to plan")
    parser.add_argument("--committees", default="1,2,3,4,6,8,12,16", help="gap instance sizes, in committees")
    parser.add_argument("--seeds", type=int, default=3, help="gap instances per size")
    parser.add_argument("--time-limit", type=float, default=120.0, help="HiGHS seconds per instance")
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args()
    people = 1_000_000 if args.quick else args.people
    sizes = [1, 2, 3] if args.quick else [int(c) for c in args.committees.split(",") if c.strip()]
    seeds = 2 if args.quick else args.seeds
    time_limit = 20.0 if args.quick else args.time_limit

    console.print(f"[bold]1. heuristic vs HiGHS[/bold] on city-like instances of {sizes} committees")
    gap_rows, gaps = gap_study(sizes, seeds, time_limit)
    table = Table(title="optimality gap (objective: person-metres walked, penalty for anyone left out)")
    for heading in ("comm.", "bldgs", "cands", "sites", "proven", "gap %", "max %", "heur. s", "HiGHS s"):
        table.add_column(heading, justify="right")
    for row in gap_rows:
        table.add_row(*("–" if v is None else str(v) for v in row.values()))
    console.print(table)
    mean_gap = round(float(np.mean(gaps)), 3) if gaps else None
    console.print(f"mean gap over {len(gaps)} instances HiGHS proved optimal: {mean_gap} % (target ≤ 0.5 %)")

    console.print(f"[bold]2. the city[/bold]: {people:,} people, seed {args.seed}")
    started = time.perf_counter()
    city = load_city(people, args.seed)
    console.print(f"  generated in {time.perf_counter() - started:.0f} s (not counted)")
    instance, n_compounds = city_instance(city)
    plan, seconds = plan_city(instance, args.seed)
    figures = city_figures(instance, plan, n_compounds, people, seconds)
    console.print(f"[bold]3. queues[/bold] with default staffing ({DEFAULTS.swabs_per_desk_hour_pooled:g}/h a desk)")
    queues = queue_figures(instance, plan, args.seed, check_sites=20)
    console.print("[bold]4. door-to-door[/bold] routes for the busiest grid")
    routing = routing_figures(city, args.seed)

    for title, values in (
        ("city plan", figures),
        ("queues (minutes from the window's start)", queues),
        ("door-to-door", routing),
    ):
        table = Table(title=title)
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in values.items():
            table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
        console.print(table)
    console.print(
        f"planning {people:,} people took {seconds:.0f} s (target < 300 s); p95 wait "
        f"{queues['p95_wait_min']} min (target ≤ {DEFAULTS.p95_wait_target_minutes:g}); last swab after "
        f"{queues['finish_hours']} h of a {DEFAULTS.window_hours:g} h window"
    )
    write_results(
        RESULTS,
        {
            "mean_gap_pct": mean_gap,
            "instances": len(gaps),
            "city_people": people,
            "city_seconds": round(seconds, 1),
            "p95_wait_min": queues["p95_wait_min"],
            "finish_hours": queues["finish_hours"],
            "gap": gap_rows,
            "city": figures,
            "queues": queues,
            "routing": routing,
        },
    )


if __name__ == "__main__":
    main()
