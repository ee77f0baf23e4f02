"""Benchmark scan ingest through the HTTP API against the database's own fastest bulk path.

    uv run python bench/ingest.py --quick                       # small, under a minute
    uv run python bench/ingest.py --people 300000 --clients 4   # the full run

For each backend: a generated city, a running round, a real server process (uvicorn), several client
processes each posting batches of 100 scans from their own devices; then the same rows and tube updates
written by the database's bulk interface in one transaction (SQLite: executemany; PostgreSQL: COPY into a
staging table, then INSERT ... SELECT), which is the ceiling. Writes bench/results/ingest.json: rows with
backend, scans, clients, scans_per_s, p50_ms, p99_ms, raw_insert_per_s, ratio_to_ceiling; and where the machine's
time went while the clients posted: CPU milliseconds per batch of 100 in the server's processes, the clients'
and the database's (PostgreSQL's processes), and the share of the machine left idle.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results" / "ingest.json"
console = Console(width=max(Console().width, 140))  # a narrower table cuts its figures short


def client(batches_file: str, url: str, token: str, out: str) -> None:
    """One client process (a run of busy devices): post their batches in order, one request at a time, timing each.

    It uses the standard library's HTTP client on one kept-alive connection: the clients share the machine
    with the server, and a lighter client leaves more of it to the server being measured."""
    import http.client
    from urllib.parse import urlparse

    lines = Path(batches_file).read_text().splitlines()
    bodies = [(json.loads(line)["device_id"], line.encode()) for line in lines]
    latencies, stored = [], 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    address = urlparse(url)
    connection, device = None, None
    started, cpu = time.time(), sum(os.times()[:2])
    for device_id, body in bodies:
        if device_id != device:  # each device is a phone of its own, with its own connection
            if connection is not None:
                connection.close()
            connection, device = http.client.HTTPConnection(address.hostname, address.port, timeout=120), device_id
        t0 = time.perf_counter()
        while True:  # a device retries until the server answers
            try:
                connection.request("POST", "/api/scans", body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (ConnectionError, http.client.HTTPException):
                connection.close()
                continue
            if response.status < 500:
                break
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.status != 200:
            raise SystemExit(f"batch refused: {response.status} {payload[:300]!r}")
        stored += json.loads(payload)["stored"]
    ended = time.time()
    connection.close()
    cpu = sum(os.times()[:2]) - cpu
    Path(out).write_text(
        json.dumps({"start": started, "end": ended, "latencies": latencies, "stored": stored, "cpu": cpu})
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, people: int, scans: int, clients: int, workdir: Path) -> tuple[list[Path], list[dict]]:
    """City, round, sites and a sampler; the clients' batch files; the same scans as rows for the ceiling."""
    from sqlalchemy import select

    from gridscreen import migrate
    from gridscreen.areas.models import Area, Block, Level
    from gridscreen.auth import service as auth
    from gridscreen.auth.models import Role
    from gridscreen.auth.principal import AreaGrant, Principal
    from gridscreen.config import get_settings
    from gridscreen.db import make_engine, transaction
    from gridscreen.people.models import Person
    from gridscreen.planning import service as planning
    from gridscreen.planning.schemas import RoundBlockIn, RoundIn, SiteIn
    from gridscreen.sampling import service as sampling
    from gridscreen.sampling.barcode import make_barcode
    from gridscreen.sampling.pooling import pack_households
    from gridscreen.sampling.resident_code import sign_resident_code
    from gridscreen.sim.load import load_city

    engine = make_engine(url)
    migrate.upgrade(engine)
    load_city(engine, people=people, seed=1, progress=False)
    secret = get_settings().resident_code_key
    with transaction(engine) as session:
        city = session.scalar(select(Area).where(Area.level == Level.city))
        blocks = [RoundBlockIn(block_id=b, sample_date=date(2022, 4, 4)) for b in session.scalars(select(Block.id))]
        round_ = sampling.open_round(session, RoundIn(code="BENCH", name="bench", blocks=blocks), now=datetime.now(UTC))
        auth.create_user(
            session, username="bench", password="bench-password", role=Role.sampler, display_name="bench",
            area_ids=[city.id],
        )  # fmt: skip
        grant = Principal(0, "b", "b", Role.command, (AreaGrant(city.id, Level.city),))
        grids = session.scalars(select(Area).where(Area.level == Level.committee).order_by(Area.code)).all()
        sites = {
            g.id: planning.create_site(session, grant, round_.id, SiteIn(code=g.code, name="s", committee_id=g.id)).id
            for g in grids
        }
        rows = session.execute(
            select(Person.id, Person.household_id, Person.committee_id).order_by(
                Person.committee_id, Person.household_id
            )
        ).all()
        round_id = round_.id
    engine.dispose()
    by_grid: dict[int, dict[int, list[int]]] = {}
    for person_id, household_id, grid_id in rows:
        by_grid.setdefault(grid_id, {}).setdefault(household_id, []).append(person_id)
    files = [workdir / f"client-{k}.jsonl" for k in range(clients)]
    handles = [f.open("w") for f in files]
    raw, serial, taken, at = [], 1, 0, datetime.now(UTC) - timedelta(hours=1)
    for index, (grid_id, households) in enumerate(sorted(by_grid.items())):
        if taken >= scans:
            break
        members = list(households.values())
        device = f"bench-{grid_id}"
        seq, batch = 0, []
        for tube in pack_households([len(h) for h in members], 10):
            barcode = make_barcode("BN", serial)
            serial += 1
            persons = []
            for household, n in tube:
                persons += members[household][:n]
                members[household] = members[household][n:]
            for i, person in enumerate(persons):
                if taken >= scans:
                    break
                seq += 1
                taken += 1
                scan = {
                    "device_seq": seq, "tube": barcode, "site_id": sites[grid_id], "scanned_at": at.isoformat(),
                    "resident_code": sign_resident_code(person, secret=secret),
                    "close_tube": i == len(persons) - 1 and len(persons) < 10,
                }  # fmt: skip
                batch.append(scan)
                raw.append({"device": device, "seq": seq, "person": person, "barcode": barcode, "grid": grid_id})
                if len(batch) == 100:
                    handles[index % clients].write(
                        json.dumps({"device_id": device, "round_id": round_id, "scans": batch}) + "\n"
                    )
                    batch = []
        if batch:
            handles[index % clients].write(
                json.dumps({"device_id": device, "round_id": round_id, "scans": batch}) + "\n"
            )
    for h in handles:
        h.close()
    return files, raw


def _body(device: str, round_id: int, scans: list[dict]) -> str:
    return json.dumps({"device_id": device, "round_id": round_id, "scans": scans}) + "\n"


def serve(url: str, port: int, workers: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """A real server process (uvicorn, `workers` processes) on the database, answering once every worker is up.

    Waiting for each worker matters: a client's kept-alive connection stays with the worker that accepted
    it, so clients that connect while one worker is still starting would all land on the other."""
    env = {**os.environ, "GRIDSCREEN_DATABASE_URL": url, **(extra_env or {})}
    command = [sys.executable, "-m", "uvicorn", "gridscreen.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "info", "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    started = threading.Semaphore(0)

    def watch() -> None:  # uvicorn logs each worker's startup; anything else worth reading is passed on
        for line in server.stderr:
            if "Application startup complete" in line:
                started.release()
            elif "INFO" not in line:
                sys.stderr.write(line)
        for _ in range(workers):  # the server ended: stop waiting
            started.release()

    threading.Thread(target=watch, daemon=True).start()
    for _ in range(workers):
        if not started.acquire(timeout=120):
            server.kill()
            raise SystemExit("the server's workers did not start within two minutes")
    if server.poll() is not None:
        raise SystemExit("the server did not start")
    return server


def ceiling(url: str, raw: list[dict]) -> float:
    """The same scans and tube updates through the database's bulk path, in one transaction: rows per second."""
    from sqlalchemy import text

    from gridscreen.db import bulk_insert, is_postgres, make_engine

    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.connect() as conn:
        round_id = conn.execute(text("SELECT id FROM round WHERE code = 'BENCH'")).scalar()
        next_tube = conn.execute(text("SELECT COALESCE(MAX(id), 0) + 1 FROM tube")).scalar()
        conn.commit()
        tubes: dict[str, int] = {}
        for row in raw:
            tubes.setdefault("C" + row["barcode"], len(tubes) + next_tube)
        grid_of = {("C" + r["barcode"]): r["grid"] for r in raw}
        started = time.perf_counter()
        tube_rows = [(i, round_id, b, 0, grid_of[b], 10, 0, "open", False, now) for b, i in tubes.items()]
        bulk_insert(conn, "tube", ("id", "round_id", "barcode", "district_id", "committee_id", "pool_size", "members",
                                   "status", "retest", "opened_at"), tube_rows)  # fmt: skip
        scan_columns = ("round_id", "district_id", "committee_id", "device_id", "device_seq", "person_id", "tube_id",
                        "scanned_at", "received_at", "repeat")  # fmt: skip
        scan_rows = [
            (
                round_id,
                0,
                r["grid"],
                "c" + r["device"],
                r["seq"],
                r["person"],
                tubes["C" + r["barcode"]],
                now,
                now,
                False,
            )
            for r in raw
        ]
        if is_postgres(conn):
            conn.execute(text("CREATE TEMP TABLE scan_stage (LIKE scan INCLUDING DEFAULTS) ON COMMIT DROP"))
            bulk_insert(conn, "scan_stage", scan_columns, scan_rows)
            columns = ", ".join(scan_columns)
            conn.execute(text(f"INSERT INTO scan ({columns}) SELECT {columns} FROM scan_stage"))
            conn.execute(text(
                "UPDATE tube SET members = s.n FROM (SELECT tube_id, count(*) AS n FROM scan_stage GROUP BY tube_id) s "
                "WHERE tube.id = s.tube_id"
            ))  # fmt: skip
        else:
            bulk_insert(conn, "scan", scan_columns, scan_rows)
            conn.connection.driver_connection.executemany(
                "UPDATE tube SET members = members + 1 WHERE id = ?", [(row[6],) for row in scan_rows]
            )
        conn.commit()
        seconds = time.perf_counter() - started
    engine.dispose()
    return len(raw) / seconds


def _cpu_by_process(server: subprocess.Popen) -> tuple[dict[int, float], dict[int, float]]:
    """CPU seconds so far of the server's processes and of PostgreSQL's, by process id."""

    def seconds(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    root = psutil.Process(server.pid)
    ours = {p.pid: seconds(p) for p in [root, *root.children(recursive=True)]}
    database = {}
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "postgres":
            with suppress(psutil.NoSuchProcess):
                database[process.pid] = seconds(process)
    return ours, database


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def run_backend(backend: str, url: str, args, workdir: Path) -> dict:
    console.print(f"[bold]{backend}[/bold]: preparing a city of {args.people:,} and {args.scans:,} scans")
    files, raw = prepare(url, args.people, args.scans, args.clients, workdir)
    port = _free_port()
    workers = args.workers or 2
    server = serve(url, port, workers)
    try:
        import httpx

        token = httpx.post(f"http://127.0.0.1:{port}/api/auth/token",
                           json={"username": "bench", "password": "bench-password"}).json()["access_token"]  # fmt: skip
        outs = [workdir / f"out-{k}.json" for k in range(len(files))]
        machine, (ours, database) = psutil.cpu_times(), _cpu_by_process(server)
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--client",
                    str(f),
                    "--url",
                    f"http://127.0.0.1:{port}",
                    f"--token={token}",  # a token may start with "-"
                    "--out",
                    str(o),
                ]
            )  # fmt: skip
            for f, o in zip(files, outs, strict=True)
        ]
        for p in procs:
            if p.wait() != 0:
                raise SystemExit("a client failed")
        ours_after, database_after = _cpu_by_process(server)
        machine_after = psutil.cpu_times()
    finally:
        server.terminate()
        server.wait()
    results = [json.loads(o.read_text()) for o in outs]
    latencies = sorted(x for r in results for x in r["latencies"])
    stored = sum(r["stored"] for r in results)
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    raw_rate = ceiling(url, raw)
    rate = stored / seconds
    batches = sum(len(r["latencies"]) for r in results)
    total = sum(machine_after) - sum(machine)
    return {
        "backend": backend,
        "scans": stored,
        "clients": args.clients,
        "workers": workers,
        "scans_per_s": round(rate),
        "p50_ms": round(latencies[len(latencies) // 2], 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "raw_insert_per_s": round(raw_rate),
        "ratio_to_ceiling": round(rate / raw_rate, 3),
        "server_cpu_ms": round(_spent(ours, ours_after) / batches * 1000, 2),
        "client_cpu_ms": round(sum(r["cpu"] for r in results) / batches * 1000, 2),
        "db_cpu_ms": round(_spent(database, database_after) / batches * 1000, 2),
        "idle_pct": round((machine_after.idle - machine.idle) / total * 100, 1) if total else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--scans", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, help="server processes (default 2: one per core; SQLite's writers queue for its file)"
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--client")
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.client:
        client(args.client, args.url, args.token, args.out)
        return
    if args.quick:
        args.people, args.scans, args.clients = 20_000, 10_000, 2
    from gridscreen.testing.postgres import throwaway_postgres

    rows = []
    for backend in args.backends.split(","):
        with ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ingest-")))
            if backend == "sqlite":
                url = f"sqlite:///{workdir / 'ingest.db'}"
            else:
                url = stack.enter_context(throwaway_postgres(database="ingest"))
            rows.append(run_backend(backend, url, args, workdir))
    for title, keys in (("scan ingest through the API (batches of 100)", list(rows[0])[:9]),
                        ("where the time went: CPU ms per batch", ["backend", *list(rows[0])[9:]])):  # fmt: skip
        table = Table(title=title)
        for key in keys:
            table.add_column(key, justify="right")
        for row in rows:
            table.add_row(*(f"{row[k]:,}" if isinstance(row[k], int) else str(row[k]) for k in keys))
        console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
