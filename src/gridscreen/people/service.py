"""Households and persons within a caller's scope: reading, searching, adding and moving people."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth.models import Role
from gridscreen.auth.principal import Principal, inside
from gridscreen.db import bulk_insert, bulk_update, fetch, one_of, stored_time, stream
from gridscreen.people import identity
from gridscreen.people.exceptions import (
    AlreadyInHousehold,
    DocumentAlreadyRegistered,
    HouseholdExists,
    HouseholdNotFound,
    NotABuilding,
    PersonNotFound,
)
from gridscreen.people.models import DoorReason, Household, HouseholdKind, Person
from gridscreen.people.schemas import HouseholdIn, HouseholdOut, PersonIn, PersonOut

Building = aliased(Area, name="building")


def _visible(principal: Principal, household: Household, building: Area) -> bool:
    if principal.role == Role.resident:
        return household.id == principal.household_id
    return principal.covers(building)


def _scoped(query: Select, principal: Principal) -> Select:
    """Restrict a query over Household to what the caller may see."""
    if principal.role == Role.resident:
        return query.where(Household.id == principal.household_id)
    return query.join(Building, Building.id == Household.building_id).where(principal.area_clause(Building))


def _in_area(query: Select, area: Area) -> Select:
    if area.level == Level.building:  # the common drill-down: no join needed
        return query.where(Household.building_id == area.id)
    if area.level == Level.committee:
        return query.where(Household.committee_id == area.id)
    return query.where(inside(Building, area.id, Level(area.level)))


def get_household(session: Session, principal: Principal, household_id: int) -> Household:
    household = session.get(Household, household_id)
    if household is None or not _visible(principal, household, session.get(Area, household.building_id)):
        raise HouseholdNotFound(household_id)
    return household


def list_households(
    session: Session, principal: Principal, *, area_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[Household], int]:
    """One page of the households in an area; the total comes from the area's kept count."""
    area = areas.get_area(session, principal, area_id)
    query = _in_area(_scoped(select(Household), principal), area)
    order = (Household.building_id, Household.unit, Household.room, Household.id)
    items = session.scalars(query.order_by(*order).limit(limit).offset(offset))
    return list(items), area.households


def create_household(session: Session, principal: Principal, data: HouseholdIn) -> Household:
    building = areas.get_area(session, principal, data.building_id)
    if building.level != Level.building:
        raise NotABuilding(building.id)
    existing = session.scalar(
        select(Household.id).where(
            Household.building_id == building.id, Household.unit == data.unit, Household.room == data.room
        )
    )
    if existing is not None:
        raise HouseholdExists(existing)
    household = Household(
        building_id=building.id,
        committee_id=building.committee_id,
        district_id=building.district_id,
        unit=data.unit,
        room=data.room,
        kind=data.kind,
        residents=0,
    )
    session.add(household)
    session.flush()
    areas.adjust_counts(session, building, households=1)
    return household


def get_person(session: Session, principal: Principal, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise PersonNotFound(person_id)
    try:
        get_household(session, principal, person.household_id)
    except HouseholdNotFound:
        raise PersonNotFound(person_id) from None
    return person


def search_persons(
    session: Session,
    principal: Principal,
    *,
    area_id: int | None = None,
    household_id: int | None = None,
    q: str | None = None,
    door_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Person], int]:
    """Persons living where the caller may see, by area or household, optionally matching a name, document or
    phone. Those who left the roster (moved out, deceased, merged) are no longer listed."""
    query = _scoped(select(Person).join(Household, Household.id == Person.household_id), principal)
    query = query.where(Person.left_at.is_(None))
    counted_total: int | None = None
    if household_id is not None:
        household = get_household(session, principal, household_id)
        query = query.where(Person.household_id == household.id)
        counted_total = household.residents
    elif area_id is not None:
        area = areas.get_area(session, principal, area_id)
        query = _in_area(query, area)
        counted_total = area.door_to_door if door_only else area.residents
    if door_only:
        query = query.where(Person.door_reasons != 0)
    if q := (q or "").strip():
        query = query.where(_matches(q))
        counted_total = None
    if counted_total is None:
        counted_total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Person.household_id, Person.id).limit(limit).offset(offset))
    return list(items), counted_total


def _matches(q: str):
    """A name prefix, or an exact document number or phone (typed the way people type them)."""
    if any(c.isdigit() for c in q):
        candidates = {q.upper().replace(" ", "")}
        with contextlib.suppress(identity.InvalidDocument):
            candidates.add(identity.validate_resident_id(q).number)
        with contextlib.suppress(identity.InvalidPhone):
            candidates.add(identity.normalise_phone(q))
        return Person.document_number.in_(candidates) | Person.phone.in_(candidates)
    return Person.name.startswith(q, autoescape=True)


def _door_bits(names: list[str]) -> int:
    bits = 0
    for name in names:
        bits |= DoorReason[name]
    return bits


def add_person(session: Session, principal: Principal, data: PersonIn, *, today: date) -> Person:
    """Register a person in a household (found on a sweep, newly arrived); checks the document first."""
    household = get_household(session, principal, data.household_id)
    number = identity.validate_document(data.document_type, data.document_number)
    birth_date, sex = data.birth_date, data.sex
    if data.document_type == identity.DocumentType.resident_id:
        parsed = identity.validate_resident_id(number, today=today)
        birth_date = birth_date or parsed.birth_date
        if parsed.birth_date != birth_date or parsed.sex != sex:
            raise identity.InvalidDocument(
                "the resident ID number says born {birth} ({sex}); check the birth date and sex",
                birth=parsed.birth_date.isoformat(),
                sex=parsed.sex,
            )
    if number:
        existing = session.scalar(select(Person.id).where(Person.document_number == number))
        if existing is not None:
            raise DocumentAlreadyRegistered(existing)
    phone = identity.normalise_phone(data.phone) if data.phone else None
    building = session.get(Area, household.building_id)
    registered_elsewhere = data.document_type != identity.DocumentType.resident_id or not number.startswith(
        _city_prefix(building)
    )
    person = Person(
        household_id=household.id,
        committee_id=household.committee_id,
        district_id=household.district_id,
        name=data.name.strip(),
        sex=sex,
        birth_date=birth_date,
        phone=phone,
        document_type=data.document_type,
        document_number=number or None,
        registered_elsewhere=registered_elsewhere,
        door_reasons=_door_bits(data.door_reasons),
    )
    session.add(person)
    household.residents += 1
    session.flush()
    areas.adjust_counts(session, building, residents=1, door_to_door=int(person.door_reasons != 0))
    return person


# The household that holds people found at a site until the grid worker places them where they live.
FOUND_ROOM = "待核实"


def register_found(
    session: Session, *, grid: Area, name: str | None, document_type: str, document_number: str
) -> Person:
    """Someone on no list, swabbed anyway: kept in the grid's to-verify household, counted like anyone else."""
    household = session.scalar(
        select(Household).where(Household.committee_id == grid.id, Household.room == FOUND_ROOM).limit(1)
    )
    if household is None:
        building_id = session.scalar(
            select(Area.id).where(Area.committee_id == grid.id, Area.level == Level.building).order_by(Area.id).limit(1)
        )
        household = Household(
            building_id=building_id,
            committee_id=grid.id,
            district_id=grid.district_id,
            unit="-",
            room=FOUND_ROOM,
            kind=HouseholdKind.collective,
            residents=0,
        )
        session.add(household)
        session.flush()
        areas.adjust_counts(session, session.get(Area, building_id), households=1)
    birth, sex = None, "U"  # unknown until the grid worker meets them, unless the ID number says
    if document_type == identity.DocumentType.resident_id:
        parsed = identity.validate_resident_id(document_number)
        birth, sex = parsed.birth_date, parsed.sex
    person = Person(
        household_id=household.id,
        committee_id=grid.id,
        district_id=grid.district_id,
        name=(name or "").strip() or "?",
        sex=sex,
        birth_date=birth,
        document_type=document_type,
        document_number=document_number,
        registered_elsewhere=True,
        door_reasons=0,
    )
    session.add(person)
    household.residents += 1
    session.flush()
    areas.adjust_counts(session, session.get(Area, household.building_id), residents=1)
    return person


def _city_prefix(building: Area) -> str:
    # Area codes start with the city's 4-digit region prefix (3101 for Shanghai), as ID numbers do.
    return building.code[:4]


def move_person(session: Session, principal: Principal, *, person_id: int, household_id: int) -> Person:
    """Move a person to another household (people move during a campaign); counts follow them."""
    person = get_person(session, principal, person_id)
    target = get_household(session, principal, household_id)
    if target.id == person.household_id:
        raise AlreadyInHousehold()
    source = session.get(Household, person.household_id)
    door = int(person.door_reasons != 0)
    source.residents -= 1
    target.residents += 1
    areas.adjust_counts(session, session.get(Area, source.building_id), residents=-1, door_to_door=-door)
    areas.adjust_counts(session, session.get(Area, target.building_id), residents=1, door_to_door=door)
    person.household_id = target.id
    person.committee_id = target.committee_id
    person.district_id = target.district_id
    session.flush()
    return person


def household_address(session: Session, household: Household) -> str:
    return household_addresses(session, [household])[household.id]


def household_addresses(session: Session, households: Sequence[Household]) -> dict[int, str]:
    """'compound building unit room' for each household, with two queries however long the list."""
    buildings = {b.id: b for b in session.scalars(select(Area).where(Area.id.in_({h.building_id for h in households})))}
    parents = {b.parent_id for b in buildings.values() if b.parent_id}
    compounds = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(parents))).all()) if parents else {}
    addresses = {}
    for h in households:
        building = buildings[h.building_id]
        prefix = f"{compounds[building.parent_id]} " if building.parent_id in compounds else ""
        addresses[h.id] = f"{prefix}{building.name} {h.unit} {h.room}"
    return addresses


def present_household(session: Session, household: Household) -> HouseholdOut:
    return HouseholdOut(
        id=household.id,
        building_id=household.building_id,
        committee_id=household.committee_id,
        unit=household.unit,
        room=household.room,
        kind=household.kind,
        residents=household.residents,
        address=household_address(session, household),
    )


def present_person(principal: Principal, person: Person, *, detail: bool) -> PersonOut:
    """Masks ID numbers and phones in lists, and in details for roles that don't need them."""
    reveal = detail and (principal.sees_pii or principal.household_id == person.household_id)
    number, phone = person.document_number, person.phone
    if not reveal:
        number = identity.mask_document(number) if number else None
        phone = identity.mask_phone(phone) if phone else None
    return PersonOut(
        id=person.id,
        household_id=person.household_id,
        committee_id=person.committee_id,
        name=person.name,
        sex=person.sex,
        birth_date=person.birth_date,
        phone=phone,
        document_type=person.document_type,
        document_number=number,
        registered_elsewhere=person.registered_elsewhere,
        door_reasons=person.door_reason_names,
        left_reason=person.left_reason,
        masked=not reveal,
    )


@dataclass(frozen=True)
class RosterEntry:
    """One person as the reconciled roster has them: the dwelling where they live now, and who they are."""

    person_id: int | None  # already in the table, or None: someone the roster brings in
    roster_record_id: int
    building_id: int
    unit: str
    room: str
    name: str
    sex: str
    birth_date: date | None
    phone: str | None
    document_type: str
    document_number: str | None


@dataclass
class RosterChange:
    joined: int = 0  # new persons, or persons back after they had left
    moved: int = 0
    left: int = 0


def roster_people(session: Session) -> Iterator[list[tuple]]:
    """(id, household_id, roster_record_id, document_number, left_reason, name, birth_date) of every person, a
    chunk at a time: what reconciliation matches the persons it finds against."""
    sql = ("SELECT id, household_id, roster_record_id, document_number, left_reason, name, birth_date FROM person "
           "ORDER BY id")  # fmt: skip
    return stream(session.connection(), sql)


def dwellings(session: Session) -> Iterator[list[tuple]]:
    """(id, building_id, unit, room) of every household, a chunk at a time."""
    return stream(session.connection(), "SELECT id, building_id, unit, room FROM household ORDER BY id")


def settle_roster(
    session: Session, entries: Sequence[RosterEntry], leaving: Sequence[tuple[int, str, int]], *, now: datetime,
    fold: Callable[[str], str] = str.strip,
) -> RosterChange:  # fmt: skip
    """Make households and persons what the reconciled roster says: new persons added, persons moved to the
    dwelling they live in now (created when the lists name one the table lacks), and `leaving` (person id,
    LeftReason, roster record) marked as gone. Nobody is deleted: past rounds point at them. Household and
    area counts follow. Unit and room are compared through `fold` ("3单元" and "03" can be one unit)."""
    conn, change = session.connection(), RosterChange()
    households = _households(session, {(e.building_id, fold(e.unit), fold(e.room)): e for e in entries}, fold)
    known = {e.person_id for e in entries if e.person_id is not None} | {p for p, _, _ in leaving}
    sql = "SELECT id, household_id, roster_record_id, left_reason FROM person WHERE {}"
    before = {r[0]: r[1:] for r in _chunked(conn, sql, "id", sorted(known))}
    new, moves = [], []
    for e in entries:
        home = households[e.building_id, fold(e.unit), fold(e.room)]
        if e.person_id is None:
            new.append((home[0], home[1], home[2], e.name, e.sex, e.birth_date, e.phone, e.document_type,
                        e.document_number, False, 0, e.roster_record_id))  # fmt: skip
            continue
        household, anchor, left = before[e.person_id]
        if household != home[0] or anchor != e.roster_record_id or left is not None:
            moves.append((e.person_id, home[0], home[1], home[2], e.roster_record_id, None, None))
            change.joined += left is not None
            change.moved += left is None and household != home[0]
    gone = stored_time(conn)(now)
    leaves = [(p, gone, reason, anchor) for p, reason, anchor in leaving if before[p][2] is None]
    change.joined += len(new)
    change.left = len(leaves)
    columns = ("household_id", "committee_id", "district_id", "name", "sex", "birth_date", "phone", "document_type",
               "document_number", "registered_elsewhere", "door_reasons", "roster_record_id")  # fmt: skip
    bulk_insert(conn, Person.__tablename__, columns, new)
    bulk_update(conn, Person.__tablename__, "id", ("household_id", "committee_id", "district_id", "roster_record_id",
                                                   "left_at", "left_reason"), moves)  # fmt: skip
    bulk_update(conn, Person.__tablename__, "id", ("left_at", "left_reason", "roster_record_id"), leaves)
    touched = {row[0] for row in new} | {row[1] for row in moves} | {before[row[0]][0] for row in moves + leaves}
    _recount(session, touched)
    return change


def _chunked(conn, sql: str, column: str, ids: Sequence[int], size: int = 20_000) -> list[tuple]:
    """The rows of `sql` ("... WHERE {}") where `column` is one of `ids`, a chunk of ids per query."""
    rows = []
    for start in range(0, len(ids), size):
        condition, values = one_of(conn, column, ids[start : start + size])
        rows += fetch(conn, sql.format(condition), (values,))
    return rows


def _households(
    session: Session, dwellings: dict[tuple[int, str, str], RosterEntry], fold: Callable[[str], str]
) -> dict[tuple, tuple[int, int, int]]:
    """(household id, grid, district) of each (building, folded unit, folded room), creating the ones the table
    lacks with the unit and room as the entry gives them."""
    conn = session.connection()
    buildings = sorted({b for b, _, _ in dwellings})

    def existing() -> dict[tuple, tuple[int, int, int]]:
        sql = "SELECT building_id, unit, room, id, committee_id, district_id FROM household WHERE {}"
        found: dict[tuple, tuple[int, int, int]] = {}
        for b, u, r, i, c, d in sorted(_chunked(conn, sql, "building_id", buildings), key=lambda row: row[3]):
            found.setdefault((b, fold(u), fold(r)), (i, c, d))  # the oldest of households that fold together
        return found

    found = existing()
    missing = [dwellings[k] for k in sorted(dwellings.keys() - found.keys())]
    if missing:
        sql = "SELECT id, committee_id, district_id FROM area WHERE {}"
        grids = {i: (c, d) for i, c, d in _chunked(conn, sql, "id", sorted({e.building_id for e in missing}))}
        rows = [(e.building_id, *grids[e.building_id], e.unit, e.room, HouseholdKind.family.value, 0) for e in missing]
        columns = ("building_id", "committee_id", "district_id", "unit", "room", "kind", "residents")
        bulk_insert(conn, Household.__tablename__, columns, rows)
        found = existing()
    return {k: found[k] for k in dwellings}


def _recount(session: Session, household_ids: set[int]) -> None:
    """Residents of the given households counted again, and the changes added to their buildings' counts."""
    conn, ids = session.connection(), sorted(household_ids)
    sql = "SELECT id, building_id, residents FROM household WHERE {}"
    old = {i: (b, n) for i, b, n in _chunked(conn, sql, "id", ids)}
    sql = "SELECT household_id, count(*) FROM person WHERE {} AND left_at IS NULL GROUP BY household_id"
    now = dict.fromkeys(ids, 0) | dict(_chunked(conn, sql, "household_id", ids))
    bulk_update(conn, Household.__tablename__, "id", ("residents",),
                [(h, n) for h, n in now.items() if n != old[h][1]])  # fmt: skip
    changes: dict[int, list[int]] = {}
    for household, (building, was) in old.items():
        delta = changes.setdefault(building, [0, 0, 0])
        delta[0] += now[household] - was
        delta[1] += (now[household] > 0) - (was > 0)
    # People swabbed at their door are few: their buildings' counts are simply taken again.
    buildings = sorted(changes)
    sql = ("SELECT h.building_id, count(*) FROM person p JOIN household h ON h.id = p.household_id "
           "WHERE {} AND p.left_at IS NULL AND p.door_reasons <> 0 GROUP BY h.building_id")  # fmt: skip
    door_now = dict.fromkeys(buildings, 0) | dict(_chunked(conn, sql, "h.building_id", buildings))
    door_was = dict(_chunked(conn, "SELECT id, door_to_door FROM area WHERE {}", "id", buildings))
    for building in buildings:
        changes[building][2] = door_now[building] - door_was[building]
    areas.add_to_counts(session, {b: tuple(c) for b, c in changes.items()})
