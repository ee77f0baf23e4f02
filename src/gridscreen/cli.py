"""The command line: thin commands that open a transaction, call services and show progress."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, or_, select

from gridscreen import db, migrate
from gridscreen.areas.models import Area
from gridscreen.config import get_settings
from gridscreen.errors import DomainError

app = typer.Typer(help="gridscreen: city-wide mass screening campaigns.", no_args_is_help=True)
city_app = typer.Typer(help="The synthetic city.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(city_app, name="city")
app.add_typer(db_app, name="db")
round_app = typer.Typer(help="Screening rounds.", no_args_is_help=True)
app.add_typer(round_app, name="round")
plan_app = typer.Typer(
    help="Site plans: sites, desks, arrival slots; re-planning when a site closes.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")
roster_app = typer.Typer(help="Registry lists and door-to-door sweeps.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")
support_app = typer.Typer(help="Residents' needs: tickets, escalation, notifications.", no_args_is_help=True)
app.add_typer(support_app, name="support")
console = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema (Alembic) at GRIDSCREEN_DATABASE_URL."""
    migrate.upgrade(db.get_engine())
    console.print(f"schema up to date at {_safe_url()}")


# What the roster commands that read lists take.
ListFiles = Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help=".csv, .xlsx or .json lists")]
SourceKind = Annotated[str, typer.Option(help="registry, rental, telecom or sweep")]
ColumnMapping = Annotated[
    str, typer.Option(help='which column is which field, e.g. "name=姓名,document_number=身份证号码"')
]


@roster_app.command("check")
def roster_check(
    files: ListFiles,
    source_kind: SourceKind,
    mapping: ColumnMapping = "",
    skip_bad_rows: Annotated[bool, typer.Option(help="read the good rows of a file that has bad ones")] = False,
) -> None:
    """Read lists as reconciliation will: say which rows cannot be used (file, row, reason) and which ID numbers
    need a look (Excel-mangled, a wrong check character with its likely repairs). Exits 1 if a file is refused."""
    from gridscreen.roster.importer import parse_mapping, read_source

    try:
        columns = parse_mapping(mapping)
        read = [read_source(f, source_kind=source_kind, mapping=columns, skip_bad_rows=skip_bad_rows) for f in files]
    except DomainError as exc:
        _fail(str(exc))
    table = Table(title="rows to look at")
    for column in ("file", "row", "kept", "why"):
        table.add_column(column)
    for source in read:
        for problem in source.skipped:
            table.add_row(problem.file, str(problem.row), "no", problem.reason)
        for problem in source.flagged:
            table.add_row(problem.file, str(problem.row), "yes", problem.reason)
    if table.row_count:
        console.print(table)
    for f, source in zip(files, read, strict=True):
        console.print(f"{f.name}: {len(source.records):,} records read, {len(source.skipped):,} rows skipped, "
                      f"{len(source.flagged):,} ID numbers to check")  # fmt: skip


@roster_app.command("import")
def roster_import(
    files: ListFiles,
    source_kind: SourceKind,
    mapping: ColumnMapping = "",
    skip_bad_rows: Annotated[bool, typer.Option(help="store the good rows of a file that has bad ones")] = False,
    grid: Annotated[str | None, typer.Option(help="code of the grid a sweep list comes from")] = None,
) -> None:
    """Store lists for reconciliation, each record placed at the building its address names. All files are
    checked first; if one is refused, nothing is stored (exit 1)."""
    from gridscreen import clock
    from gridscreen.roster.importer import parse_mapping, read_source
    from gridscreen.roster.service import import_source

    try:
        columns = parse_mapping(mapping)
        read = [read_source(f, source_kind=source_kind, mapping=columns, skip_bad_rows=skip_bad_rows) for f in files]
        with db.transaction(db.get_engine(), write=True) as session:
            grid_id = session.scalar(select(Area.id).where(Area.code == grid)) if grid else None
            if grid and grid_id is None:
                _fail(f"no area has the code {grid}")
            operator = _operator(session)
            stored = [import_source(session, operator, r, file_name=f.name, grid_id=grid_id, now=clock.now())
                      for f, r in zip(files, read, strict=True)]  # fmt: skip
    except DomainError as exc:
        _fail(str(exc))
    for f, source, r in zip(files, stored, read, strict=True):
        console.print(f"{f.name}: source {source.id}, {source.records:,} records stored "
                      f"({source.unplaced:,} at no building of the city), {len(r.skipped):,} rows skipped, "
                      f"{source.flagged:,} ID numbers to check")  # fmt: skip
        for problem in r.skipped:
            console.print(f"  skipped row {problem.row}: {problem.reason}")


@roster_app.command("reconcile")
def roster_reconcile() -> None:
    """Link every stored record into persons (keeping every clerk's decision), refresh the review queue and
    the door-knock tasks, write the roster into the households and persons rounds count, and print the run's
    figures."""
    from gridscreen import clock
    from gridscreen.roster.reconciling import reconcile_roster

    with console.status("reconciling") as status:
        try:
            with db.transaction(db.get_engine(), write=True) as session:
                run = reconcile_roster(session, now=clock.now(), progress=lambda step: status.update(step))
        except DomainError as exc:
            _fail(str(exc))
    table = Table(title=f"reconciliation run {run.id}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    figures = [
        ("records", run.records), ("persons", run.persons), ("on a list, not at the door", run.not_at_door),
        ("pairs for a clerk", run.review_pairs), ("door-knock tasks opened", run.tasks_opened),
        ("tasks closed (found since)", run.tasks_closed), ("residents joined or back", run.persons_joined),
        ("residents moved", run.persons_moved), ("residents gone", run.persons_left),
    ]  # fmt: skip
    for label, value in figures:
        table.add_row(label, f"{value:,}")
    table.add_row("seconds", f"{run.seconds:.1f}")
    console.print(table)


@roster_app.command("sources")
def roster_sources(
    out: Annotated[Path, typer.Option(file_okay=False, help="folder to write registry.csv, rental.csv, ...")],
    people: Annotated[int, typer.Option(min=1_000, help="residents of the synthetic city (as it was generated)")],
    seed: Annotated[int, typer.Option(help="the seed the city was generated with")] = 2022,
) -> None:
    """Write the four noisy lists of the synthetic city (registry, rental, telecom, sweep) as CSV files, the
    way a city would hand them over: for the demo and for trying the import."""
    import csv

    from rich.progress import track

    from gridscreen.roster.service import RECORD_FIELDS
    from gridscreen.sim.sources import SOURCE_KINDS, generate_sources

    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        writers = {}
        for kind in SOURCE_KINDS:
            handle = stack.enter_context((out / f"{kind}.csv").open("w", newline="", encoding="utf-8"))
            writers[kind] = csv.writer(handle)
            writers[kind].writerow(RECORD_FIELDS)
        counts = dict.fromkeys(SOURCE_KINDS, 0)
        for batch in track(generate_sources(people, seed), description="writing lists", console=console):
            columns = batch.records.to_pydict()
            for k, kind in enumerate(columns["source_kind"]):
                writers[kind].writerow([columns[f][k] if f in columns else None for f in RECORD_FIELDS])
                counts[kind] += 1
    for kind, count in counts.items():
        console.print(f"{out / (kind + '.csv')}: {count:,} records")


@plan_app.command("make")
def plan_make(
    round_id: Annotated[int, typer.Option("--round", min=1, help="the round to plan")],
    seed: Annotated[int, typer.Option(min=0, help="same seed, same plan")] = 0,
) -> None:
    """Plan the round's sampling sites, desks and each building's arrival slot, and print the plan's figures."""
    from rich.progress import Progress

    from gridscreen import clock
    from gridscreen.planning import plans

    engine = db.get_engine()
    try:
        with Progress(console=console) as progress, db.transaction(engine, write=True) as session:
            task = progress.add_task("planning sites, one subdistrict at a time", total=None)

            def step(_stage: str, done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            figures = plans.make_plan(session, round_id, now=clock.now(), seed=seed, progress=step)
    except DomainError as exc:
        _fail(str(exc))
    _print_plan(figures)


@plan_app.command("routes")
def plan_routes(
    round_id: Annotated[int, typer.Option("--round", min=1)],
    grid: Annotated[int | None, typer.Option(min=1, help="one grid (default: every grid of the round)")] = None,
    seed: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Plan door-to-door routes: households of the immobile, of pooled positives on hold and of resamples."""
    from rich.progress import Progress

    from gridscreen.planning import route_plans
    from gridscreen.planning import service as rounds

    engine = db.get_engine()
    visited = missed = households = 0
    try:
        with db.transaction(engine, write=True) as session:
            operator = _operator(session)
            grids = [grid] if grid else [a.id for a in _round_grids(session, rounds, round_id)]
            with Progress(console=console) as progress:
                task = progress.add_task("routing door-to-door teams, grid by grid", total=len(grids))
                for grid_id in grids:
                    found = route_plans.plan_grid_routes(session, operator, round_id, grid_id, seed=seed)
                    households, visited, missed = households + found.households, visited + found.visited, missed + len(
                        found.unvisited)  # fmt: skip
                    progress.advance(task)
    except DomainError as exc:
        _fail(str(exc))
    console.print(f"{len(grids)} grids: {households:,} households to visit, {visited:,} on a route, {missed:,} not")


def _round_grids(session, rounds, round_id: int) -> list:
    from gridscreen.areas.models import Level
    from gridscreen.auth.principal import inside

    covered = [inside(Area, a.id, Level(a.level)) for a in rounds.block_areas(session, round_id)]
    return list(session.scalars(select(Area).where(Area.level == Level.committee, or_(*covered)).order_by(Area.code)))


@plan_app.command("close-site")
def plan_close_site(
    round_id: Annotated[int, typer.Option("--round", min=1)],
    site_id: Annotated[int, typer.Option("--site", min=1, help="the site that shuts")],
) -> None:
    """A site shuts mid-round: move its buildings to the nearest sites with room, nobody else."""
    from gridscreen import clock
    from gridscreen.planning import plan_queries, plans

    engine = db.get_engine()
    try:
        with db.transaction(engine, write=True) as session:
            operator = _operator(session)
            moved = plans.close_site(session, operator, round_id, site_id, now=clock.now())
            figures = plan_queries.get_plan(session, round_id)
    except DomainError as exc:
        _fail(str(exc))
    console.print(f"site {site_id} closed; {len(moved)} buildings moved to other sites")
    _print_plan(figures)


def _operator(session):
    """Whoever runs the command line acts for the command centre: the whole city."""
    from gridscreen.areas.models import Level
    from gridscreen.auth.models import Role
    from gridscreen.auth.principal import AreaGrant, Principal

    city = session.scalar(select(Area).where(Area.level == Level.city))
    return Principal(0, "cli", "command line", Role.command, (AreaGrant(city.id, Level.city),))


def _print_plan(figures) -> None:
    from rich.table import Table

    table = Table(title=f"site plan of round {figures.round_id}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in [
        ("buildings", f"{figures.buildings:,}"), ("people going to a site", f"{figures.persons:,}"),
        ("people swabbed at their door", f"{figures.door_to_door:,}"),
        ("people without a site", f"{figures.persons_unassigned:,}"), ("sites open", f"{figures.sites_open:,}"),
        ("desks", f"{figures.desks:,}"), ("samplers", f"{figures.samplers:,}"),
        ("mean walk (m)", f"{figures.mean_walk_m:.0f}"), ("longest walk (m)", f"{figures.max_walk_m:.0f}"),
        ("p95 wait (min, simulated)", f"{figures.p95_wait_min:.1f}"), ("longest queue", f"{figures.max_queue:,}"),
        ("last swab (hours after opening)", f"{figures.finish_hours:.1f}"),
        ("planned in (s)", f"{figures.seconds:.1f}"),
    ]:  # fmt: skip
        table.add_row(label, value)
    console.print(table)


@support_app.command("sweep")
def support_sweep() -> None:
    """Escalate every ticket whose deadline passed unanswered and send queued notifications, once (for a
    scheduler when the server's own timer is off: GRIDSCREEN_SUPPORT_SWEEP_SECONDS=0)."""
    from gridscreen import clock
    from gridscreen.support.worker import sweep

    try:
        swept = sweep(db.get_engine(), now=clock.now())
    except ValueError as exc:  # e.g. the SMS sender chosen without its gateway
        _fail(str(exc))
    console.print(f"escalated {swept.escalated} tickets, sent {swept.sent} notifications")


@city_app.command("generate")
def city_generate(
    people: Annotated[int, typer.Option(min=1, max=30_000_000, help="number of residents")] = 200_000,
    seed: Annotated[int, typer.Option(help="same seed, same city")] = 2022,
) -> None:
    """Generate a Shanghai-shaped synthetic city into an empty database, streaming, with a progress bar."""
    from gridscreen.sim.load import load_city

    engine = db.get_engine()
    migrate.upgrade(engine)
    try:
        summary = load_city(engine, people=people, seed=seed, progress=True)
    except DomainError as exc:
        _fail(str(exc))
    console.print(summary)


@round_app.command("simulate")
def round_simulate(
    prevalence: Annotated[float, typer.Option(min=0.0, max=0.5, help="share of households infected")] = 0.002,
    turnout: Annotated[float, typer.Option(min=0.0, max=1.0, help="share of households coming to the site")] = 0.93,
    grids: Annotated[int | None, typer.Option(min=1, help="only the first N grids (default: all)")] = None,
    seed: Annotated[int, typer.Option(help="same seed, same round")] = 2022,
    url: Annotated[str | None, typer.Option(help="a running server (default: the app in this process)")] = None,
    lab_capacity: Annotated[
        int | None, typer.Option(min=0, help="tubes each lab tests while one grid's site is open (default: all)")
    ] = None,
    in_progress: Annotated[
        bool, typer.Option(help="stop after the site waves: no door-to-door, the labs keep their backlog")
    ] = False,
) -> None:
    """Run a whole round on the city through the API: sites, pooled tubes, labs, door-to-door, retests."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from gridscreen.sim.round import RoundPlan, simulate_round

    engine = db.get_engine()
    migrate.upgrade(engine)
    with db.transaction(engine) as session:
        if not session.scalar(select(func.count()).select_from(Area)):
            _fail("the database has no city yet; run `gridscreen demo --no-serve` or `gridscreen city generate` first")
    plan = RoundPlan(
        seed=seed,
        prevalence=prevalence,
        turnout=turnout,
        grids=grids,
        lab_capacity=lab_capacity,
        in_progress=in_progress,
    )
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), "households", TimeElapsedColumn())
    with _api_client(engine, url) as client, Progress(*columns, console=console) as progress:
        report = simulate_round(client, engine, plan, progress=progress)
    figures = report.coverage["area"]["figures"]
    table = Table(title=f"round {report.round_id}: {report.grids} grids")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in ("expected", "sampled", "negative", "on_hold", "positive", "missing", "found_at_site", "tubes"):
        table.add_row(key, f"{figures[key]:,}")
    table.add_row("coverage", f"{figures['coverage']:.2%}")
    table.add_row("scans sent", f"{report.scans:,}")
    table.add_row("door-to-door passes", str(report.door_passes))
    table.add_row("tubes waiting at the labs", f"{report.lab_backlog:,}")
    console.print(table)


def _api_client(engine, url: str | None):
    if url:
        import httpx

        return httpx.Client(base_url=url, timeout=60)
    from fastapi.testclient import TestClient

    from gridscreen.app import create_app

    return TestClient(create_app(engine))


@app.command()
def demo(
    people: Annotated[int, typer.Option(min=1_000, max=30_000_000, help="residents of the demo city")] = 200_000,
    seed: Annotated[int, typer.Option(help="same seed, same city")] = 2022,
    serve: Annotated[bool, typer.Option(help="serve the web app after building")] = True,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Build a demo city (if the database is empty), print a login per role and serve the command centre."""
    from gridscreen.sim.demo import create_demo_users
    from gridscreen.sim.load import load_city

    engine = db.get_engine()
    migrate.upgrade(engine)
    with db.transaction(engine) as session:
        has_city = bool(session.scalar(select(func.count()).select_from(Area)))
    if has_city:
        console.print(f"using the existing city in {_safe_url()}")
    else:
        console.print(f"building a demo city of {people:,} people into {_safe_url()}")
        load_city(engine, people=people, seed=seed, progress=True)
    with db.transaction(engine) as session:
        logins = create_demo_users(session)
    table = Table(title=f"demo logins · http://{host}:{port}/")
    for column in ("user name", "password", "role", "area"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.username, login.password, login.role.value, login.area)
    console.print(table)
    if serve:
        import uvicorn

        from gridscreen.app import create_app

        console.print(f"serving on http://{host}:{port}/ (Ctrl+C to stop)")
        uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")


def _safe_url() -> str:
    # Never print a password that may sit in the database URL.
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def main() -> None:
    """The entry point: a database that is busy or cannot be reached is a message and exit code 1, not a trace."""
    from sqlalchemy.exc import OperationalError

    try:
        app(prog_name="gridscreen")
    except OperationalError as exc:
        what = "is busy with another writer; try again when it is done" if "locked" in str(exc.orig) else "failed"
        err.print(f"[red]error:[/red] the database {what} ({_safe_url()}: {str(exc.orig).splitlines()[0]})")
        raise SystemExit(1) from None
