"""The reconciled roster written into households and persons, the table rounds count: each person the run
found, placed in the dwelling where they live now. A person made from the roster is found again in every
later run through the source record it was first made from; someone already there (found at a site, or
loaded before any list came) is taken over when the person's checked ID number names them and nobody else,
or else their name and birth date in their building. Persons a door-knock found gone (moved out, deceased)
leave the roster unless a later sweep found them at home; two persons a run finds to be one become one, the
other marked merged."""

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
from gridscreen.roster.normalise import number_key, number_sql, write_rows

_GONE = (TaskOutcome.moved_out.value, TaskOutcome.deceased.value)


def fold_number(text: str) -> str:
    """How units and rooms are told apart: their number where they have one ("3单元", "03" and "3" are one)."""
    return number_key(text) or text.strip()


def settle_residents(session: Session, con: duckdb.DuckDBPyConnection, *, now: datetime) -> people.RosterChange:
    """Needs the run's gs_out, gs_rec and gs_input in `con`. Only the persons the run changes come back to
    Python, a chunk at a time: a city's roster is tens of millions of rows."""
    write_rows(con, "gs_people", _PEOPLE, people.roster_people(session))
    write_rows(con, "gs_dwelling", _DWELLINGS, people.dwellings(session))
    closed = select(DoorKnockTask.record_id, DoorKnockTask.outcome, DoorKnockTask.closed_at).where(
        DoorKnockTask.kind.in_((TaskKind.not_at_door, TaskKind.not_on_list)), DoorKnockTask.outcome.in_(_GONE)
    )
    write_rows(con, "gs_gone", _GONE_TASKS, [session.execute(closed).all()])
    write_rows(con, "gs_source", _SOURCES, [session.execute(select(Source.id, Source.imported_at)).all()])
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
    # Someone already in the table, made by no run: taken over when the person's checked ID number names them
    # and nobody else; failing that, when the person was listed in their building with the same name and
    # birth date, again one to one (a list without ID numbers).
    con.execute("""CREATE OR REPLACE TABLE gs_adopt AS
        WITH free AS (SELECT p.*, d.building_id FROM gs_people p JOIN gs_dwelling d ON d.id = p.household_id
                      WHERE p.roster_record_id IS NULL AND p.left_reason IS NULL),
        unclaimed AS (SELECT o.*, g.anchor, g.doc_key, g.name_text, g.birth8 FROM gs_out o
                      JOIN gs_rec g ON g.record_id = o.record_id
                      WHERE o.person_key NOT IN (SELECT person_key FROM gs_claim)),
        by_doc AS (SELECT DISTINCT u.person_key, f.id FROM unclaimed u JOIN free f ON f.document_number = u.doc_key
                   WHERE u.anchor IS NOT NULL),
        by_name AS (SELECT DISTINCT u.person_key, f.id FROM unclaimed u JOIN free f
                    ON f.building_id = u.building_id AND f.name = u.name_text
                       AND replace(f.birth_date, '-', '') = u.birth8
                    WHERE u.person_key NOT IN (SELECT person_key FROM by_doc)
                      AND f.id NOT IN (SELECT id FROM by_doc))
        SELECT person_key, id FROM by_doc
        WHERE person_key IN (SELECT person_key FROM by_doc GROUP BY 1 HAVING count(*) = 1)
          AND id IN (SELECT id FROM by_doc GROUP BY 1 HAVING count(*) = 1)
        UNION ALL SELECT person_key, id FROM by_name
        WHERE person_key IN (SELECT person_key FROM by_name GROUP BY 1 HAVING count(*) = 1)
          AND id IN (SELECT id FROM by_name GROUP BY 1 HAVING count(*) = 1)""")
    # The household each dwelling is already, as settle_roster finds it: the oldest of those that fold together.
    con.execute(f"""CREATE OR REPLACE TABLE gs_home AS SELECT building_id, {_fold("unit")} AS unit_key,
            {_fold("room")} AS room_key, min(id) AS household_id FROM gs_dwelling GROUP BY ALL""")
    types = ", ".join(f"'{t.value}'" for t in DocumentType if t != DocumentType.none)
    con.execute(f"""CREATE OR REPLACE TABLE gs_entry AS SELECT coalesce(c.id, a.id) AS person_id,
            coalesce(c.roster_record_id, o.person_key) AS roster_record_id, o.building_id,
            left(coalesce(nullif(trim(i.unit), ''), g.unit, ''), 16) AS unit,
            left(coalesce(nullif(trim(i.room), ''), g.room, ''), 16) AS room,
            left(coalesce(g.name_text, concat(i.family_name, i.name), '?'), 64) AS name, coalesce(g.sex, 'U') AS sex,
            try_strptime(g.birth8, '%Y%m%d')::DATE AS birth_date, left(g.phone, 20) AS phone,
            CASE WHEN d.anchor IN ({types}) THEN d.anchor ELSE 'none' END AS document_type,
            CASE WHEN d.anchor IN ({types}) THEN left(d.doc_key, 32) END AS document_number, o.person_key
        FROM gs_out o JOIN gs_rec g ON g.record_id = o.record_id JOIN gs_input i ON i.record_id = o.record_id
        LEFT JOIN gs_claim c ON c.person_key = o.person_key AND c.nth = 1
        LEFT JOIN gs_adopt a ON a.person_key = o.person_key
        LEFT JOIN gs_document d ON d.person_key = o.person_key
        WHERE o.now_current AND o.building_id IS NOT NULL
          AND o.person_key NOT IN (SELECT person_key FROM gs_leave)""")
    leaving = con.execute(f"""
        SELECT coalesce(c.id, a.id), l.reason, coalesce(c.roster_record_id, l.person_key) FROM gs_leave l
        LEFT JOIN gs_claim c ON c.person_key = l.person_key AND c.nth = 1
        LEFT JOIN gs_adopt a ON a.person_key = l.person_key WHERE coalesce(c.id, a.id) IS NOT NULL
        UNION ALL SELECT id, '{LeftReason.merged.value}', roster_record_id FROM gs_claim WHERE nth > 1
        ORDER BY 1""").fetchall()
    change = people.settle_roster(session, [], leaving, now=now, fold=fold_number)
    # Someone new, someone back, someone in another dwelling or known by another first record: the rest of
    # the roster is as the table has it already.
    con.execute(f"""SELECT e.* EXCLUDE (person_key) FROM gs_entry e
        LEFT JOIN gs_people p ON p.id = e.person_id
        LEFT JOIN gs_home h ON h.building_id = e.building_id AND h.unit_key = {_fold("e.unit")}
                            AND h.room_key = {_fold("e.room")}
        WHERE p.id IS NULL OR p.left_reason IS NOT NULL OR p.roster_record_id IS DISTINCT FROM e.roster_record_id
           OR p.household_id IS DISTINCT FROM h.household_id
        ORDER BY e.person_key""")
    while rows := con.fetchmany(50_000):
        done = people.settle_roster(session, [people.RosterEntry(*row) for row in rows], [], now=now,
                                    fold=fold_number)  # fmt: skip
        change.joined, change.moved = change.joined + done.joined, change.moved + done.moved
    return change


def _fold(column: str) -> str:
    """fold_number in DuckDB."""
    return f"coalesce({number_sql(column)}, trim({column}))"


_PEOPLE = pa.schema([("id", pa.int64()), ("household_id", pa.int64()), ("roster_record_id", pa.int64()),
                     ("document_number", pa.string()), ("left_reason", pa.string()), ("name", pa.string()),
                     ("birth_date", pa.string())])  # fmt: skip
_DWELLINGS = pa.schema([("id", pa.int64()), ("building_id", pa.int64()), ("unit", pa.string()),
                        ("room", pa.string())])  # fmt: skip
_GONE_TASKS = pa.schema([("record_id", pa.int64()), ("outcome", pa.string()), ("closed_at", pa.timestamp("us"))])
_SOURCES = pa.schema([("id", pa.int64()), ("imported_at", pa.timestamp("us"))])
