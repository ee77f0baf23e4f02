"""Rounds opened for sampling, tubes closed and cancelled, tube results turned into each person's outcome,
and the per-grid counts kept on every write."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, delete, exists, func, insert, literal, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from gridscreen import clock
from gridscreen.areas.models import Area, Level
from gridscreen.auth.principal import Principal, inside
from gridscreen.db import execute_many, is_postgres, stored_time
from gridscreen.people.models import Household, Person
from gridscreen.planning import service as planning
from gridscreen.planning.models import Round, RoundStatus
from gridscreen.planning.schemas import RoundIn
from gridscreen.sampling import tube_state
from gridscreen.sampling.exceptions import TubeNotFound
from gridscreen.sampling.models import (
    STATUS_COLUMN,
    Device,
    GridCount,
    PersonRound,
    RetestOrder,
    Scan,
    SiteCount,
    Tube,
)
from gridscreen.sampling.schemas import DeviceOut, SiteToday
from gridscreen.sampling.tube_state import PersonStatus

Building = aliased(Area, name="building")
# A pooled positive's members are retested at their door within this time (the exception list shows overdue ones).
RETEST_WITHIN = timedelta(hours=12)

GridKey = tuple[int, int]  # (committee_id, district_id)
PROGRESS_COLUMNS = ("scans", "persons", "tubes", "tubes_resulted", "persons_resulted")
GRID_COLUMNS = tuple(
    c.name for c in GridCount.__table__.columns if c.name not in ("round_id", "committee_id", "district_id")
)

# Deltas are written on every scan batch and every result: driver SQL, built once (see db.fetch).
_NEW_GRID = (
    f"INSERT INTO grid_count (round_id, committee_id, district_id, {', '.join(GRID_COLUMNS)}) "
    f"VALUES (?, ?, ?{', 0' * len(GRID_COLUMNS)}) ON CONFLICT (round_id, committee_id) DO NOTHING"
)
_ADD_TO_GRID = (
    f"UPDATE grid_count SET {', '.join(f'{c} = {c} + ?' for c in GRID_COLUMNS)} WHERE round_id = ? AND committee_id = ?"
)
_ADD_TO_HOUR = (
    f"INSERT INTO progress_count (round_id, committee_id, hour, district_id, {', '.join(PROGRESS_COLUMNS)}) "
    f"VALUES (?, ?, ?, ?{', ?' * len(PROGRESS_COLUMNS)}) ON CONFLICT (round_id, committee_id, hour) DO UPDATE SET "
    + ", ".join(f"{c} = progress_count.{c} + excluded.{c}" for c in PROGRESS_COLUMNS)
)
_ADD_TO_SITE_HOUR = (
    "INSERT INTO site_count (round_id, site_id, hour, swabs, tubes) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (round_id, site_id, hour) DO UPDATE SET swabs = site_count.swabs + excluded.swabs, "
    "tubes = site_count.tubes + excluded.tubes"
)


def open_round(session: Session, data: RoundIn, *, now: datetime) -> Round:
    """Create a round and enrol everyone living in its blocks: the roster coverage is measured against."""
    new = planning.create_round(session, data, now=now)
    _enrol(session, new.id, planning.block_areas(session, new.id))
    if is_postgres(session.get_bind()):
        # Millions of rows arrive at once: fresh statistics before the first scans and pages plan queries
        # (without them PostgreSQL scans whole tables until autovacuum catches up).
        session.execute(text("ANALYZE person_round, grid_count"))
    return new


def _residents(round_id: int, block_areas: Iterable[Area]) -> Select:
    """(round, person, district, grid, expected, 0, False) for everyone on the roster living in the blocks."""
    conditions = [inside(Building, a.id, Level(a.level)) for a in block_areas]
    return (
        select(
            literal(round_id),
            Person.id,
            Person.district_id,
            Person.committee_id,
            literal(PersonStatus.expected.value),
            literal(0),
            literal(False),
        )
        .join(Household, Household.id == Person.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(or_(*conditions), Person.left_at.is_(None))
    )


_ENROL_COLUMNS = ["round_id", "person_id", "district_id", "committee_id", "status", "samples", "found_at_site"]


def _enrol(session: Session, round_id: int, block_areas: Iterable[Area]) -> None:
    session.execute(insert(PersonRound).from_select(_ENROL_COLUMNS, _residents(round_id, block_areas)))
    per_grid = (
        select(PersonRound.round_id, PersonRound.committee_id, PersonRound.district_id, func.count(), func.count())
        .where(PersonRound.round_id == round_id)
        .group_by(PersonRound.round_id, PersonRound.committee_id, PersonRound.district_id)
    )
    columns = ["round_id", "committee_id", "district_id", "persons", "not_sampled"]
    session.execute(insert(GridCount).from_select(columns, per_grid))


def follow_roster(session: Session) -> int:
    """After the roster changed: each running round expects whoever lives in its blocks now. Those not yet
    swabbed who left, or moved to another grid or out of the blocks, leave its list; newcomers join it. Anyone
    with a sample, or swabbed at a site, stays where they were counted. Returns the rows changed."""
    changed = 0
    for round_id in session.scalars(select(Round.id).where(Round.status == RoundStatus.running).order_by(Round.id)):
        residents = _residents(round_id, planning.block_areas(session, round_id)).subquery()
        deltas = Deltas()
        stale = (
            delete(PersonRound)
            .where(
                PersonRound.round_id == round_id,
                PersonRound.status == PersonStatus.expected.value,
                PersonRound.samples == 0,
                PersonRound.found_at_site.is_(False),
                ~exists().where(residents.c.id == PersonRound.person_id,
                                residents.c.committee_id == PersonRound.committee_id),
            )
            .returning(PersonRound.committee_id, PersonRound.district_id)
        )  # fmt: skip
        for grid in session.execute(stale).all():
            deltas.add(tuple(grid), "persons", -1)
            deltas.add(tuple(grid), "not_sampled", -1)
        # NOT EXISTS, not NOT IN: PostgreSQL turns it into an anti-join whatever the size of the round.
        enrolled = exists().where(PersonRound.round_id == round_id, PersonRound.person_id == residents.c.id)
        newcomers = select(residents).where(~enrolled)
        added = insert(PersonRound).from_select(_ENROL_COLUMNS, newcomers)
        for grid in session.execute(added.returning(PersonRound.committee_id, PersonRound.district_id)).all():
            deltas.status_change(tuple(grid), None, PersonStatus.expected)
        changed += sum(abs(c["persons"]) for c in deltas.by_grid.values())
        deltas.write(session, round_id)
    return changed


class Deltas:
    """Count changes per grid (and per grid and hour), gathered while a batch is processed and written in
    one UPDATE per grid and one upsert for the hours."""

    def __init__(self) -> None:
        self.by_grid: defaultdict[GridKey, Counter] = defaultdict(Counter)
        self.by_hour: defaultdict[tuple[GridKey, datetime], Counter] = defaultdict(Counter)
        self.by_site: defaultdict[tuple[int, datetime], Counter] = defaultdict(Counter)

    def add(self, grid: GridKey, column: str, amount: int = 1) -> None:
        self.by_grid[grid][column] += amount

    def add_progress(self, grid: GridKey, hour: datetime, column: str, amount: int = 1) -> None:
        """Count towards the round's progress over time, in an hour from `hour_of` (a ProgressCount column)."""
        self.by_hour[grid, hour][column] += amount

    def add_site(self, site_id: int, hour: datetime, column: str) -> None:
        """Count a swab or a tube at a site, in an hour from `hour_of` (a SiteCount column)."""
        self.by_site[site_id, hour][column] += 1

    def status_change(self, grid: GridKey, old: str | None, new: str) -> None:
        # STATUS_COLUMN answers plain strings too (a StrEnum member hashes and compares as its value).
        if old == new:
            return
        counter = self.by_grid[grid]
        if old is None:
            counter["persons"] += 1
        else:
            counter[STATUS_COLUMN[old]] -= 1
        counter[STATUS_COLUMN[new]] += 1

    def write(self, session: Session, round_id: int) -> None:
        # A grid outside the round's blocks has no row until someone from it is sampled: create it if
        # missing (racing writers skip each other's), then update every grid in a fixed order.
        conn, to_db = session.connection(), stored_time(session.get_bind())
        grids = sorted(self.by_grid.items())
        execute_many(conn, _NEW_GRID, [(round_id, c, d) for (c, d), _ in grids])
        changes = [
            (*(counter[k] for k in GRID_COLUMNS), round_id, c) for (c, _d), counter in grids if any(counter.values())
        ]
        execute_many(conn, _ADD_TO_GRID, changes)
        self.by_grid.clear()
        hours = sorted(
            (round_id, c, to_db(hour), d, *(counter[k] for k in PROGRESS_COLUMNS))
            for ((c, d), hour), counter in self.by_hour.items()
        )
        execute_many(conn, _ADD_TO_HOUR, hours)
        self.by_hour.clear()
        sites = sorted(
            (round_id, site, to_db(hour), c["swabs"], c["tubes"]) for (site, hour), c in self.by_site.items()
        )
        execute_many(conn, _ADD_TO_SITE_HOUR, sites)
        self.by_site.clear()


@lru_cache(maxsize=4096)  # a batch's scans share a handful of moments' hours, and each is asked for up to 3 times
def hour_of(at: datetime) -> datetime:
    """The UTC hour a moment falls in, as stored (without its zone: SQLite keeps none)."""
    moment = at.astimezone(UTC) if at.tzinfo else at
    return moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)


def _grid(row: PersonRound | Tube) -> GridKey:
    return (row.committee_id, row.district_id)


def get_tube(session: Session, principal: Principal, barcode: str) -> Tube:
    tube = session.scalar(select(Tube).where(Tube.barcode == barcode))
    if tube is None or not principal.covers(session.get(Area, tube.committee_id)):
        raise TubeNotFound(barcode)
    return tube


def tube_persons(session: Session, tube_id: int) -> list[int]:
    return list(session.scalars(select(Scan.person_id).where(Scan.tube_id == tube_id).distinct()))


def _state(tube: Tube) -> tube_state.Tube:
    return tube_state.Tube(pool_size=tube.pool_size, members=tube.members, status=tube.status)


def close_tube(session: Session, principal: Principal, barcode: str, *, now: datetime) -> Tube:
    """The sampler closes a tube that is not full (end of the queue, end of a household)."""
    tube = get_tube(session, principal, barcode)
    tube.status = tube_state.close(_state(tube), barcode=barcode).status
    tube.sealed_at = now
    session.flush()
    return tube


def cancel_tube(session: Session, principal: Principal, barcode: str, *, now: datetime) -> Tube:
    """Cancel a tube (broken, contaminated): a sealed pool can't lose one member, so every member is resampled."""
    tube = get_tube(session, principal, barcode)
    tube.status = tube_state.cancel(_state(tube), barcode=barcode).status
    deltas = Deltas()
    for pr in _members(session, tube):
        _move(pr, tube_state.on_tube_cancelled(PersonStatus(pr.status)), deltas)
    deltas.write(session, tube.round_id)
    session.flush()
    return tube


def _members(session: Session, tube: Tube) -> list[PersonRound]:
    ids = tube_persons(session, tube.id)
    return list(
        session.scalars(
            select(PersonRound)
            .where(PersonRound.round_id == tube.round_id, PersonRound.person_id.in_(ids))
            .order_by(PersonRound.person_id)
            .with_for_update()
        )
    )


def _move(pr: PersonRound, new: PersonStatus, deltas: Deltas) -> None:
    deltas.status_change(_grid(pr), pr.status, new)
    pr.status = new


def apply_result(
    session: Session, tube: Tube, *, result: str, ct: tuple[float | None, float | None], now: datetime
) -> None:
    """Turn an accepted tube result into each member's outcome; order retests for pooled positives and invalids."""
    tube.status = tube_state.record_result(_state(tube), barcode=tube.barcode).status
    tube.result, (tube.ct_orf1ab, tube.ct_n), tube.resulted_at = result, ct, now
    deltas = Deltas()
    deltas.add(_grid(tube), "tubes_resulted")
    deltas.add_progress(_grid(tube), hour_of(now), "tubes_resulted")
    if result == "positive":
        deltas.add(_grid(tube), "tubes_positive")
    members = _members(session, tube)
    pooled = len(members) > 1
    deltas.add_progress(_grid(tube), hour_of(now), "persons_resulted", len(members))
    for pr in members:
        old = PersonStatus(pr.status)
        new = tube_state.outcome(old, tube_result=result, pooled=pooled)
        if result == "invalid" and new in (PersonStatus.to_resample, PersonStatus.hold):
            # Swab again; someone on hold whose retest tube failed still needs that single-tube retest.
            _order_retest(session, pr, tube, "invalid", now, deltas)
        elif new == PersonStatus.hold and old != PersonStatus.hold:
            _order_retest(session, pr, tube, "pooled_positive", now, deltas)
        _move(pr, new, deltas)
    deltas.write(session, tube.round_id)
    session.flush()


def _order_retest(session: Session, pr: PersonRound, tube: Tube, reason: str, now: datetime, deltas: Deltas) -> None:
    session.add(
        RetestOrder(
            round_id=pr.round_id,
            person_id=pr.person_id,
            committee_id=pr.committee_id,
            district_id=pr.district_id,
            reason=reason,
            source_tube_id=tube.id,
            created_at=now,
            due_at=now + RETEST_WITHIN,
        )
    )
    deltas.add(_grid(pr), "retests_open")


def close_retests(session: Session, pr: PersonRound, now: datetime, deltas: Deltas) -> None:
    """The person was swabbed again: their open retest orders are done."""
    closed = session.execute(
        update(RetestOrder)
        .where(
            RetestOrder.round_id == pr.round_id,
            RetestOrder.person_id == pr.person_id,
            RetestOrder.done_at.is_(None),
        )
        .values(done_at=now)
    ).rowcount
    if closed:
        deltas.add(_grid(pr), "retests_open", -closed)


def grid_counts(session: Session, round_id: int, committee_ids: Iterable[int] | None = None) -> list[GridCount]:
    query = select(GridCount).where(GridCount.round_id == round_id)
    if committee_ids is not None:
        query = query.where(GridCount.committee_id.in_(list(committee_ids)))
    return list(session.scalars(query))


def pool_advice(session: Session, principal: Principal, round_id: int, area_id: int):
    """Dorfman-optimal pool size for an area from the previous round's positives, beside the fixed 10-in-1."""
    from gridscreen.areas import service as areas
    from gridscreen.sampling import pooling

    current = planning.get_round(session, round_id)
    area = areas.get_area(session, principal, area_id)
    positives, tested = 0, 0
    if current.previous_round_id is not None:
        grids = aliased(Area)
        row = session.execute(
            select(
                func.coalesce(func.sum(GridCount.positive + GridCount.hold), 0),
                func.coalesce(func.sum(GridCount.persons - GridCount.not_sampled - GridCount.to_resample), 0),
            )
            .join(grids, grids.id == GridCount.committee_id)
            .where(GridCount.round_id == current.previous_round_id, inside(grids, area.id, Level(area.level)))
        ).one()
        positives, tested = int(row[0]), int(row[1])
    # Without a previous round there is nothing to estimate the prevalence from: no advice, not a guess.
    advice = pooling.advise(positives, tested) if tested > 0 else None
    return advice, planning.policy_of_area(session, round_id, area)


# A device that has not sent anything for this long counts as behind, whatever it last said.
SILENT_AFTER = timedelta(minutes=10)


def site_today(session: Session, principal: Principal, round_id: int, site_id: int, *, now: datetime, day_start):
    """Today's count at a site (from `day_start`, a UTC moment), the last hour's pace, how long the grid's
    people still expected would take at that pace, and the devices last seen there."""
    site = planning.get_site(session, principal, site_id)
    planning.get_round(session, round_id)
    where = (SiteCount.round_id == round_id, SiteCount.site_id == site.id)
    counts = select(func.coalesce(func.sum(SiteCount.swabs), 0), func.coalesce(func.sum(SiteCount.tubes), 0))
    swabs, tubes = session.execute(counts.where(*where, SiteCount.hour >= hour_of(day_start))).one()
    # The pace over the current hour and the one before it (counts are kept per hour).
    since = hour_of(now - timedelta(hours=1))
    recent = session.scalar(select(func.coalesce(func.sum(SiteCount.swabs), 0)).where(*where, SiteCount.hour >= since))
    minutes = max((now.astimezone(UTC).replace(tzinfo=None) - since).total_seconds() / 60, 1.0)
    grid = session.get(GridCount, (round_id, site.committee_id))
    expected = (grid.not_sampled + grid.to_resample) if grid else 0
    devices = session.scalars(
        select(Device).where(Device.round_id == round_id, Device.site_id == site.id).order_by(Device.last_seen.desc())
    )
    return SiteToday(
        site_id=site.id,
        name=site.name,
        swabs_today=swabs,
        tubes_today=tubes,
        swabs_per_hour=round(recent / minutes * 60, 1),
        still_expected=expected,
        minutes_to_clear=round(expected / recent * minutes, 1) if recent else None,
        devices=[
            DeviceOut(
                device_id=d.device_id,
                last_seen=clock.aware(d.last_seen),
                last_seq=d.last_seq,
                pending=d.pending,
                behind=d.pending > 0 or now - clock.aware(d.last_seen) > SILENT_AFTER,
            )
            for d in devices
        ],
    )
