"""The reconciled roster written into households and persons, the table rounds count: each person the run
found, placed in the dwelling where they live now. A person made from the roster is found again in every
later run through the source record it was first made from; someone already there (found at a site, or
loaded before any list came) is taken over when the person's checked ID number names them and nobody else.
Persons a door-knock found gone (moved out, deceased) leave the roster unless a later sweep found them at
home; two persons a run finds to be one become one, the other marked merged."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen.people import service as people
from gridscreen.people.identity import DocumentType
from gridscreen.people.models import LeftReason
from gridscreen.roster.models import DoorKnockTask, Source, TaskKind, TaskOutcome
from gridscreen.roster.normalise import number_key

_GONE = (TaskOutcome.moved_out.value, TaskOutcome.deceased.value)


def fold_number(text: str) -> str:
    """How units and rooms are told apart: their number where they have one ("3单元", "03" and "3" are one)."""
    return number_key(text) or text.strip()


def settle_residents(session: Session, con: duckdb.DuckDBPyConnection, *, now: datetime) -> people.RosterChange:
    """Needs the run's gs_out, gs_rec and gs_input in `con`."""
    _register(con, "gs_people", people.roster_people(session),
              [("id", pa.int64()), ("roster_record_id", pa.int64()), ("document_number", pa.string()),
               ("left_reason", pa.string())])  # fmt: skip
    closed = select(DoorKnockTask.record_id, DoorKnockTask.outcome, DoorKnockTask.closed_at).where(
        DoorKnockTask.kind.in_((TaskKind.not_at_door, TaskKind.not_on_list)), DoorKnockTask.outcome.in_(_GONE)
    )
    _register(con, "gs_gone", session.execute(closed).all(),
              [("record_id", pa.int64()), ("outcome", pa.string()), ("closed_at", pa.timestamp("us"))])  # fmt: skip
    _register(con, "gs_source", session.execute(select(Source.id, Source.imported_at)).all(),
              [("id", pa.int64()), ("imported_at", pa.timestamp("us"))])  # fmt: skip
    con.execute("""CREATE OR REPLACE TABLE gs_leave AS
        SELECT o.person_key, arg_max(t.outcome, t.closed_at) AS reason
        FROM gs_gone t JOIN gs_out o ON o.record_id = t.record_id
        WHERE NOT EXISTS (SELECT 1 FROM gs_out s JOIN gs_input i ON i.record_id = s.record_id
                          JOIN gs_source src ON src.id = i.source_id
                          WHERE s.person_key = o.person_key AND s.source_kind = 'sweep'
                            AND src.imported_at > t.closed_at)
        GROUP BY o.person_key""")
    # Persons made from the roster, by the person their first record belongs to now; the first of several
    # (one still on the roster before one that left) carries on.
    con.execute("""CREATE OR REPLACE TABLE gs_claim AS SELECT o.person_key, p.id, p.roster_record_id, p.left_reason,
            row_number() OVER (PARTITION BY o.person_key ORDER BY p.left_reason IS NULL DESC, p.id) AS nth
        FROM gs_people p JOIN gs_out o ON o.record_id = p.roster_record_id""")
    con.execute("""CREATE OR REPLACE TABLE gs_document AS SELECT o.person_key, g.anchor, g.doc_key
        FROM gs_out o JOIN gs_rec g ON g.record_id = o.record_id WHERE g.anchor IS NOT NULL
        GROUP BY o.person_key, g.anchor, g.doc_key
        QUALIFY row_number() OVER (PARTITION BY o.person_key ORDER BY count(*) DESC, g.doc_key) = 1""")
    con.execute("""CREATE OR REPLACE TABLE gs_adopt AS
        WITH m AS (SELECT DISTINCT o.person_key, p.id FROM gs_out o JOIN gs_rec g ON g.record_id = o.record_id
                   JOIN gs_people p ON p.document_number = g.doc_key
                   WHERE g.anchor IS NOT NULL AND p.roster_record_id IS NULL AND p.left_reason IS NULL
                     AND o.person_key NOT IN (SELECT person_key FROM gs_claim))
        SELECT person_key, id FROM m
        WHERE person_key IN (SELECT person_key FROM m GROUP BY 1 HAVING count(*) = 1)
          AND id IN (SELECT id FROM m GROUP BY 1 HAVING count(*) = 1)""")
    types = ", ".join(f"'{t.value}'" for t in DocumentType if t != DocumentType.none)
    rows = con.execute(f"""SELECT coalesce(c.id, a.id), coalesce(c.roster_record_id, o.person_key), o.building_id,
            left(coalesce(nullif(trim(i.unit), ''), g.unit, ''), 16),
            left(coalesce(nullif(trim(i.room), ''), g.room, ''), 16),
            left(coalesce(g.name_text, concat(i.family_name, i.name), '?'), 64), coalesce(g.sex, 'U'),
            try_strptime(g.birth8, '%Y%m%d')::DATE, left(g.phone, 20),
            CASE WHEN d.anchor IN ({types}) THEN d.anchor ELSE 'none' END,
            CASE WHEN d.anchor IN ({types}) THEN left(d.doc_key, 32) END
        FROM gs_out o JOIN gs_rec g ON g.record_id = o.record_id JOIN gs_input i ON i.record_id = o.record_id
        LEFT JOIN gs_claim c ON c.person_key = o.person_key AND c.nth = 1
        LEFT JOIN gs_adopt a ON a.person_key = o.person_key
        LEFT JOIN gs_document d ON d.person_key = o.person_key
        WHERE o.now_current AND o.building_id IS NOT NULL
          AND o.person_key NOT IN (SELECT person_key FROM gs_leave)
        ORDER BY o.person_key""").fetchall()
    leaving = con.execute(f"""
        SELECT coalesce(c.id, a.id), l.reason, coalesce(c.roster_record_id, l.person_key) FROM gs_leave l
        LEFT JOIN gs_claim c ON c.person_key = l.person_key AND c.nth = 1
        LEFT JOIN gs_adopt a ON a.person_key = l.person_key WHERE coalesce(c.id, a.id) IS NOT NULL
        UNION ALL SELECT id, '{LeftReason.merged.value}', roster_record_id FROM gs_claim WHERE nth > 1
        ORDER BY 1""").fetchall()
    entries = [people.RosterEntry(*row) for row in rows]
    return people.settle_roster(session, entries, leaving, now=now, fold=fold_number)


def _register(con: duckdb.DuckDBPyConnection, name: str, rows: list, schema: list[tuple]) -> None:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    con.register(name, pa.table([pa.array(list(v), type=t) for v, (_, t) in zip(columns, schema, strict=True)],
                                names=[n for n, _ in schema]))  # fmt: skip
