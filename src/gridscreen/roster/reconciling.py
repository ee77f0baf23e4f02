"""One reconciliation run over every stored source record: link them into persons (with every decision a
clerk made), write each record's person back, refresh the review queue, and open or close door-knock tasks
without losing what grid workers found out. Re-running after a new sweep moves nobody a clerk placed."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import duckdb
import pyarrow as pa
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gridscreen.db import bulk_insert, bulk_update, stream
from gridscreen.roster.exceptions import NothingToReconcile
from gridscreen.roster.linkage import Decision, FieldSpec, LinkageConfig, reconcile
from gridscreen.roster.models import DoorKnockTask, LinkDecision, ReconcileRun, ReviewPair, SourceRecord, TaskOutcome
from gridscreen.roster.normalise import write_rows
from gridscreen.roster.residents import settle_residents
from gridscreen.roster.service import RECORD_FIELDS
from gridscreen.sampling import service as sampling

SPEC = FieldSpec(family_name="family_name")
# Which record says where a person lives now: where the sweep found them, else where they rent, else where
# they are registered; a record placed in a grid before one that is not.
_CURRENT = """row_number() OVER (PARTITION BY c.person_key ORDER BY CASE r.source_kind WHEN 'sweep' THEN 0
    WHEN 'rental' THEN 1 WHEN 'registry' THEN 2 ELSE 3 END, r.committee_id IS NULL, r.record_id) = 1"""
_COLUMNS = ("id", "source_id", "source_kind", *RECORD_FIELDS, "building_id", "committee_id", "district_id",
            "person_key", "is_current")  # fmt: skip
_IDS = ("id", "source_id", "building_id", "committee_id", "district_id", "person_key")
_RECORD_SCHEMA = pa.schema([("record_id" if c == "id" else c,
                             pa.int64() if c in _IDS else pa.bool_() if c == "is_current" else pa.string())
                            for c in _COLUMNS])  # fmt: skip
_TASK_SCHEMA = pa.schema(
    [("id", pa.int64()), ("kind", pa.string()), ("record_id", pa.int64()), ("status", pa.string())]
)


def reconcile_roster(
    session: Session, *, now: datetime, config: LinkageConfig | None = None,
    progress: Callable[[str], None] = lambda step: None,
) -> ReconcileRun:  # fmt: skip
    started = time.perf_counter()
    progress("reading the source records")
    con = duckdb.connect()
    columns = ", ".join(_COLUMNS)
    chunks = stream(session.connection(), f"SELECT {columns} FROM {SourceRecord.__tablename__} ORDER BY id")
    records = write_rows(con, "gs_input", _RECORD_SCHEMA, chunks)
    if records == 0:
        raise NothingToReconcile()
    decisions = [Decision(a, b, same) for a, b, same in
                 session.execute(select(LinkDecision.record_a, LinkDecision.record_b, LinkDecision.same))]  # fmt: skip
    progress(f"linking {records:,} records")
    result = reconcile("gs_input", spec=SPEC, decisions=decisions, config=config, con=con)
    progress("writing each record's person")
    con.execute(f"""CREATE TABLE gs_out AS SELECT c.record_id, c.person_key, {_CURRENT} AS now_current,
        r.person_key AS was_key, r.is_current AS was_current, r.committee_id, r.building_id, r.name, r.family_name,
        coalesce(r.address, concat_ws(' ', r.compound, r.building, r.unit, r.room)) AS address, r.source_kind
        FROM gs_cluster c JOIN gs_input r ON r.record_id = c.record_id""")
    con.execute("""SELECT record_id, person_key, now_current FROM gs_out
        WHERE was_key IS DISTINCT FROM person_key OR was_current IS DISTINCT FROM now_current""")
    while changed := con.fetchmany(100_000):
        bulk_update(session.connection(), SourceRecord.__tablename__, "id", ("person_key", "is_current"), changed)
    progress("refreshing the review queue")
    pairs = _review_pairs(session, con, result.review)
    progress("opening and closing door-knock tasks")
    opened, closed = _tasks(session, con, now)
    progress("writing the roster into households and persons")
    residents = settle_residents(session, con, now=now)
    progress("bringing running rounds up to date")
    sampling.follow_roster(session)
    run = ReconcileRun(started_at=now, seconds=time.perf_counter() - started, records=records,
                       persons=int(result.stats["persons"]), not_at_door=int(result.stats["not_at_door"]),
                       review_pairs=pairs, tasks_opened=opened, tasks_closed=closed, persons_joined=residents.joined,
                       persons_moved=residents.moved, persons_left=residents.left)  # fmt: skip
    session.add(run)
    session.flush()
    con.close()
    return run


def _review_pairs(session: Session, con: duckdb.DuckDBPyConnection, review: pa.Table) -> int:
    """The queue becomes this run's unsure pairs; a pair skipped before keeps its place at the back."""
    waiting = select(ReviewPair.record_a, ReviewPair.record_b, ReviewPair.skipped_at)
    skipped = {(a, b): at for a, b, at in session.execute(waiting.where(ReviewPair.skipped_at.is_not(None)))}
    session.execute(delete(ReviewPair))
    con.register("gs_review", review)
    # A pair can be both unsure and refused by a rule: it is asked about once, as the conflict.
    rows = con.execute("""SELECT least(v.record_a, v.record_b) AS l, greatest(v.record_a, v.record_b) AS r,
            v.probability, v.reason, v.linked, coalesce(a.committee_id, b.committee_id)
        FROM gs_review v JOIN gs_input a ON a.record_id = v.record_a JOIN gs_input b ON b.record_id = v.record_b
        QUALIFY row_number() OVER (PARTITION BY l, r ORDER BY v.reason = 'conflict' DESC, v.probability DESC) = 1""")
    rows = [(*r, skipped.get((r[0], r[1]))) for r in rows.fetchall()]
    columns = ("record_a", "record_b", "probability", "reason", "linked", "committee_id", "skipped_at")
    bulk_insert(session.connection(), ReviewPair.__tablename__, columns, rows)
    return len(rows)


def _tasks(session: Session, con: duckdb.DuckDBPyConnection, now: datetime) -> tuple[int, int]:
    """Tasks this run calls for, matched to those already there through the record each began with: an open
    one still called for is kept (and follows its person), one no longer called for is closed as found, a
    closed one keeps its outcome and is not opened again."""
    # Persons: on a list but never at the door, or at the door and on no list. Dwellings the lists name where
    # the sweep found nobody, and none of those listed there was found anywhere else: half a city lives away
    # from its registered address, and a registered flat whose people were found at home elsewhere is no
    # worry. Unit and room numbers are compared as normalisation left them (gs_rec).
    con.execute("""CREATE TABLE gs_want AS
        WITH person AS (SELECT person_key, bool_or(source_kind = 'sweep') AS at_door,
                               bool_or(source_kind <> 'sweep') AS listed FROM gs_out GROUP BY person_key),
        dwelling AS (SELECT g.area0 AS building_id, g.unit, g.room, min(g.record_id) AS record_id,
                            bool_or(g.source_kind = 'sweep') AS swept, bool_or(p.at_door) AS anyone_found
                     FROM gs_rec g JOIN gs_out o ON o.record_id = g.record_id
                     JOIN person p ON p.person_key = o.person_key
                     WHERE g.area0 IS NOT NULL AND g.room IS NOT NULL GROUP BY g.area0, g.unit, g.room)
        SELECT CASE WHEN p.at_door THEN 'not_on_list' ELSE 'not_at_door' END AS kind, o.person_key AS record_id,
               o.person_key, o.committee_id, o.building_id, o.address, concat(o.family_name, o.name) AS name
        FROM person p JOIN gs_out o ON o.person_key = p.person_key AND o.now_current
        WHERE p.at_door <> p.listed AND o.committee_id IS NOT NULL
        UNION ALL
        SELECT 'empty_household', d.record_id, NULL, o.committee_id, d.building_id, o.address, NULL
        FROM dwelling d JOIN gs_out o ON o.record_id = d.record_id WHERE NOT d.swept AND NOT d.anyone_found""")
    old = session.execute(select(DoorKnockTask.id, DoorKnockTask.kind, DoorKnockTask.record_id,
                                 DoorKnockTask.status)).all()  # fmt: skip
    write_rows(con, "gs_had", _TASK_SCHEMA, [old])
    # Where each old task's record is now: its person, or (for a dwelling) the dwelling's first record.
    con.execute("""CREATE TABLE gs_match AS SELECT h.id, h.status, w.kind, w.record_id AS want_record,
            row_number() OVER (PARTITION BY w.kind, w.record_id ORDER BY h.status = 'open' DESC, h.id) AS nth
        FROM gs_had h
        LEFT JOIN gs_out o ON o.record_id = h.record_id
        LEFT JOIN gs_rec g ON g.record_id = h.record_id
        LEFT JOIN (SELECT w.*, g2.area0, g2.unit, g2.room FROM gs_want w LEFT JOIN gs_rec g2
                   ON g2.record_id = w.record_id) w ON w.kind = h.kind AND CASE WHEN h.kind = 'empty_household'
            THEN w.area0 = g.area0 AND w.unit IS NOT DISTINCT FROM g.unit AND w.room = g.room
            ELSE w.person_key = o.person_key END""")
    keep = con.execute("""SELECT m.id, w.person_key, w.committee_id, w.building_id, w.address, w.name
        FROM gs_match m JOIN gs_want w ON w.kind = m.kind AND w.record_id = m.want_record
        WHERE m.status = 'open' AND m.nth = 1""").fetchall()
    bulk_update(session.connection(), DoorKnockTask.__tablename__, "id",
                ("person_key", "committee_id", "building_id", "address", "name"), keep)  # fmt: skip
    gone = [i for (i,) in con.execute("""SELECT id FROM gs_match WHERE status = 'open'
                                         AND (want_record IS NULL OR nth > 1)""").fetchall()]  # fmt: skip
    note = "closed by a reconciliation run: found at the door, now on a list, or the household found elsewhere"
    for task in session.scalars(select(DoorKnockTask).where(DoorKnockTask.id.in_(gone))) if gone else ():
        task.status, task.outcome, task.note, task.closed_at = "closed", TaskOutcome.found.value, note, now
    new = con.execute("""SELECT w.committee_id, w.kind, w.record_id, w.person_key, w.building_id, w.address, w.name
        FROM gs_want w ANTI JOIN gs_match m ON m.kind = w.kind AND m.want_record = w.record_id
        ORDER BY w.committee_id, w.kind, w.record_id""").fetchall()
    columns = ("committee_id", "kind", "record_id", "person_key", "building_id", "address", "name", "status",
               "created_at")  # fmt: skip
    bulk_insert(session.connection(), DoorKnockTask.__tablename__, columns, [(*r, "open", now) for r in new])
    return len(new), len(gone)
