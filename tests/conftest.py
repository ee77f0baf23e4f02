"""Shared fixtures: every database test runs on SQLite and on a throwaway PostgreSQL.

Each test runs inside a transaction that is rolled back, so tests never see each other's writes.
Set GRIDSCREEN_REQUIRE_POSTGRES=1 (CI does) to fail instead of skipping when PostgreSQL can't start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from gridscreen import migrate
from gridscreen.app import create_app
from gridscreen.db import make_engine
from gridscreen.testing.postgres import create_database, missing_binaries, throwaway_postgres

BACKENDS = ("sqlite", "postgres")
_pg_skip_reason: list[str] = []


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    missing = missing_binaries()
    if missing:
        reason = f"PostgreSQL tests SKIPPED: server binaries not on PATH ({', '.join(missing)})"
        if os.environ.get("GRIDSCREEN_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        _pg_skip_reason.append(reason)
        pytest.skip(reason)
    with throwaway_postgres() as url:
        yield url


def fresh_database(
    request: pytest.FixtureRequest, tmp_path_factory, name: str, *, people: int = 0, seed: int = 1
) -> Engine:
    """A migrated database of its own on the backend in request.param, with a generated city if asked:
    for tests whose writes must really be committed (servers, concurrent connections, the CLI)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.db'}"
    else:
        url = create_database(request.getfixturevalue("postgres_url"), name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    if people:
        from gridscreen.sim.load import load_city

        load_city(engine, people=people, seed=seed, progress=False)
    return engine


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Engine]:
    """A migrated database per backend, shared by the session (tests roll back their writes)."""
    engine = fresh_database(request, tmp_path_factory, "shared")
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


def _bound_sessionmaker(connection: Connection) -> sessionmaker[Session]:
    # Commits inside the code under test become savepoints; the outer transaction is rolled back.
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    session = _bound_sessionmaker(connection)()
    yield session
    session.close()


@pytest.fixture
def app(engine: Engine, connection: Connection):
    # No timed sweep: requests share the test's connection, and tests sweep when they choose.
    app = create_app(engine, sweep_seconds=0)
    app.state.sessionmaker = _bound_sessionmaker(connection)
    return app


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def pytest_terminal_summary(terminalreporter) -> None:
    for reason in sorted(set(_pg_skip_reason)):
        terminalreporter.write_line(reason, red=True, bold=True)


@pytest.fixture
def tiny(db: Session):
    from tests.areas.factories import make_tiny_city

    return make_tiny_city(db)


class _LazyTokens(dict):
    """Creates a user (argon2 hashing is deliberately slow) only when a test asks for its token."""

    def __init__(self, plans):
        super().__init__()
        self.plans = plans

    def __missing__(self, who: str) -> str:
        from tests.auth.factories import make_user

        self[who] = make_user(*self.plans[who])
        return self[who]


@pytest.fixture
def tokens(db: Session, tiny) -> dict[str, str]:
    """Bearer tokens: users of grid A at each level, residents of A and B, and a grid worker of B."""
    from gridscreen.auth.models import Role

    a, b = tiny.a, tiny.b
    return _LazyTokens(
        {
            "command": (db, "command", Role.command, [tiny.city]),
            "district_a": (db, "district_a", Role.district, [a.district]),
            "subdistrict_a": (db, "subdistrict_a", Role.subdistrict, [a.subdistrict]),
            "grid_a": (db, "grid_a", Role.grid, [a.committee]),
            "grid_b": (db, "grid_b", Role.grid, [b.committee]),
            "sampler_a": (db, "sampler_a", Role.sampler, [a.committee]),
            "lab": (db, "lab", Role.lab, [a.district]),
            "resident_a": (db, "resident_a", Role.resident, [], a.households[0]),
            "resident_b": (db, "resident_b", Role.resident, [], b.households[0]),
        }
    )
