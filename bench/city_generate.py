"""Benchmark `load_city`: persons per second and peak memory, per backend, each run in its own process.

    uv run python bench/city_generate.py --quick                 # small sizes, under a minute
    uv run python bench/city_generate.py --people 2000000        # one medium run per backend
    uv run python bench/city_generate.py --backends sqlite       # the full city (24,870,895) on SQLite

Writes bench/results/city_generate.json: one row per run with backend, people, seconds, persons_per_s and
peak_rss_mb (the loading process only; the PostgreSQL server's memory is not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results" / "city_generate.json"
QUICK_SIZES = (20_000, 200_000)
FULL_CITY = 24_870_895
console = Console()


def child(url: str, people: int, seed: int, out: str, progress: bool) -> None:
    """Run one load in this (fresh) process and write its figures to `out`."""
    from gridscreen.db import make_engine
    from gridscreen.migrate import upgrade
    from gridscreen.sim.load import load_city

    engine = make_engine(url)
    upgrade(engine)
    summary = load_city(engine, people=people, seed=seed, progress=progress)
    engine.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    figures = {"seconds": summary.seconds, "households": summary.households, "areas": sum(summary.areas.values())}
    figures["peak_rss_mb"] = peak_kb / 1024
    Path(out).write_text(json.dumps(figures))


def run_one(backend: str, url: str, people: int, seed: int, progress: bool) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    try:
        command = [sys.executable, __file__, "--child", url, "--people", str(people), "--seed", str(seed)]
        command += ["--out", out] + ([] if progress else ["--no-progress"])
        subprocess.run(command, check=True)
        figures = json.loads(Path(out).read_text())
    finally:
        os.unlink(out)
    return {
        "backend": backend,
        "people": people,
        "seconds": round(figures["seconds"], 2),
        "persons_per_s": round(people / figures["seconds"]),
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
    }


def database_urls(backend: str, stack: ExitStack, workdir: Path):
    """Yield a URL to a new, empty database for each run on this backend."""
    if backend == "sqlite":
        while True:
            path = workdir / f"city-{uuid.uuid4().hex[:8]}.db"
            yield f"sqlite:///{path}"
    from sqlalchemy import create_engine, text

    from gridscreen.testing.postgres import throwaway_postgres

    server = stack.enter_context(throwaway_postgres())
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    stack.callback(admin.dispose)
    while True:
        name = f"city_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES} instead of --people")
    parser.add_argument("--people", type=int, default=FULL_CITY, help="residents for the run (default: full city)")
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.people, args.seed, args.out, progress=not args.no_progress)
        return

    sizes = QUICK_SIZES if args.quick else (args.people,)
    rows = []
    started = time.perf_counter()
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend not in ("sqlite", "postgres"):
            parser.error(f"unknown backend {backend!r}")
        with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="gridscreen-bench-") as workdir:
            urls = database_urls(backend, stack, Path(workdir))
            for people in sizes:
                console.print(f"[bold]{backend}[/bold]: {people:,} people")
                rows.append(run_one(backend, next(urls), people, args.seed, progress=not args.no_progress))

    table = Table(title=f"city generate (seed {args.seed}, {time.perf_counter() - started:.0f} s in all)")
    for column in ("backend", "people", "seconds", "persons/s", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for r in rows:
        table.add_row(
            r["backend"],
            f"{r['people']:,}",
            f"{r['seconds']:.1f}",
            f"{r['persons_per_s']:,}",
            f"{r['peak_rss_mb']:,.0f}",
        )
    console.print(table)
    write_results(RESULTS, rows)


def write_results(path: Path, rows: list[dict]) -> None:
    """bench/results/<script>.json: the rows a run printed, for comparing runs (results are not committed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2) + "\n")
    console.print(f"written {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
