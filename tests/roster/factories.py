"""Roster rows for tests: stored lists, records placed in a grid, a pair for a clerk, a door-knock task, and a
generated city's noisy lists imported from CSV files with the truth kept aside."""

from __future__ import annotations

import csv

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen.areas.models import Area, Level
from gridscreen.db import transaction
from gridscreen.roster import service
from gridscreen.roster.importer import parse_mapping, read_source
from gridscreen.roster.models import DoorKnockTask, ReviewPair, Source, SourceRecord
from gridscreen.sim.sources import SOURCE_KINDS, generate_sources
from tests.areas.factories import system_principal
from tests.sampling.factories import NOW


def write_list(path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=service.RECORD_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def import_list(engine, path, kind: str, now=NOW) -> int:
    """A list file imported by the command centre, bad rows skipped; returns the source's id."""
    read = read_source(path, source_kind=kind, mapping=parse_mapping(""), skip_bad_rows=True)
    with transaction(engine, write=True) as session:
        city = session.scalar(select(Area).where(Area.level == Level.city))
        return service.import_source(session, system_principal(city), read, file_name=path.name, grid_id=None,
                                     now=now).id  # fmt: skip


def import_generated_lists(engine, folder, people: int, seed: int) -> dict[int, int]:
    """The four lists of the generated city, written as CSV files into `folder` and imported. Returns the
    truth: stored record id -> the generated person (the city's person ids are the truth's)."""
    batches = list(generate_sources(people, seed))
    records = pa.concat_tables([b.records for b in batches]).to_pylist()
    truth = {r["record_id"]: r["person_id"] for r in pa.concat_tables([b.truth for b in batches]).to_pylist()}
    person_of = {}
    for kind in SOURCE_KINDS:
        rows = [r for r in records if r["source_kind"] == kind]
        write_list(folder / f"{kind}.csv", rows)
        source_id = import_list(engine, folder / f"{kind}.csv", kind)
        with engine.connect() as conn:
            stored = conn.execute(select(SourceRecord.id, SourceRecord.row).where(SourceRecord.source_id == source_id))
            for record_id, row in stored:
                person_of[record_id] = truth[rows[row - 2]["record_id"]]  # CSV rows count the header as row 1
    return person_of


def add_record(session: Session, grid, source: Source, row: int, name: str, **fields) -> SourceRecord:
    record = SourceRecord(source_id=source.id, source_kind=source.source_kind, row=row, name=name,
                          building_id=grid.building.id, committee_id=grid.committee.id,
                          district_id=grid.district.id, is_current=False, **fields)  # fmt: skip
    session.add(record)
    session.flush()
    return record


def add_source(session: Session, kind: str = "registry") -> Source:
    source = Source(source_kind=kind, file_name=f"{kind}.csv", imported_at=NOW, imported_by=0, records=0, skipped=0,
                    flagged=0, unplaced=0)  # fmt: skip
    session.add(source)
    session.flush()
    return source


def roster_scene(session: Session, tiny) -> tuple[int, int, int]:
    """In grid A: two records that may be one person (a pair waiting for a clerk) and a task to knock on a door.
    Returns the pair's, the task's and the person's ids."""
    registry, sweep = add_source(session, "registry"), add_source(session, "sweep")
    a = add_record(session, tiny.a, registry, 2, "张伟", document_number="110101199003071234", unit="1", room="101")
    b = add_record(session, tiny.a, sweep, 2, "张玮", unit="1", room="101")
    a.person_key, a.is_current = a.id, True
    b.person_key, b.is_current = b.id, True
    pair = ReviewPair(record_a=a.id, record_b=b.id, probability=0.6, reason="uncertain", linked=False,
                      committee_id=tiny.a.committee.id)  # fmt: skip
    task = DoorKnockTask(committee_id=tiny.a.committee.id, kind="not_at_door", record_id=a.id, person_key=a.id,
                         building_id=tiny.a.building.id, address="甲小区1号楼1单元101室", name="张伟", status="open",
                         created_at=NOW)  # fmt: skip
    session.add_all([pair, task])
    session.flush()
    return pair.id, task.id, a.id
