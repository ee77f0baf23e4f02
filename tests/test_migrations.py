"""The schema comes from Alembic on both databases, and the migrations say the same as the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from gridscreen import migrate
from gridscreen.db import make_engine
from gridscreen.models import metadata
from gridscreen.testing.postgres import create_database


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrate.db'}"
    else:
        url = create_database(request.getfixturevalue("postgres_url"), "migrate")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_migrations_go_up_down_and_up_again(empty_engine):
    migrate.upgrade(empty_engine)
    assert {"area", "household", "person", "app_user"} <= set(inspect(empty_engine).get_table_names())
    migrate.downgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_engine)
    assert "person" in inspect(empty_engine).get_table_names()


def test_the_migrated_schema_matches_the_models(empty_engine):
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_services_never_commit():
    source = Path(__file__).resolve().parents[1] / "src" / "gridscreen"
    offenders = [str(p) for p in source.rglob("service.py") if ".commit(" in p.read_text()]
    assert offenders == []
