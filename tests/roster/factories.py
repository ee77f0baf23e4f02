"""Roster rows for tests: stored lists, records placed in a grid, a pair for a clerk, a door-knock task."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridscreen.roster.models import DoorKnockTask, ReviewPair, Source, SourceRecord
from tests.sampling.factories import NOW


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
