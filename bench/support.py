"""Benchmark residents' support: the ticket queues with many open tickets, the escalation sweep, and the
resident page under a whole city's load.

    uv run python bench/support.py --quick            # 20,000 people, 20,000 tickets, SQLite, under a minute
    uv run python bench/support.py                    # 1M people, 200,000 open tickets, SQLite and PostgreSQL

For each backend: a generated city with the demo users; --tickets open tickets spread over its households
(written in bulk, created over the last day, some acknowledged, the demo grid's given to the demo
volunteer); then
- the queue pages and APIs, timed in-process (median of --repeat after one warm-up);
- one escalation sweep six hours later (every overdue ticket moved one level up and its officers told,
  through a sender that only counts), timed;
- the resident page through a real server (uvicorn, 2 worker processes) under wrk, the load generator
  sharing the machine: --residents resident logins in turn, once with each process keeping a page for
  --page-seconds (after two such lifetimes of warm-up, measured for one whole lifetime or --seconds,
  whichever is longer), and once rendering every request (GRIDSCREEN_RESIDENT_PAGE_SECONDS=0).

Writes bench/results/support.json: one row per backend with `open_tickets`, `queue_page_ms` (page ->
median ms), `sweep_seconds`, `resident_page_rps`, `resident_page_p99_ms`, and the uncached figures.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from city_generate import database_urls, write_results  # noqa: E402
from ingest import _free_port, serve  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "support.json"
console = Console()
WRK_SCRIPT = """
local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/me", {["Cookie"] = "gs_session=" .. tokens[(n %% #tokens) + 1]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%f, "p50_ms": %%f, "p99_ms": %%f, "errors": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def prepare(url: str, people: int, tickets: int, residents: int, seed: int, workdir: Path) -> tuple:
    """City, demo users, open tickets, resident logins; returns the engine and the file of resident tokens."""
    import numpy as np
    from sqlalchemy import select

    from gridscreen import clock
    from gridscreen.areas.models import Area
    from gridscreen.auth.models import AuthToken, Role, User
    from gridscreen.auth.service import _digest, _hasher
    from gridscreen.db import bulk_insert, make_engine, transaction
    from gridscreen.migrate import upgrade
    from gridscreen.people.models import Household
    from gridscreen.sim.demo import create_demo_users
    from gridscreen.sim.load import load_city
    from gridscreen.support.models import Category
    from gridscreen.support.rules import DEFAULT_DEADLINES

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    load_city(engine, people=people, seed=seed, progress=True)
    console.print(f"  city of {people:,} generated in {time.perf_counter() - started:.0f} s")
    with transaction(engine) as session:
        create_demo_users(session)
    now = clock.now()
    rng = np.random.default_rng(seed)
    with transaction(engine, write=True) as session:
        rows = session.execute(
            select(Household.id, Household.committee_id, Area.subdistrict_id, Area.district_id)
            .join(Area, Area.id == Household.committee_id)
            .order_by(Household.id)
        ).all()
        volunteer, demo_grid = session.execute(
            select(User.id, Area.id).join(Area, Area.level == "committee").where(User.username == "volunteer")
            .order_by(Area.code).limit(1)
        ).one()  # fmt: skip
        picks = rng.integers(0, len(rows), tickets)
        categories = rng.choice(list(Category), tickets, p=[0.45, 0.25, 0.2, 0.02, 0.08])
        ages = rng.uniform(0, 24 * 3600, tickets)
        answered = rng.random(tickets) < 0.3
        ticket_rows = []
        for i, (pick, category, age, done) in enumerate(zip(picks, categories, ages, answered, strict=True), 1):
            household, grid, subdistrict, district = rows[pick]
            created = now - timedelta(seconds=float(age))
            ack, resolve = DEFAULT_DEADLINES[Category(category)]
            acknowledge_by, resolve_by = created + timedelta(minutes=ack), created + timedelta(minutes=resolve)
            ticket_rows.append((
                i, household, grid, subdistrict, district, category, f"bench need {i}", 1, "resident", 0,
                "acknowledged" if done else "open", "committee", volunteer if grid == demo_grid else None,
                created, created, acknowledge_by, resolve_by, resolve_by if done else acknowledge_by,
                created if done else None,
            ))  # fmt: skip
        columns = ("id", "household_id", "committee_id", "subdistrict_id", "district_id", "category", "details",
                   "people_affected", "channel", "filed_by", "status", "level", "assignee_id", "created_at",
                   "updated_at", "acknowledge_by", "resolve_by", "escalate_at", "acknowledged_at")  # fmt: skip
        bulk_insert(session.connection(), "ticket", columns, ticket_rows)
        # Resident logins, one per household, written directly: hashing thousands of passwords is not the point.
        password = _hasher().hash(secrets.token_urlsafe(12))
        homes = rng.choice(len(rows), min(residents, len(rows)), replace=False)
        tokens = [secrets.token_urlsafe(24) for _ in homes]
        first = (session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0) + 1
        users = [(first + k, f"bench_resident_{k}", password, Role.resident.value, "resident", rows[h][0])
                 for k, h in enumerate(homes.tolist())]  # fmt: skip
        bulk_insert(session.connection(), "app_user", ("id", "username", "password_hash", "role", "display_name",
                                                       "household_id"), users)  # fmt: skip
        logins = [(_digest(t), u[0], now, now + timedelta(hours=12)) for t, u in zip(tokens, users, strict=True)]
        bulk_insert(session.connection(), AuthToken.__tablename__, ("token_hash", "user_id", "created_at",
                                                                    "expires_at"), logins)  # fmt: skip
    from gridscreen.db import is_postgres, reset_sequences

    if is_postgres(engine):
        with engine.begin() as conn:
            reset_sequences(conn, ["ticket", "app_user"])
    token_file = workdir / f"tokens-{secrets.token_hex(4)}.txt"
    token_file.write_text("\n".join(tokens) + "\n")
    return engine, token_file


def queue_pages(engine, repeat: int) -> dict[str, float]:
    """Median in-process milliseconds of each queue page and API, after one warm-up."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from gridscreen import clock
    from gridscreen.app import create_app
    from gridscreen.areas.models import Area, Level
    from gridscreen.auth.service import log_in
    from gridscreen.db import transaction
    from gridscreen.sim.demo import DEMO_PASSWORD

    with transaction(engine, write=True) as session:
        token = {u: log_in(session, username=u, password=DEMO_PASSWORD, now=clock.now(), hours=2)
                 for u in ("command", "district", "grid", "volunteer")}  # fmt: skip
        city = session.scalar(select(Area.id).where(Area.level == Level.city))
    cases = {
        "api city queue": ("command", "/api/tickets", {}),
        "api city overdue": ("command", "/api/tickets", {"overdue": "true"}),
        "api district emergencies": ("district", "/api/tickets", {"category": "emergency"}),
        "page grid queue": ("grid", "/tickets", {}),
        "page district overdue": ("district", "/tickets", {"overdue": "true"}),
        "page volunteer queue": ("volunteer", "/tickets", {}),
        "page city panels": ("command", f"/areas/{city}", {}),
    }
    timings = {}
    with TestClient(create_app(engine, sweep_seconds=0)) as client:
        for name, (who, path, params) in cases.items():
            headers = {"Authorization": f"Bearer {token[who]}"}
            samples = []
            for attempt in range(repeat + 1):
                started = time.perf_counter()
                response = client.get(path, params=params, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {response.status_code} {response.text[:200]}")
                if attempt:
                    samples.append(elapsed)
            timings[name] = round(statistics.median(samples), 1)
    return timings


def escalation_sweep(engine) -> tuple[float, int, int]:
    from gridscreen import clock
    from gridscreen.support.worker import sweep

    class Counting:
        def send(self, recipient, text, *, urgent):
            pass

    started = time.perf_counter()
    swept = sweep(engine, now=clock.now() + timedelta(hours=6), sender=Counting())
    return time.perf_counter() - started, swept.escalated, swept.sent


def resident_load(url: str, token_file: Path, seconds: int, *, page_seconds: int) -> dict:
    """Requests per second and latency of the resident page through a real server, measured by wrk.

    With the page cache (page_seconds > 0), the load first runs for two page lifetimes: every household is
    asked for hundreds of times in each lifetime, so each process has then drawn each household's page and is
    re-drawing them as they expire, which is the state of a city some minutes into everyone checking. The
    measured run then lasts one whole lifetime, so it counts every re-draw once, not a lucky quiet stretch."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed for the resident-page load: apt-get install -y wrk")
    script = token_file.with_suffix(".lua")
    script.write_text(WRK_SCRIPT % token_file)
    port = _free_port()
    env = {"GRIDSCREEN_SUPPORT_SWEEP_SECONDS": "0", "GRIDSCREEN_RESIDENT_PAGE_SECONDS": str(page_seconds)}
    server = serve(url, port, workers=2, extra_env=env)
    try:
        warm_up = 2 * page_seconds if page_seconds > 0 else min(seconds, 5)
        _wrk(wrk, script, port, warm_up)
        found = _wrk(wrk, script, port, max(seconds, page_seconds))
        found["warm_up_s"] = warm_up
        return found
    finally:
        server.terminate()
        server.wait()


def _wrk(wrk: str, script: Path, port: int, seconds: int) -> dict:
    out = subprocess.run([wrk, "-t1", "-c64", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}/me"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    found = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    found["rps"] = found["requests"] / found["seconds"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 people and tickets, SQLite, short load")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=200_000, help="open tickets")
    parser.add_argument("--residents", type=int, default=2_000, help="resident logins taking turns under load")
    parser.add_argument("--seconds", type=int, default=20, help="least length of each measured load run")
    parser.add_argument(
        "--page-seconds",
        type=int,
        default=60,
        help="how long a server process keeps a resident page (the server's default is 60)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args()
    if args.quick:
        args.people, args.tickets, args.residents, args.seconds, args.repeat, args.backends = (
            20_000, 20_000, 500, 3, 3, "sqlite")  # fmt: skip
        args.page_seconds = 10
    rows = []
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="gridscreen-support-") as tmp:
        for backend in args.backends.split(","):
            console.rule(f"{backend}: {args.people:,} people, {args.tickets:,} open tickets")
            url = next(database_urls(backend, stack, Path(tmp)))
            engine, token_file = prepare(url, args.people, args.tickets, args.residents, args.seed, Path(tmp))
            pages = queue_pages(engine, args.repeat)
            sweep_s, escalated, sent = escalation_sweep(engine)
            console.print(f"  sweep: {escalated:,} tickets escalated, {sent:,} notifications sent in {sweep_s:.1f} s")
            cached = resident_load(url, token_file, args.seconds, page_seconds=args.page_seconds)
            uncached = resident_load(url, token_file, args.seconds, page_seconds=0)
            engine.dispose()
            rows.append({
                "backend": backend, "people": args.people, "open_tickets": args.tickets, "queue_page_ms": pages,
                "sweep_seconds": round(sweep_s, 2), "escalated": escalated, "notifications": sent,
                "residents": args.residents, "page_seconds": args.page_seconds,
                "resident_page_rps": round(cached["rps"]),
                "resident_page_p50_ms": round(cached["p50_ms"], 1), "resident_page_p99_ms": round(cached["p99_ms"], 1),
                "resident_page_errors": cached["errors"], "resident_page_rps_uncached": round(uncached["rps"]),
                "resident_page_p99_ms_uncached": round(uncached["p99_ms"], 1),
            })  # fmt: skip
    show(rows)
    write_results(RESULTS, rows)


def show(rows: list[dict]) -> None:
    table = Table(title="residents' support (queue pages in-process; resident page: 2 server processes, wrk alongside)")
    table.add_column("measure")
    for row in rows:
        table.add_column(row["backend"], justify="right")
    for name in rows[0]["queue_page_ms"]:
        table.add_row(f"{name} (ms)", *(f"{row['queue_page_ms'][name]:.1f}" for row in rows))
    measures = [
        ("open tickets", "open_tickets", "{:,}"), ("sweep (s)", "sweep_seconds", "{:.1f}"),
        ("tickets escalated", "escalated", "{:,}"), ("notifications sent", "notifications", "{:,}"),
        ("resident page req/s", "resident_page_rps", "{:,}"),
        ("resident page p50 (ms)", "resident_page_p50_ms", "{}"),
        ("resident page p99 (ms)", "resident_page_p99_ms", "{}"),
        ("resident page errors", "resident_page_errors", "{}"),
        ("uncached req/s", "resident_page_rps_uncached", "{:,}"),
        ("uncached p99 (ms)", "resident_page_p99_ms_uncached", "{}"),
    ]  # fmt: skip
    for label, key, shape in measures:
        table.add_row(label, *(shape.format(row[key]) for row in rows))
    console.print(table)


if __name__ == "__main__":
    main()
