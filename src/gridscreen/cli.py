"""The command line: thin commands that open a transaction, call services and show progress."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

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
