"""Scan batches from devices: idempotent, one outcome per scan, nobody dropped, no tube overfilled.

A batch is processed with a handful of set-wise queries (duplicates, persons, tubes, person-rounds,
policies) and written with one insert; tubes are locked in barcode order so concurrent devices filling
the same tube wait for each other instead of overfilling it.

This is the hottest path of a round (a city's day is millions of batches), so its statements go to the
driver as SQL written once (`db.fetch`, `db.execute_many`): through SQLAlchemy, building and binding them
cost more than the database's work. The rare paths (someone found at a site, a retest closed) keep the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen.areas.models import Area
from gridscreen.auth.principal import Principal
from gridscreen.db import (
    bulk_insert,
    bulk_update,
    execute_many,
    fetch,
    for_update,
    insert_new,
    one_of,
    pipelined,
    stored_time,
)
from gridscreen.errors import DomainError
from gridscreen.i18n import Translate
from gridscreen.people import identity
from gridscreen.people import service as people
from gridscreen.people.models import Household, Person
from gridscreen.planning import service as planning
from gridscreen.planning.models import Pooling
from gridscreen.sampling import tube_state
from gridscreen.sampling.barcode import validate_barcode
from gridscreen.sampling.exceptions import (
    NoPlace,
    NoWayToIdentify,
    ScanInFuture,
    SingleTubeOnly,
    TubeOfAnotherHousehold,
    TubeOfAnotherRound,
    UnknownPerson,
)
from gridscreen.sampling.resident_code import read_resident_code
from gridscreen.sampling.schemas import ScanIn, ScanOutcome
from gridscreen.sampling.service import Deltas, close_retests, hour_of
from gridscreen.sampling.tube_state import PersonStatus, TubeStatus

CLOCK_SKEW = timedelta(minutes=10)
HOUSEHOLD_TUBE = 20  # one tube per household: room for the largest family, closed by the sampler


@dataclass
class _Scan:
    data: ScanIn
    barcode: str = ""
    person: Person | None = None
    document: str | None = None
    place: Area | None = None  # the grid of the site or route
    outcome: ScanOutcome | None = None
    flags: list[str] = field(default_factory=list)


def record_scans(
    session: Session,
    principal: Principal,
    *,
    round_id: int,
    device_id: str,
    scans: Sequence[ScanIn],
    now: datetime,
    secret: bytes,
    translate: Translate = lambda s: s,
    pending: int = 0,
) -> list[ScanOutcome]:
    """Store a batch idempotently; one outcome per scan, in order. `pending` is how many scans the device
    still holds after this batch (the site lead sees devices that are behind). Never commits."""
    batch = prepare_scans(
        session, principal, round_id=round_id, scans=scans, now=now, secret=secret, translate=translate
    )
    return store_scans(session, principal, batch, device_id=device_id, now=now, pending=pending)


@dataclass
class PreparedBatch:
    """A batch checked against what no other batch changes: each scan's place, barcode and person, and the
    pooling policy of each person's household. Scans refused so far carry their outcome."""

    round_id: int
    scans: Sequence[ScanIn]
    items: list[_Scan]
    policies: dict
    reject: Callable[[_Scan, DomainError], None]


def prepare_scans(
    session: Session,
    principal: Principal,
    *,
    round_id: int,
    scans: Sequence[ScanIn],
    now: datetime,
    secret: bytes,
    translate: Translate = lambda s: s,
) -> PreparedBatch:
    """The first half of `record_scans`, reads only: a server runs it before its write transaction, so that
    SQLite's writers queue for less. A place outside the caller's areas refuses the whole batch."""
    planning.ensure_running(session, round_id)
    places = _places(session, principal, scans)
    items = [_Scan(s) for s in scans]

    def reject(item: _Scan, error: DomainError) -> None:
        item.outcome = ScanOutcome(device_seq=item.data.device_seq, status="rejected", reason=error.message(translate))

    latest = now + CLOCK_SKEW
    for item in items:
        try:
            _check(item, places, latest, secret)
        except DomainError as error:
            reject(item, error)
    live = [i for i in items if i.outcome is None]
    _find_persons(session, items=live, reject=reject)
    known = [i for i in live if i.outcome is None and i.person is not None]
    return PreparedBatch(round_id, scans, items, _policies(session, round_id, known), reject)


def store_scans(
    session: Session, principal: Principal, batch: PreparedBatch, *, device_id: str, now: datetime, pending: int = 0
) -> list[ScanOutcome]:
    """The second half of `record_scans`, in the write transaction: duplicates, persons found at a site,
    tubes and everyone's state in the round. Never commits."""
    # The round was checked in prepare_scans, milliseconds ago: checking again cost PostgreSQL a round trip
    # a batch, and no part of gridscreen closes a round that is taking scans.
    round_id, items, policies = batch.round_id, batch.items, batch.policies
    _mark_duplicates(session, device_id, items)  # a scan stored before is a duplicate, whatever else it was
    live = [i for i in items if i.outcome is None]
    found = _register_found(session, live)
    if found:
        policies = policies | _policies(session, round_id, found)
    reject = batch.reject
    rounds = _person_rounds(session, round_id, {i.person.id for i in live})
    deltas, rows = Deltas(), []
    to_db = stored_time(session.get_bind())
    received = to_db(now)
    tubes = _open_tubes(session, round_id, live, policies, rounds, deltas)
    for item in live:
        try:
            tube = _place_in_tube(round_id, item, tubes, rounds, received)
        except DomainError as error:
            reject(item, error)
            continue
        pr = rounds.get(item.person.id)
        if pr is None:
            pr = _PR(
                round_id=round_id,
                person_id=item.person.id,
                committee_id=item.person.committee_id,
                district_id=item.person.district_id,
                status=None,
                samples=0,
                new=True,
            )
            rounds[item.person.id] = pr
            deltas.add((pr.committee_id, pr.district_id), "found_at_site")
            item.flags.append("found_at_site")
        repeat = pr.samples > 0
        grid = (pr.committee_id, pr.district_id)
        hour = hour_of(item.data.scanned_at)
        deltas.add_progress(grid, hour, "scans")
        if item.data.site_id is not None:
            deltas.add_site(item.data.site_id, hour, "swabs")
        if repeat:
            item.flags.append("repeat")
            deltas.add(grid, "repeats")
        else:
            deltas.add_progress(grid, hour, "persons")
        old = pr.status
        if old in (PersonStatus.hold, PersonStatus.to_resample):
            close_retests(session, pr, now, deltas)
        new = tube_state.on_sampled(PersonStatus(old)) if old else PersonStatus.sampled
        deltas.status_change((pr.committee_id, pr.district_id), old, new)
        sampled_at = to_db(item.data.scanned_at)
        pr.status, pr.samples, pr.tube_id, pr.sampled_at = new, pr.samples + 1, tube.id, sampled_at
        pr.changed = True
        rows.append(_scan_row(round_id, device_id, item, tube, repeat, sampled_at, received))
        # Validated, not model_construct: pydantic's validator is compiled, and measured 40% faster.
        item.outcome = ScanOutcome(
            device_seq=item.data.device_seq, status="stored", person_id=item.person.id, tube_status=tube.status,
            flags=item.flags,
        )  # fmt: skip
    # Nothing below is read back: on PostgreSQL the writes go out together, one round trip for all of them.
    with pipelined(session.connection()):
        _write_tubes(session, tubes)
        _write_person_rounds(session, rounds)
        if rows:
            bulk_insert(session.connection(), "scan", SCAN_COLUMNS, rows)
        deltas.write(session, round_id)
        _record_device(session, principal, round_id, device_id, batch.scans, pending, received)
    return [i.outcome for i in items]


def _record_device(session, principal: Principal, round_id: int, device_id: str, scans, pending: int, seen) -> None:
    """`seen`: the batch's arrival, as the driver stores it."""
    last = max(scans, key=lambda s: s.device_seq)
    row = (device_id, round_id, principal.user_id, last.site_id, last.route_id, last.device_seq, pending, seen)
    execute_many(session.connection(), _RECORD_DEVICE, [row])


_RECORD_DEVICE = (
    "INSERT INTO device (device_id, round_id, user_id, site_id, route_id, last_seq, pending, last_seen) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET round_id = excluded.round_id, "
    "user_id = excluded.user_id, site_id = excluded.site_id, route_id = excluded.route_id, "
    "last_seq = excluded.last_seq, pending = excluded.pending, last_seen = excluded.last_seen"
)


@dataclass
class _PR:
    """A person's row in the round as the batch changes it (plain rows: the ORM costs more than the work)."""

    round_id: int
    person_id: int
    committee_id: int
    district_id: int
    status: str | None
    samples: int
    tube_id: int | None = None
    sampled_at: datetime | str | None = None  # as the driver stores it (see db.stored_time)
    new: bool = False  # found at a site: no row yet
    changed: bool = False


@dataclass
class _Tube:
    id: int
    round_id: int
    barcode: str
    committee_id: int
    district_id: int
    pool_size: int
    members: int
    status: str
    household_id: int | None
    sealed_at: datetime | str | None  # as the driver reads and stores it (see db.stored_time)
    changed: bool = False


def _write_person_rounds(session: Session, rounds: dict[int, _PR]) -> None:
    conn = session.connection()
    fresh = [(p.round_id, p.person_id, p.district_id, p.committee_id, str(p.status), p.tube_id, p.samples, True,
              p.sampled_at) for p in rounds.values() if p.new]  # fmt: skip
    columns = ("round_id", "person_id", "district_id", "committee_id", "status", "tube_id", "samples",
               "found_at_site", "sampled_at")  # fmt: skip
    if fresh:
        bulk_insert(conn, "person_round", columns, fresh)
    changed = [(p.round_id, p.person_id, str(p.status), p.samples, p.tube_id, p.sampled_at)
               for p in rounds.values() if p.changed and not p.new]  # fmt: skip
    bulk_update(
        conn, "person_round", ("round_id", "person_id"), ("status", "samples", "tube_id", "sampled_at"), changed
    )


def _write_tubes(session: Session, tubes: dict[str, _Tube]) -> None:
    changed = [(t.id, t.members, str(t.status), t.sealed_at) for t in tubes.values() if t.changed]
    bulk_update(session.connection(), "tube", "id", ("members", "status", "sealed_at"), changed)


def _mark_duplicates(session: Session, device_id: str, items: list[_Scan]) -> None:
    conn = session.connection()
    seqs, values = one_of(conn, "device_seq", [i.data.device_seq for i in items])
    stored = {
        seq
        for (seq,) in fetch(conn, f"SELECT device_seq FROM scan WHERE device_id = ? AND {seqs}", (device_id, values))
    }
    for item in items:
        seq = item.data.device_seq
        if seq in stored:
            item.outcome = ScanOutcome(device_seq=seq, status="duplicate", flags=["already_stored"])
        stored.add(seq)  # the same scan twice in one batch: the second is a duplicate too


def _places(session: Session, principal: Principal, scans: Sequence[ScanIn]) -> dict[tuple[str, int], Area]:
    """The grid of every site and route in the batch. One outside the caller's areas refuses the whole batch:
    that is not a bad scan but a device working where its user may not."""
    return planning.place_grids(
        session,
        principal,
        site_ids={s.site_id for s in scans if s.site_id is not None},
        route_ids={s.route_id for s in scans if s.route_id is not None and s.site_id is None},
    )


def _check(item: _Scan, places: dict[tuple[str, int], Area], latest: datetime, secret: bytes) -> None:
    data = item.data
    if data.scanned_at > latest:
        raise ScanInFuture()
    item.barcode = validate_barcode(data.tube)
    if data.site_id is not None:
        item.place = places["site", data.site_id]
    elif data.route_id is not None:
        item.place = places["route", data.route_id]
    else:
        raise NoPlace()
    if data.resident_code:
        item.person = _PersonRef(read_resident_code(data.resident_code, secret=secret))
    elif data.document_type and data.document_type != identity.DocumentType.none and data.document_number:
        item.document = identity.validate_document(data.document_type, data.document_number)
    else:
        raise NoWayToIdentify()


@dataclass
class _PersonRef:
    id: int


class _Person(NamedTuple):
    """A person as a scan needs them, with the areas above their building: the pooling policy is read from them."""

    id: int
    household_id: int
    committee_id: int
    district_id: int
    document_number: str | None
    building_id: int
    b_compound: int | None
    b_subdistrict: int | None


_PERSONS = (
    "SELECT p.id, p.household_id, p.committee_id, p.district_id, p.document_number, h.building_id, a.compound_id, "
    "a.subdistrict_id FROM person p JOIN household h ON h.id = p.household_id JOIN area a ON a.id = h.building_id "
    "WHERE "
)


def _find_persons(session: Session, *, items: list[_Scan], reject) -> None:
    conn = session.connection()
    ids = {i.person.id for i in items if isinstance(i.person, _PersonRef)}
    documents = {i.document for i in items if i.document}
    by_id, by_document = {}, {}
    if ids:
        condition, values = one_of(conn, "p.id", ids)
        by_id = {p.id: p for p in map(_Person._make, fetch(conn, _PERSONS + condition, (values,)))}
    if documents:
        condition, values = one_of(conn, "p.document_number", documents)
        by_document = {p.document_number: p for p in map(_Person._make, fetch(conn, _PERSONS + condition, (values,)))}
    for item in items:
        if isinstance(item.person, _PersonRef):
            item.person = by_id.get(item.person.id)
            if item.person is None:
                reject(item, UnknownPerson())
        else:
            item.person = by_document.get(item.document)  # None: on no list, registered when stored


def _register_found(session: Session, items: list[_Scan]) -> list[_Scan]:
    """Persons on no list, swabbed anyway, become persons of the grid (once per document in the batch)."""
    found, by_document = [], {}
    for item in items:
        if item.person is None:
            if item.document not in by_document:
                by_document[item.document] = people.register_found(
                    session,
                    grid=item.place,
                    name=item.data.name,
                    document_type=item.data.document_type,
                    document_number=item.document,
                )
            item.person = by_document[item.document]
            found.append(item)
    return found


def _lock_tubes(session: Session, barcodes: set[str]) -> dict[str, _Tube]:
    if not barcodes:
        return {}
    conn = session.connection()
    condition, values = one_of(conn, "barcode", sorted(barcodes))
    # Locking in a fixed order keeps two batches touching the same tubes from deadlocking.
    rows = fetch(
        conn,
        "SELECT id, round_id, barcode, committee_id, district_id, pool_size, members, status, household_id, sealed_at "
        "FROM tube "
        f"WHERE {condition} ORDER BY barcode{for_update(conn)}",
        (values,),
    )
    return {r[2]: _Tube(*r) for r in rows}


def _person_rounds(session: Session, round_id: int, person_ids: set[int]) -> dict[int, _PR]:
    if not person_ids:
        return {}
    conn = session.connection()
    condition, values = one_of(conn, "person_id", sorted(person_ids))
    rows = fetch(
        conn,
        "SELECT person_id, committee_id, district_id, status, samples, tube_id FROM person_round "
        f"WHERE round_id = ? AND {condition} ORDER BY person_id{for_update(conn)}",
        (round_id, values),
    )
    return {r[0]: _PR(round_id, *r) for r in rows}


@dataclass(frozen=True)
class _BuildingChain:
    id: int
    compound_id: int | None
    committee_id: int | None
    subdistrict_id: int | None
    district_id: int | None


def _policies(session: Session, round_id: int, items: list[_Scan]):
    """The pooling policy for each person's household, from the building chains read with the persons."""
    chains: dict[int, _BuildingChain] = {}
    households: dict[int, int] = {}
    unknown = set()
    for item in items:
        person = item.person
        if hasattr(person, "building_id"):
            households[person.household_id] = person.building_id
            chains[person.building_id] = _BuildingChain(
                person.building_id, person.b_compound, person.committee_id, person.b_subdistrict, person.district_id
            )
        else:  # found at a site just now: not read with the others
            unknown.add(person.household_id)
    if unknown:
        rows = session.execute(
            select(Household.id, Area.id, Area.compound_id, Area.committee_id, Area.subdistrict_id, Area.district_id)
            .join(Area, Area.id == Household.building_id)
            .where(Household.id.in_(unknown))
        )
        for household_id, *chain in rows:
            households[household_id] = chain[0]
            chains[chain[0]] = _BuildingChain(*chain)
    by_building = planning.policies_for(session, round_id, chains.values())
    return {hid: by_building[bid] for hid, bid in households.items()}


def _open_tubes(session: Session, round_id: int, items: list[_Scan], policies, rounds, deltas) -> dict[str, _Tube]:
    """Create the batch's new tubes (shaped by the first scan into each), then lock every tube it touches.

    Two devices may open the same new tube at once: the insert skips a barcode another transaction has
    just created (waiting for it to commit), and the lock then sees that tube."""
    fresh: dict[str, dict] = {}
    for item in items:  # every barcode as if new: the insert skips the ones that exist
        if item.barcode in fresh:
            continue
        policy, person = policies[item.person.household_id], item.person
        pr = rounds.get(person.id)
        on_hold = pr is not None and pr.status == PersonStatus.hold
        single = on_hold or policy.pooling == Pooling.single
        fresh[item.barcode] = {
            "round_id": round_id,
            "barcode": item.barcode,
            "district_id": item.place.district_id,
            "committee_id": item.place.id,
            "pool_size": 1 if single else (HOUSEHOLD_TUBE if policy.pooling == Pooling.household else policy.pool_size),
            "members": 0,
            "status": TubeStatus.open.value,
            "household_id": person.household_id if policy.pooling == Pooling.household else None,
            "site_id": item.data.site_id,
            "route_id": item.data.route_id,
            "retest": on_hold,
            "opened_at": item.data.scanned_at,
        }
    for barcode in _insert_new_tubes(session, list(fresh.values())):
        row = fresh[barcode]
        deltas.add((row["committee_id"], row["district_id"]), "tubes")
        deltas.add_progress((row["committee_id"], row["district_id"]), hour_of(row["opened_at"]), "tubes")
        if row["site_id"] is not None:
            deltas.add_site(row["site_id"], hour_of(row["opened_at"]), "tubes")
    return _lock_tubes(session, set(fresh))


_TUBE_COLUMNS = ("round_id", "barcode", "district_id", "committee_id", "pool_size", "members", "status",
                 "household_id", "site_id", "route_id", "retest", "opened_at")  # fmt: skip


def _insert_new_tubes(session: Session, rows: list[dict]) -> list[str]:
    """The barcodes of the rows inserted; a barcode already there (or being added by another transaction,
    which we wait for) is skipped."""
    to_db = stored_time(session.get_bind())
    values = [[to_db(row[c]) if c == "opened_at" else row[c] for c in _TUBE_COLUMNS] for row in rows]
    return insert_new(session.connection(), "tube", _TUBE_COLUMNS, values, unique=["barcode"], returning="barcode")


def _place_in_tube(round_id: int, item: _Scan, tubes: dict[str, _Tube], rounds, sealed_at) -> _Tube:
    person, barcode = item.person, item.barcode
    pr = rounds.get(person.id)
    on_hold = pr is not None and pr.status == PersonStatus.hold
    tube = tubes[barcode]
    if tube.round_id != round_id:
        raise TubeOfAnotherRound(barcode)
    if tube.household_id is not None and tube.household_id != person.household_id:
        raise TubeOfAnotherHousehold(barcode)
    if on_hold and tube.pool_size > 1:
        raise SingleTubeOnly(barcode)
    state = tube_state.add_member(
        tube_state.Tube(pool_size=tube.pool_size, members=tube.members, status=tube.status), barcode=barcode
    )
    if item.data.close_tube and state.status == TubeStatus.open:
        state = tube_state.close(state, barcode=barcode)
    tube.members, tube.status, tube.changed = state.members, state.status, True
    if state.status == TubeStatus.sealed:
        tube.sealed_at = sealed_at
        item.flags.append("tube_sealed")
    return tube


SCAN_COLUMNS = ("round_id", "district_id", "committee_id", "device_id", "device_seq", "person_id", "tube_id",
                "site_id", "route_id", "scanned_at", "received_at", "repeat")  # fmt: skip


def _scan_row(round_id: int, device_id: str, item: _Scan, tube: _Tube, repeat: bool, sampled_at, received) -> tuple:
    data, person = item.data, item.person
    return (round_id, person.district_id, person.committee_id, device_id, data.device_seq, person.id, tube.id,
            data.site_id, data.route_id, sampled_at, received, repeat)  # fmt: skip
