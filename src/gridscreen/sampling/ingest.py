"""Scan batches from devices: idempotent, one outcome per scan, nobody dropped, no tube overfilled.

A batch is processed with a handful of set-wise queries (duplicates, persons, tubes, person-rounds,
policies) and written with one insert; tubes are locked in barcode order so concurrent devices filling
the same tube wait for each other instead of overfilling it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from gridscreen.areas.models import Area
from gridscreen.auth.principal import Principal
from gridscreen.db import insert_new, upsert
from gridscreen.errors import DomainError
from gridscreen.i18n import Translate
from gridscreen.people import identity
from gridscreen.people import service as people
from gridscreen.people.models import Household, Person
from gridscreen.planning import service as planning
from gridscreen.planning.models import Pooling, Round
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
from gridscreen.sampling.models import Device, PersonRound, Scan, Tube
from gridscreen.sampling.resident_code import read_resident_code
from gridscreen.sampling.schemas import ScanIn, ScanOutcome
from gridscreen.sampling.service import Deltas, close_retests
from gridscreen.sampling.tube_state import PersonStatus, TubeStatus

CLOCK_SKEW = timedelta(minutes=10)
HOUSEHOLD_TUBE = 20  # one tube per household: room for the largest family, closed by the sampler


@dataclass
class _Scan:
    index: int
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
    current = planning.running_round(session, round_id)
    places = _places(session, principal, scans)
    items = [_Scan(i, s) for i, s in enumerate(scans)]

    def reject(item: _Scan, error: DomainError) -> None:
        item.outcome = ScanOutcome(device_seq=item.data.device_seq, status="rejected", reason=error.message(translate))

    _mark_duplicates(session, device_id, items)
    live = [i for i in items if i.outcome is None]
    for item in live:
        try:
            _check(item, places, now, secret)
        except DomainError as error:
            reject(item, error)
    live = [i for i in live if i.outcome is None]
    _find_persons(session, items=live, reject=reject)
    live = [i for i in live if i.outcome is None]
    rounds = _person_rounds(session, current.id, {i.person.id for i in live})
    policies = _policies(session, current.id, live)
    deltas, rows = Deltas(), []
    tubes = _open_tubes(session, current, live, policies, rounds, deltas)
    for item in live:
        try:
            tube = _place_in_tube(current, item, tubes, rounds, now)
        except DomainError as error:
            reject(item, error)
            continue
        pr = rounds.get(item.person.id)
        if pr is None:
            pr = _PR(
                round_id=current.id,
                person_id=item.person.id,
                committee_id=item.person.committee_id,
                district_id=item.person.district_id,
                status=None,
                samples=0,
                found_at_site=True,
                new=True,
            )
            rounds[item.person.id] = pr
            deltas.add((pr.committee_id, pr.district_id), "found_at_site")
            item.flags.append("found_at_site")
        repeat = pr.samples > 0
        grid = (pr.committee_id, pr.district_id)
        deltas.add_progress(grid, item.data.scanned_at, "scans")
        if item.data.site_id is not None:
            deltas.add_site(item.data.site_id, item.data.scanned_at, "swabs")
        if repeat:
            item.flags.append("repeat")
            deltas.add(grid, "repeats")
        else:
            deltas.add_progress(grid, item.data.scanned_at, "persons")
        old = pr.status
        if old in (PersonStatus.hold, PersonStatus.to_resample):
            close_retests(session, pr, now, deltas)
        new = tube_state.on_sampled(PersonStatus(old)) if old else PersonStatus.sampled
        deltas.status_change((pr.committee_id, pr.district_id), old, new)
        pr.status, pr.samples, pr.tube_id, pr.sampled_at = new, pr.samples + 1, tube.id, item.data.scanned_at
        pr.changed = True
        rows.append(_scan_row(current, device_id, item, tube, repeat, now))
        item.outcome = ScanOutcome(
            device_seq=item.data.device_seq,
            status="stored",
            person_id=item.person.id,
            tube_status=tube.status,
            flags=item.flags,
        )
    _write_tubes(session, tubes)
    _write_person_rounds(session, rounds)
    if rows:
        session.execute(insert(Scan.__table__), rows)
    deltas.write(session, current.id)
    _record_device(session, principal, current.id, device_id, scans, pending, now)
    return [i.outcome for i in items]


def _record_device(session, principal: Principal, round_id: int, device_id: str, scans, pending: int, now) -> None:
    last = max(scans, key=lambda s: s.device_seq)
    row = {
        "device_id": device_id,
        "round_id": round_id,
        "user_id": principal.user_id,
        "site_id": last.site_id,
        "route_id": last.route_id,
        "last_seq": last.device_seq,
        "pending": pending,
        "last_seen": now,
    }
    upsert(session, Device, [row], unique=["device_id"], replace=[k for k in row if k != "device_id"])


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
    sampled_at: datetime | None = None
    found_at_site: bool = False
    new: bool = False
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
    sealed_at: datetime | None
    changed: bool = False


def _write_person_rounds(session: Session, rounds: dict[int, _PR]) -> None:
    table = PersonRound.__table__
    fresh = [pr for pr in rounds.values() if pr.new]
    if fresh:
        session.execute(
            insert(table),
            [
                {
                    "round_id": p.round_id,
                    "person_id": p.person_id,
                    "district_id": p.district_id,
                    "committee_id": p.committee_id,
                    "status": p.status,
                    "tube_id": p.tube_id,
                    "samples": p.samples,
                    "found_at_site": True,
                    "sampled_at": p.sampled_at,
                }  # fmt: skip
                for p in fresh
            ],
        )
    changed = [pr for pr in rounds.values() if pr.changed and not pr.new]
    if changed:
        statement = (
            update(table)
            .where(table.c.round_id == bindparam("b_round"), table.c.person_id == bindparam("b_person"))
            .values(
                status=bindparam("b_status"),
                samples=bindparam("b_samples"),
                tube_id=bindparam("b_tube"),
                sampled_at=bindparam("b_at"),
            )  # fmt: skip
        )
        session.execute(
            statement,
            [
                {
                    "b_round": p.round_id,
                    "b_person": p.person_id,
                    "b_status": p.status,
                    "b_samples": p.samples,
                    "b_tube": p.tube_id,
                    "b_at": p.sampled_at,
                }  # fmt: skip
                for p in changed
            ],
        )


def _write_tubes(session: Session, tubes: dict[str, _Tube]) -> None:
    changed = [t for t in tubes.values() if t.changed]
    if changed:
        table = Tube.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(members=bindparam("b_members"), status=bindparam("b_status"), sealed_at=bindparam("b_sealed"))
        )
        session.execute(
            statement,
            [{"b_id": t.id, "b_members": t.members, "b_status": t.status, "b_sealed": t.sealed_at} for t in changed],
        )


def _mark_duplicates(session: Session, device_id: str, items: list[_Scan]) -> None:
    seqs = [i.data.device_seq for i in items]
    stored = set(session.scalars(select(Scan.device_seq).where(Scan.device_id == device_id, Scan.device_seq.in_(seqs))))
    for item in items:
        seq = item.data.device_seq
        if seq in stored:
            item.outcome = ScanOutcome(device_seq=seq, status="duplicate", flags=["already_stored"])
        stored.add(seq)  # the same scan twice in one batch: the second is a duplicate too


def _places(session: Session, principal: Principal, scans: Sequence[ScanIn]) -> dict[tuple[str, int], Area]:
    """The grid of every site and route in the batch. One outside the caller's areas refuses the whole batch:
    that is not a bad scan but a device working where its user may not."""
    places: dict[tuple[str, int], Area] = {}
    for site_id in {s.site_id for s in scans if s.site_id is not None}:
        places["site", site_id] = session.get(Area, planning.get_site(session, principal, site_id).committee_id)
    for route_id in {s.route_id for s in scans if s.route_id is not None and s.site_id is None}:
        places["route", route_id] = session.get(Area, planning.get_route(session, principal, route_id).committee_id)
    return places


def _check(item: _Scan, places: dict[tuple[str, int], Area], now: datetime, secret: bytes) -> None:
    data = item.data
    if data.scanned_at > now + CLOCK_SKEW:
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


def _find_persons(session: Session, *, items: list[_Scan], reject) -> None:
    ids = {i.person.id for i in items if isinstance(i.person, _PersonRef)}
    documents = {i.document for i in items if i.document}
    # With each person, the areas above their building: the pooling policy that applies is read from them.
    query = (
        select(
            Person.id,
            Person.household_id,
            Person.committee_id,
            Person.district_id,
            Person.document_number,
            Household.building_id,
            Area.compound_id.label("b_compound"),
            Area.subdistrict_id.label("b_subdistrict"),
        )  # fmt: skip
        .join(Household, Household.id == Person.household_id)
        .join(Area, Area.id == Household.building_id)
    )
    by_id = {p.id: p for p in session.execute(query.where(Person.id.in_(ids)))} if ids else {}
    by_document = (
        {p.document_number: p for p in session.execute(query.where(Person.document_number.in_(documents)))}
        if documents
        else {}
    )
    for item in items:
        if isinstance(item.person, _PersonRef):
            item.person = by_id.get(item.person.id)
            if item.person is None:
                reject(item, UnknownPerson())
        elif item.document in by_document:
            item.person = by_document[item.document]
        else:
            item.person = people.register_found(
                session,
                grid=item.place,
                name=item.data.name,
                document_type=item.data.document_type,
                document_number=item.document,
            )
            by_document[item.document] = item.person


def _lock_tubes(session: Session, barcodes: set[str]) -> dict[str, _Tube]:
    if not barcodes:
        return {}
    # Locking in a fixed order keeps two batches touching the same tubes from deadlocking.
    t = Tube.__table__
    columns = (t.c.id, t.c.round_id, t.c.barcode, t.c.committee_id, t.c.district_id, t.c.pool_size, t.c.members,
               t.c.status, t.c.household_id, t.c.sealed_at)  # fmt: skip
    query = select(*columns).where(t.c.barcode.in_(sorted(barcodes))).order_by(t.c.barcode).with_for_update()
    return {r.barcode: _Tube(*r) for r in session.execute(query)}


def _person_rounds(session: Session, round_id: int, person_ids: set[int]) -> dict[int, _PR]:
    if not person_ids:
        return {}
    t = PersonRound.__table__
    query = (
        select(t.c.person_id, t.c.committee_id, t.c.district_id, t.c.status, t.c.samples, t.c.tube_id)
        .where(t.c.round_id == round_id, t.c.person_id.in_(person_ids))
        .order_by(t.c.person_id)
        .with_for_update()
    )
    return {
        r.person_id: _PR(round_id, r.person_id, r.committee_id, r.district_id, r.status, r.samples, r.tube_id)
        for r in session.execute(query)
    }


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


def _open_tubes(session: Session, current: Round, items: list[_Scan], policies, rounds, deltas) -> dict[str, _Tube]:
    """Create the batch's new tubes (shaped by the first scan into each), then lock every tube it touches.

    Two devices may open the same new tube at once: the insert skips a barcode another transaction has
    just created (waiting for it to commit), and the lock then sees that tube."""
    barcodes = sorted({i.barcode for i in items})
    fresh: dict[str, dict] = {}
    for item in items:  # every barcode as if new: the insert skips the ones that exist
        if item.barcode in fresh:
            continue
        policy, person = policies[item.person.household_id], item.person
        pr = rounds.get(person.id)
        on_hold = pr is not None and pr.status == PersonStatus.hold
        single = on_hold or policy.pooling == Pooling.single
        fresh[item.barcode] = {
            "round_id": current.id,
            "barcode": item.barcode,
            "district_id": item.place.district_id,
            "committee_id": item.place.id,
            "pool_size": 1 if single else (HOUSEHOLD_TUBE if policy.pooling == Pooling.household else policy.pool_size),
            "members": 0,
            "status": TubeStatus.open,
            "household_id": person.household_id if policy.pooling == Pooling.household else None,
            "site_id": item.data.site_id,
            "route_id": item.data.route_id,
            "retest": on_hold,
            "opened_at": item.data.scanned_at,
        }
    for barcode in insert_new(session, Tube, list(fresh.values()), unique=["barcode"], returning=Tube.barcode):
        row = fresh[barcode]
        deltas.add((row["committee_id"], row["district_id"]), "tubes")
        deltas.add_progress((row["committee_id"], row["district_id"]), row["opened_at"], "tubes")
        if row["site_id"] is not None:
            deltas.add_site(row["site_id"], row["opened_at"], "tubes")
    return _lock_tubes(session, set(barcodes))


def _place_in_tube(current: Round, item: _Scan, tubes: dict[str, _Tube], rounds, now: datetime) -> _Tube:
    person, barcode = item.person, item.barcode
    pr = rounds.get(person.id)
    on_hold = pr is not None and pr.status == PersonStatus.hold
    tube = tubes[barcode]
    if tube.round_id != current.id:
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
        tube.sealed_at = now
        item.flags.append("tube_sealed")
    return tube


def _scan_row(current: Round, device_id: str, item: _Scan, tube: Tube, repeat: bool, now: datetime) -> dict:
    return {
        "round_id": current.id,
        "district_id": item.person.district_id,
        "committee_id": item.person.committee_id,
        "device_id": device_id,
        "device_seq": item.data.device_seq,
        "person_id": item.person.id,
        "tube_id": tube.id,
        "site_id": item.data.site_id,
        "route_id": item.data.route_id,
        "scanned_at": item.data.scanned_at,
        "received_at": now,
        "repeat": repeat,
    }
