"""Benchmark the command centre's pages: server time per page on a generated city with a round under way.

    uv run python bench/dashboard.py --quick                        # 100,000 people, SQLite, under a minute
    uv run python bench/dashboard.py                                # 1M and the full city (24,870,895), both backends
    uv run python bench/dashboard.py --people 1000000 --backends postgres

For each size and backend: generate the city, open a round over all of it (everyone enrolled), run part of
the round through the real API (the first --grids grids: site waves, boxes, labs short of capacity so a
backlog stays), then time each page in-process (the app's own time: routing, queries, rendering; no
network). Each page is asked once to warm up, then --repeat times; the median is reported.

Writes bench/results/dashboard.json: one row per backend and size with `backend`, `people`, `grids_sampled`
and `page_ms` (page -> median server milliseconds), plus `max_ms`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from city_generate import FULL_CITY, database_urls, write_results  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "dashboard.json"
console = Console()


def prepare(url: str, people: int, grids: int, seed: int):
    """A city of `people`, a round over every block, and the first `grids` grids sampled through the API."""
    from fastapi.testclient import TestClient

    from gridscreen.app import create_app
    from gridscreen.db import make_engine, transaction
    from gridscreen.migrate import upgrade
    from gridscreen.sim.demo import create_demo_users
    from gridscreen.sim.load import load_city
    from gridscreen.sim.round import RoundPlan, simulate_round

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    load_city(engine, people=people, seed=seed, progress=True)
    console.print(f"  city generated in {time.perf_counter() - started:.0f} s")
    with transaction(engine) as session:
        create_demo_users(session)
    started = time.perf_counter()
    with TestClient(create_app(engine)) as client:
        from rich.progress import Progress

        with Progress(console=console) as progress:
            plan = RoundPlan(seed=seed, grids=grids, lab_capacity=200, in_progress=True)
            report = simulate_round(client, engine, plan, progress=progress)
    console.print(
        f"  round {report.round_id} opened over everyone and {report.grids} grids sampled "
        f"({report.scans:,} scans) in {time.perf_counter() - started:.0f} s"
    )
    return engine, report


def pages(engine, round_id: int) -> dict[str, str]:
    """One page of each kind the command centre and the grids open, at every level down to a household."""
    from sqlalchemy import select

    from gridscreen.areas.models import Area, Level
    from gridscreen.db import transaction
    from gridscreen.people.models import Household
    from gridscreen.sampling.models import GridCount

    with transaction(engine) as session:
        city = session.scalar(select(Area.id).where(Area.level == Level.city))
        # The grid with the most people still missing: the longest door-knock list.
        grid = session.scalar(
            select(GridCount.committee_id)
            .where(GridCount.round_id == round_id)
            .order_by((GridCount.not_sampled + GridCount.to_resample).desc(), GridCount.committee_id)
            .limit(1)
        )
        sampled_grid = session.scalar(
            select(GridCount.committee_id).where(GridCount.round_id == round_id, GridCount.tubes > 0).limit(1)
        )
        area = session.get(Area, sampled_grid)
        building = session.scalar(select(Area.id).where(Area.level == Level.building, Area.committee_id == area.id))
        household = session.scalar(select(Household.id).where(Household.building_id == building).limit(1))
        r = f"round={round_id}"
        return {
            "city": f"/areas/{city}?{r}",
            "city panels (live refresh)": f"/areas/{city}/panels?{r}",
            "city overview API": f"/api/rounds/{round_id}/overview?area_id={city}",
            "district": f"/areas/{area.district_id}?{r}",
            "subdistrict": f"/areas/{area.subdistrict_id}?{r}",
            "grid": f"/areas/{area.id}?{r}",
            "building": f"/areas/{building}?{r}",
            "household": f"/households/{household}",
            "door-knock list (largest grid)": f"/areas/{grid}/door-knocks?{r}",
            "missing export .xlsx (largest grid)": f"/areas/{grid}/missing.xlsx?{r}",
        }


def time_pages(engine, urls: dict[str, str], repeat: int) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from gridscreen.app import create_app
    from gridscreen.sim.demo import DEMO_PASSWORD

    timings = {}
    with TestClient(create_app(engine)) as client:
        token = client.post("/api/auth/token", json={"username": "command", "password": DEMO_PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for name, url in urls.items():
            first = client.get(url, headers=headers)
            if first.status_code != 200:
                raise RuntimeError(f"{url} -> {first.status_code}: {first.text[:200]}")
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(url, headers=headers)
                samples.append((time.perf_counter() - started) * 1000)
            timings[name] = round(statistics.median(samples), 1)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 people on SQLite, 5 grids sampled")
    parser.add_argument("--people", default=f"1000000,{FULL_CITY}", help="comma-separated city sizes")
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--grids", type=int, default=40, help="grids sampled through the API before timing")
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args()
    sizes = [100_000] if args.quick else [int(p) for p in args.people.split(",") if p.strip()]
    backends = ["sqlite"] if args.quick else [b.strip() for b in args.backends.split(",") if b.strip()]
    grids = 5 if args.quick else args.grids
    rows = []
    for backend in backends:
        if backend not in ("sqlite", "postgres"):
            parser.error(f"unknown backend {backend!r}")
        with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="gridscreen-bench-") as workdir:
            urls = database_urls(backend, stack, Path(workdir))
            for people in sizes:
                console.print(f"[bold]{backend}[/bold]: {people:,} people")
                engine, report = prepare(next(urls), people, grids, args.seed)
                timings = time_pages(engine, pages(engine, report.round_id), args.repeat)
                engine.dispose()
                rows.append(
                    {
                        "backend": backend,
                        "people": people,
                        "grids_sampled": report.grids,
                        "page_ms": timings,
                        "max_ms": max(timings.values()),
                    }
                )
    table = Table(title="server time per page, median ms (a round under way)")
    table.add_column("page")
    for r in rows:
        table.add_column(f"{r['backend']} {r['people']:,}", justify="right")
    for name in rows[0]["page_ms"] if rows else []:
        table.add_row(name, *(f"{r['page_ms'][name]:.1f}" for r in rows))
    console.print(table)
    write_results(RESULTS, rows)


if __name__ == "__main__":
    main()
