"""The driver-level SQL of the hot paths reads back as SQLAlchemy wrote it; SQLite's writers queue across
server processes."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from gridscreen.db import (
    bulk_insert,
    bulk_update,
    execute_many,
    fetch,
    make_engine,
    one_of,
    pipelined,
    stored_time,
    transaction,
    write_lock,
)
from gridscreen.sampling.models import Device

SHANGHAI = timezone(timedelta(hours=8))


def _device(device_id: str, seen: datetime) -> Device:
    return Device(device_id=device_id, round_id=1, user_id=1, last_seq=1, pending=0, last_seen=seen)


def test_a_moment_written_through_the_driver_reads_back_as_one_written_by_sqlalchemy(db):
    seen = datetime(2022, 4, 4, 9, 30, 15, 250, tzinfo=SHANGHAI)
    db.add(_device("orm", seen))
    db.flush()
    columns = "device_id, round_id, user_id, last_seq, pending, last_seen"
    execute_many(db.connection(), f"INSERT INTO device ({columns}) VALUES (?, 1, 1, 1, 0, ?)",
                 [("driver", stored_time(db.get_bind())(seen))])  # fmt: skip
    db.expire_all()
    by_orm, by_driver = (db.get(Device, d).last_seen for d in ("orm", "driver"))
    assert by_driver == by_orm
    # Compared in SQL too: the driver's text sorts and matches like SQLAlchemy's.
    assert db.scalar(select(Device.device_id).where(Device.last_seen == by_orm, Device.device_id == "driver"))


def test_one_of_matches_each_value_once_with_the_same_text_for_any_number(db):
    for name in ("a", "b", "c"):
        db.add(_device(name, datetime(2022, 4, 4, tzinfo=UTC)))
    db.flush()
    conn = db.connection()
    texts = set()
    for wanted in (["a"], ["a", "c", "zz"]):
        condition, values = one_of(conn, "device_id", wanted)
        texts.add(condition)
        rows = fetch(conn, f"SELECT device_id FROM device WHERE {condition} ORDER BY device_id", (values,))
        assert [r[0] for r in rows] == sorted(set(wanted) & {"a", "b", "c"})
    assert len(texts) == 1


HOLDER = """
import sys
from gridscreen.db import make_engine, transaction
engine = make_engine(sys.argv[1])
with transaction(engine, write=True) as session:
    session.connection()
    print("holding", flush=True)
    sys.stdin.readline()
"""


def test_a_writer_in_another_process_holds_the_queue_until_it_commits(tmp_path):
    """Server processes on one SQLite file queue on a lock beside it (not in SQLite's busy handler)."""
    path = tmp_path / "queue.db"
    url = f"sqlite:///{path}"
    make_engine(url).dispose()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        probe = os.open(f"{path}-writers", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            holder.stdin.write("done\n")
            holder.stdin.flush()
            assert holder.wait(timeout=60) == 0
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released with the commit
            fcntl.flock(probe, fcntl.LOCK_UN)
        finally:
            os.close(probe)
    finally:
        holder.kill()
        holder.wait()
    engine = make_engine(url)
    with transaction(engine, write=True) as session:
        session.connection()
    engine.dispose()


def test_a_forked_child_opens_the_queue_again_instead_of_sharing_its_parents_place(tmp_path):
    """A lock taken through a descriptor the parent opened is the parent's own: the child would not wait."""
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    engine = make_engine(url)
    queue = write_lock(engine)
    with queue:
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through its exit code
            os._exit(0 if queue.file is None and not queue.threads.locked() else 1)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    engine.dispose()


def test_many_rows_written_in_a_pipeline_are_all_there(db):
    """Inside a PostgreSQL pipeline COPY is refused: a batch of any size must still go in (as arrays)."""
    conn, seen = db.connection(), stored_time(db.get_bind())(datetime(2022, 4, 4, tzinfo=UTC))
    rows = [(f"pipe-{k}", 1, 1, k, 0, seen) for k in range(700)]
    with pipelined(conn):
        bulk_insert(conn, "device", ("device_id", "round_id", "user_id", "last_seq", "pending", "last_seen"), rows)
        bulk_update(conn, "device", "device_id", ("pending",), [(f"pipe-{k}", k + 1) for k in range(700)])
    stored = fetch(conn, "SELECT sum(last_seq), sum(pending), count(*) FROM device WHERE device_id LIKE ?", ("pipe-%",))
    assert tuple(stored[0]) == (sum(range(700)), sum(range(1, 701)), 700)
