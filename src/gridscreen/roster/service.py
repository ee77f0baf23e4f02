"""The roster in the database: importing source lists (each record placed at the building its address
names), the clerks' review queue and decisions, the per-grid lists and the door-knock tasks. Reconciliation
itself is in `reconciling.py`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Subquery, case, exists, func, select, true
from sqlalchemy.orm import Session, aliased

from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth.principal import Principal
from gridscreen.db import bulk_insert
from gridscreen.errors import Invalid
from gridscreen.people.models import LeftReason, Person
from gridscreen.roster.exceptions import (
    RecordsOutsideYourAreas,
    RecordsUnplaced,
    ReviewPairNotFound,
    RosterPersonNotFound,
    TaskClosed,
    TaskNotFound,
)
from gridscreen.roster.importer import SourceFile
from gridscreen.roster.models import (
    DoorKnockTask,
    LinkDecision,
    ReviewPair,
    Source,
    SourceRecord,
    TaskOutcome,
)
from gridscreen.roster.normalise import compound_key, number_key, parse_address

RECORD_FIELDS = ("name", "family_name", "document_type", "document_number", "phone", "birth_date", "sex",
                 "address", "compound", "building", "unit", "room")  # fmt: skip
GRID_LISTS = ("roster", "duplicates", "invalid_documents", "left")


def import_source(
    session: Session, principal: Principal, read: SourceFile, *, file_name: str, grid_id: int | None, now: datetime
) -> Source:
    """Store a list that was read and checked. Every record is placed at the building its address names;
    a list from one grid (`grid_id`) places the rest in that grid. Staff below the city may only import
    records of their own areas; the command centre may also keep records it cannot place."""
    grid = areas.get_grid(session, principal, grid_id) if grid_id is not None else None
    places = place_records(session, read.records, grid)
    grids = {p[1] for p in places if p[1] is not None}
    allowed = {a.id for a in session.scalars(select(Area).where(Area.id.in_(grids))) if principal.covers(a)}
    outside = [r["source_row"] for r, p in zip(read.records, places, strict=True) if p[1] and p[1] not in allowed]
    if outside:
        raise RecordsOutsideYourAreas(file_name, len(outside), outside[0])
    unplaced = [r["source_row"] for r, p in zip(read.records, places, strict=True) if p[1] is None]
    if unplaced and grid is not None:
        places = [p if p[1] is not None else (None, grid.id, grid.district_id) for p in places]
    elif unplaced and not principal.whole_city:
        raise RecordsUnplaced(file_name, len(unplaced), unplaced[0])
    source = Source(source_kind=read.source_kind, file_name=file_name[:200], imported_at=now,
                    imported_by=principal.user_id, records=len(read.records), skipped=len(read.skipped),
                    flagged=len(read.flagged), unplaced=len(unplaced) if grid is None else 0)  # fmt: skip
    session.add(source)
    session.flush()
    notes = {p.row: p.reason[:300] for p in read.flagged}
    columns = ("source_id", "source_kind", "row", *RECORD_FIELDS, "building_id", "committee_id", "district_id",
               "note", "is_current")  # fmt: skip
    rows = [(source.id, read.source_kind, r["source_row"], *(r[f] for f in RECORD_FIELDS), *place,
             notes.get(r["source_row"]), False) for r, place in zip(read.records, places, strict=True)]  # fmt: skip
    bulk_insert(session.connection(), SourceRecord.__tablename__, columns, rows)
    return source


def place_records(session: Session, records: Sequence[dict], grid: Area | None) -> list[tuple]:
    """(building, grid, district) ids of each record's dwelling, from its compound and building fields or its
    address text; (None, None, None) where no building of the city (of `grid`, when given) matches exactly one."""
    wanted = [_building_key(r) for r in records]
    names = {k[0] for k in wanted if k}
    if not names:
        return [(None, None, None)] * len(records)
    compounds = select(Area.id, Area.name).where(Area.level == Level.compound)
    if grid is not None:
        compounds = compounds.where(Area.committee_id == grid.id)
    by_name: dict[str, list[int]] = {}
    for area_id, name in session.execute(compounds):
        if (key := compound_key(name)) in names:
            by_name.setdefault(key, []).append(area_id)
    parents = [i for ids in by_name.values() for i in ids]
    buildings: dict[tuple[int, str | None], tuple] = {}
    for chunk in range(0, len(parents), 5_000):
        query = select(Area.id, Area.parent_id, Area.name, Area.committee_id, Area.district_id).where(
            Area.level == Level.building, Area.parent_id.in_(parents[chunk : chunk + 5_000])
        )
        for area_id, parent, name, committee, district in session.execute(query):
            buildings[(parent, number_key(name))] = (area_id, committee, district)
    placed = []
    for key in wanted:
        found = [buildings[(c, key[1])] for c in by_name.get(key[0], ()) if (c, key[1]) in buildings] if key else []
        placed.append(found[0] if len(found) == 1 else (None, None, None))
    return placed


def _building_key(record: dict) -> tuple[str, str | None] | None:
    compound, building = record.get("compound"), record.get("building")
    if not compound and not building:
        parsed = parse_address(record.get("address"))
        compound, building = parsed.compound, parsed.building
    key = compound_key(compound)
    return (key, number_key(building)) if key else None


def list_sources(session: Session, principal: Principal, *, limit: int = 50) -> list[Source]:
    """The newest imported lists: all of them for the command centre, the caller's own for others."""
    query = select(Source) if principal.whole_city else select(Source).where(Source.imported_by == principal.user_id)
    return list(session.scalars(query.order_by(Source.id.desc()).limit(limit)))


def _in_areas(principal: Principal, column) -> ColumnElement[bool]:
    """SQL: the grid in `column` lies in the caller's areas (records no grid holds: the whole city's)."""
    if principal.whole_city:
        return true()
    return column.in_(select(Area.id).where(Area.level == Level.committee, principal.area_clause(Area)))


def _grid_scope(session: Session, principal: Principal, grid_id: int | None, column) -> ColumnElement[bool]:
    if grid_id is None:
        return _in_areas(principal, column)
    return column == areas.get_grid(session, principal, grid_id).id


def review_queue(
    session: Session, principal: Principal, *, grid_id: int | None = None, limit: int = 20
) -> tuple[list[tuple[ReviewPair, SourceRecord, SourceRecord]], int]:
    """Pairs waiting for a clerk, the least certain first and skipped ones last, each with its two records."""
    scope = _grid_scope(session, principal, grid_id, ReviewPair.committee_id)
    total = session.scalar(select(func.count()).select_from(ReviewPair).where(scope)) or 0
    order = (ReviewPair.skipped_at.is_not(None), ReviewPair.skipped_at, func.abs(ReviewPair.probability - 0.5),
             ReviewPair.id)  # fmt: skip
    pairs = list(session.scalars(select(ReviewPair).where(scope).order_by(*order).limit(limit)))
    ids = {i for p in pairs for i in (p.record_a, p.record_b)}
    records = {r.id: r for r in session.scalars(select(SourceRecord).where(SourceRecord.id.in_(ids)))} if ids else {}
    return [(p, records[p.record_a], records[p.record_b]) for p in pairs], total


def _visible_pair(session: Session, principal: Principal, pair_id: int) -> ReviewPair:
    pair = session.get(ReviewPair, pair_id)
    if pair is None or not _covers_grid(session, principal, pair.committee_id):
        raise ReviewPairNotFound(pair_id)
    return pair


def _covers_grid(session: Session, principal: Principal, grid_id: int | None) -> bool:
    if grid_id is None:
        return principal.whole_city
    area = session.get(Area, grid_id)
    return area is not None and principal.covers(area)


def decide(session: Session, principal: Principal, pair_id: int, *, same: bool | None, now: datetime) -> None:
    """A clerk's answer: the same person, not the same, or skip (the pair goes to the back of the queue).
    The decision is kept for every later run; the pair leaves the queue."""
    pair = _visible_pair(session, principal, pair_id)
    if same is None:
        pair.skipped_at = now
        return
    a, b = sorted((pair.record_a, pair.record_b))
    decision = session.get(LinkDecision, (a, b)) or LinkDecision(record_a=a, record_b=b)
    decision.same, decision.decided_by, decision.decided_at = same, principal.user_id, now
    session.add(decision)
    session.delete(pair)


def list_tasks(
    session: Session, principal: Principal, *, grid_id: int | None, status: str | None = "open", limit: int = 50,
    offset: int = 0,
) -> tuple[list[DoorKnockTask], int]:  # fmt: skip
    query = select(DoorKnockTask).where(_grid_scope(session, principal, grid_id, DoorKnockTask.committee_id))
    if status:
        query = query.where(DoorKnockTask.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    kinds = case({"not_at_door": 0, "empty_household": 1}, value=DoorKnockTask.kind, else_=2)
    order = (DoorKnockTask.status.desc(), kinds, DoorKnockTask.building_id, DoorKnockTask.address, DoorKnockTask.id)
    return list(session.scalars(query.order_by(*order).limit(limit).offset(offset))), total


def close_task(
    session: Session, principal: Principal, task_id: int, *, outcome: TaskOutcome, note: str, now: datetime
) -> DoorKnockTask:
    task = session.get(DoorKnockTask, task_id)
    if task is None or not _covers_grid(session, principal, task.committee_id):
        raise TaskNotFound(task_id)
    if task.status == "closed":
        raise TaskClosed(task_id)
    task.status, task.outcome, task.note = "closed", outcome.value, note.strip() or None
    task.closed_at, task.closed_by = now, principal.user_id
    return task


def grid_list(
    session: Session, principal: Principal, grid_id: int, *, which: str, limit: int = 50, offset: int = 0
) -> tuple[list[SourceRecord], int, dict[int, list[str]], dict[int, str]]:
    """One of a grid's lists: `roster` (each person with the record saying where they live now),
    `duplicates` (persons a list holds more than once), `invalid_documents` (records with an ID number to
    check) or `left` (persons a door-knock found moved out or deceased: off the roster rounds count).
    Returns the records, their total, each listed person's source kinds, and why each of `left` left."""
    scope = _grid_scope(session, principal, grid_id, SourceRecord.committee_id)
    gone = _gone()
    left = exists().where(gone.c.person_key == SourceRecord.person_key)
    if which == "roster":
        query = select(SourceRecord).where(scope, SourceRecord.is_current, ~left)
    elif which == "duplicates":
        repeated = (
            select(SourceRecord.person_key)
            .where(SourceRecord.person_key.is_not(None))
            .group_by(SourceRecord.person_key, SourceRecord.source_kind)
            .having(func.count() > 1)
        )
        query = select(SourceRecord).where(scope, SourceRecord.is_current, SourceRecord.person_key.in_(repeated))
    elif which == "invalid_documents":
        query = select(SourceRecord).where(scope, SourceRecord.note.is_not(None))
    elif which == "left":
        query = select(SourceRecord).where(scope, SourceRecord.is_current, left)
    else:
        raise Invalid("list {which} is not one of {lists}", which=which, lists=", ".join(GRID_LISTS))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (SourceRecord.building_id, SourceRecord.unit, SourceRecord.room, SourceRecord.id)
    records = list(session.scalars(query.order_by(*order).limit(limit).offset(offset)))
    keys = [r.person_key for r in records if r.person_key]
    reasons = {}
    if which == "left" and keys:
        why = select(gone.c.person_key, gone.c.left_reason).where(gone.c.person_key.in_(keys))
        reasons = dict(session.execute(why).all())
    return records, total, person_sources(session, keys), reasons


def _gone() -> Subquery:
    """(person_key, left_reason) of the persons made from the roster who left it: moved out or deceased (a
    person merged into another has not: that one lives on)."""
    first = aliased(SourceRecord)
    return (
        select(first.person_key, Person.left_reason)
        .join(Person, Person.roster_record_id == first.id)
        .where(Person.left_at.is_not(None), Person.left_reason != LeftReason.merged.value)
        .subquery()
    )


def person_sources(session: Session, person_keys: Sequence[int]) -> dict[int, list[str]]:
    """Each person's source kinds, with a count where a kind holds them more than once ("sweep ×2")."""
    if not person_keys:
        return {}
    rows = session.execute(
        select(SourceRecord.person_key, SourceRecord.source_kind, func.count())
        .where(SourceRecord.person_key.in_(set(person_keys)))
        .group_by(SourceRecord.person_key, SourceRecord.source_kind)
        .order_by(SourceRecord.person_key, SourceRecord.source_kind)
    )
    found: dict[int, list[str]] = {}
    for key, kind, count in rows:
        found.setdefault(key, []).append(kind if count == 1 else f"{kind} ×{count}")
    return found


def records_of(session: Session, principal: Principal, person_key: int) -> list[SourceRecord]:
    """Every source record of one person, if the caller may see the grid where the person lives now."""
    records = list(session.scalars(select(SourceRecord).where(SourceRecord.person_key == person_key)))
    current = next((r for r in records if r.is_current), None)
    if current is None or not _covers_grid(session, principal, current.committee_id):
        raise RosterPersonNotFound(person_key)
    return sorted(records, key=lambda r: (r.source_kind, r.id))


def queue_counts(session: Session, principal: Principal, grid_id: int) -> dict[str, int]:
    """For a grid's roster page: pairs waiting, open tasks by kind."""
    pairs = session.scalar(
        select(func.count()).select_from(ReviewPair).where(_grid_scope(session, principal, grid_id,
                                                                       ReviewPair.committee_id))
    )  # fmt: skip
    tasks = dict(
        session.execute(
            select(DoorKnockTask.kind, func.count())
            .where(DoorKnockTask.committee_id == grid_id, DoorKnockTask.status == "open")
            .group_by(DoorKnockTask.kind)
        ).all()
    )
    return {"review_pairs": pairs or 0, **{k: tasks.get(k, 0) for k in ("not_at_door", "not_on_list",
                                                                          "empty_household")}}  # fmt: skip
