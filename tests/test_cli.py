"""The command line as a user runs it: a real process, a real database, exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from gridscreen.auth.models import User
from gridscreen.db import make_engine
from gridscreen.people.models import Person
from gridscreen.testing.postgres import create_database

ROLES = ("command", "district", "subdistrict", "grid", "sampler", "lab", "resident", "volunteer")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.db'}"
    return create_database(request.getfixturevalue("postgres_url"), "cli")


def gridscreen(database_url: str, *args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRIDSCREEN_DATABASE_URL": database_url, "COLUMNS": "200", **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "gridscreen", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_demo_builds_a_city_prints_a_login_per_role_and_reuses_it(database_url):
    first = gridscreen(database_url, "demo", "--people", "3000", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "http://127.0.0.1:8000/" in first.stdout
    for role in ROLES:
        assert role in first.stdout
    engine = make_engine(database_url)
    with engine.connect() as conn:
        persons = conn.scalar(select(func.count()).select_from(Person))
        users = conn.scalar(select(func.count()).select_from(User))
    assert 2_900 <= persons <= 3_100 and users == len(ROLES)
    second = gridscreen(database_url, "demo", "--no-serve")
    assert second.returncode == 0, second.stderr
    assert "existing city" in second.stdout
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Person)) == persons
        assert conn.scalar(select(func.count()).select_from(User)) == users
    engine.dispose()


def test_generating_into_a_database_that_has_a_city_fails_with_a_message(database_url):
    assert gridscreen(database_url, "city", "generate", "--people", "2000").returncode == 0
    again = gridscreen(database_url, "city", "generate", "--people", "2000")
    assert again.returncode != 0
    assert "already" in again.stderr.lower()


def test_a_nonsense_size_is_refused_before_anything_is_written(tmp_path):
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    result = gridscreen(url, "city", "generate", "--people", "-5")
    assert result.returncode != 0 and "people" in result.stderr.lower()
    assert not (tmp_path / "bad.db").exists()


def test_a_support_sweep_reports_what_it_did_and_refuses_an_sms_sender_without_a_gateway(database_url):
    assert gridscreen(database_url, "db", "upgrade").returncode == 0
    swept = gridscreen(database_url, "support", "sweep")
    assert swept.returncode == 0, swept.stderr
    assert "escalated 0 tickets, sent 0 notifications" in swept.stdout
    refused = gridscreen(database_url, "support", "sweep", extra_env={"GRIDSCREEN_NOTIFY_SENDER": "sms"})
    assert refused.returncode == 1 and "GRIDSCREEN_SMS_GATEWAY_URL" in refused.stderr


def test_roster_check_refuses_a_list_with_bad_rows_and_reads_the_rest_when_asked(tmp_path):
    path = tmp_path / "sweep.csv"
    path.write_text("姓名,出生日期\n张伟,1990-03-07\n,1990-01-01\n", encoding="utf-8")
    args = ("roster", "check", str(path), "--source-kind", "sweep", "--mapping", "name=姓名,birth_date=出生日期")
    refused = gridscreen(f"sqlite:///{tmp_path / 'x.db'}", *args)
    assert refused.returncode == 1 and "row 3: no name" in refused.stderr.replace("\n", " ")
    skipped = gridscreen(f"sqlite:///{tmp_path / 'x.db'}", *args, "--skip-bad-rows")
    assert skipped.returncode == 0 and "1 records read, 1 rows skipped" in skipped.stdout


def test_roster_lists_are_written_imported_and_reconciled_and_a_refused_file_stores_nothing(database_url, tmp_path):
    assert gridscreen(database_url, "city", "generate", "--people", "2000", "--seed", "9").returncode == 0
    lists = tmp_path / "lists"
    written = gridscreen(database_url, "roster", "sources", "--people", "2000", "--seed", "9", "--out", str(lists))
    assert written.returncode == 0, written.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("name,birth_date\n张伟,1990-01-01\n王芳,明天\n", encoding="utf-8")
    refused = gridscreen(database_url, "roster", "import", str(lists / "sweep.csv"), str(bad), "--source-kind", "sweep")
    assert refused.returncode != 0 and "bad.csv" in refused.stderr and "row 3" in refused.stderr
    for kind in ("registry", "rental", "telecom", "sweep"):
        stored = gridscreen(database_url, "roster", "import", str(lists / f"{kind}.csv"), "--source-kind", kind)
        assert stored.returncode == 0, stored.stderr
        assert "records stored" in stored.stdout
    run = gridscreen(database_url, "roster", "reconcile")
    assert run.returncode == 0, run.stderr
    assert "door-knock tasks opened" in run.stdout and "residents joined or back" in run.stdout
    engine = make_engine(database_url)
    with engine.connect() as conn:
        from gridscreen.roster.models import Source, SourceRecord

        assert conn.scalar(select(func.count()).select_from(Source)) == 4  # the refused pair stored nothing
        keyed = conn.scalar(select(func.count()).select_from(SourceRecord).where(SourceRecord.person_key.is_not(None)))
        assert keyed == conn.scalar(select(func.count()).select_from(SourceRecord))
        from gridscreen.people.models import Person

        # The generated people are taken over by the roster (through their ID numbers), not doubled.
        from_roster = select(func.count()).select_from(Person).where(Person.roster_record_id.is_not(None))
        assert conn.scalar(from_roster) > 0.9 * conn.scalar(select(func.count()).select_from(Person))
        assert conn.scalar(select(func.count()).select_from(Person)) < 2000 * 1.05
    engine.dispose()


def test_a_busy_database_is_a_message_and_exit_code_not_a_traceback(tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    assert gridscreen(url, "db", "upgrade").returncode == 0
    lists = tmp_path / "sweep.csv"
    lists.write_text("name,compound,building\n张伟,甲小区,1号楼\n", encoding="utf-8")
    holder = sqlite3.connect(tmp_path / "busy.db")
    holder.execute("BEGIN IMMEDIATE")  # another writer in the middle of its transaction
    try:
        busy = gridscreen(url, "roster", "import", str(lists), "--source-kind", "sweep")
    finally:
        holder.rollback()
        holder.close()
    assert busy.returncode == 1
    assert "busy with another writer" in busy.stderr and "Traceback" not in busy.stderr
