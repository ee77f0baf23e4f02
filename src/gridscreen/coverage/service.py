"""Live coverage of a round: who is expected, sampled, resulted, on hold and still missing, per area.

Every figure comes from the per-grid counts kept on write (sampling.GridCount), never from the scan table.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth.principal import Principal, inside
from gridscreen.coverage.exceptions import AlreadySampled, NotInRound
from gridscreen.coverage.schemas import (
    AreaFigures,
    CoverageOut,
    Figures,
    MissingPerson,
    PoolException,
    RetestTask,
    RosterEntry,
)
from gridscreen.people import identity
from gridscreen.people import service as people
from gridscreen.people.models import Household, Person
from gridscreen.planning import service as planning
from gridscreen.sampling.models import STATUS_COLUMN, GridCount, MissingReason, PersonRound, RetestOrder, Tube
from gridscreen.sampling.tube_state import PersonStatus

COUNTED = (
    "persons", "not_sampled", "sampled", "negative", "hold", "positive", "to_resample", "found_at_site",
    "repeats", "retests_open", "tubes", "tubes_resulted", "tubes_positive",
)  # fmt: skip
# The level whose areas make up the breakdown of an area of each level.
CHILD_COLUMN = {Level.city: "district_id", Level.district: "subdistrict_id", Level.subdistrict: "committee_id"}
MISSING = (PersonStatus.expected, PersonStatus.to_resample)


def figures(row) -> Figures:
    c = dict(zip(COUNTED, (int(v or 0) for v in row), strict=True))
    # Sampled means a usable sample in hand: someone whose tube was cancelled or invalid is missing again.
    missing = c["not_sampled"] + c["to_resample"]
    sampled = c["persons"] - missing
    return Figures(
        expected=c["persons"],
        sampled=sampled,
        awaiting_result=c["sampled"],
        negative=c["negative"],
        on_hold=c["hold"],
        positive=c["positive"],
        to_resample=c["to_resample"],
        missing=missing,
        found_at_site=c["found_at_site"],
        repeats=c["repeats"],
        retests_open=c["retests_open"],
        tubes=c["tubes"],
        tubes_resulted=c["tubes_resulted"],
        tubes_positive=c["tubes_positive"],
        coverage=round(sampled / c["persons"], 6) if c["persons"] else 0.0,
    )


def coverage(session: Session, principal: Principal, round_id: int, area_id: int) -> CoverageOut:
    planning.get_round(session, round_id)
    area = areas.get_area(session, principal, area_id)
    if Level(area.level) in (Level.compound, Level.building):
        total = _figures_below_grid(session, round_id, area)
        return CoverageOut(
            round_id=round_id,
            area=AreaFigures(area_id=area.id, name=area.name, level=area.level, figures=total),
            children=[],
        )
    grid = aliased(Area, name="grid")
    base = _sums(grid, round_id, area)
    total = figures(session.execute(base).one())
    children: list[AreaFigures] = []
    column = CHILD_COLUMN.get(Level(area.level))
    if column is not None:
        key = grid.id if column == "committee_id" else getattr(grid, column)
        rows = session.execute(base.add_columns(key).group_by(key)).all()
        names = {a.id: a for a in session.scalars(select(Area).where(Area.id.in_([r[-1] for r in rows])))}
        children = [
            AreaFigures(area_id=r[-1], name=names[r[-1]].name, level=names[r[-1]].level, figures=figures(r[:-1]))
            for r in sorted(rows, key=lambda r: names[r[-1]].code)
        ]
    return CoverageOut(
        round_id=round_id,
        area=AreaFigures(area_id=area.id, name=area.name, level=area.level, figures=total),
        children=children,
    )


def _sums(grid, round_id: int, area: Area):
    sums = [func.sum(getattr(GridCount, c)) for c in COUNTED]
    return (
        select(*sums)
        .join(grid, grid.id == GridCount.committee_id)
        .where(GridCount.round_id == round_id, inside(grid, area.id, Level(area.level)))
    )


def area_figures(session: Session, round_id: int, area: Area) -> Figures:
    """The figures of an area at grid level or above, for a caller that has already checked the area."""
    return figures(session.execute(_sums(aliased(Area, name="grid"), round_id, area)).one())


def _figures_below_grid(session: Session, round_id: int, area: Area) -> Figures:
    """A compound's or building's figures, counted from its people's rows (a few hundred at most): grid counts
    go no lower than the grid. Tubes are counted per grid only, so they read 0 here."""
    if area.level == Level.building:
        buildings = [area.id]
    else:
        buildings = list(session.scalars(select(Area.id).where(Area.parent_id == area.id)))
    person_ids = select(Person.id).join(Household, Household.id == Person.household_id)
    person_ids = person_ids.where(Household.building_id.in_(buildings))
    rows = session.execute(
        select(PersonRound.status, PersonRound.found_at_site, PersonRound.samples).where(
            PersonRound.round_id == round_id, PersonRound.person_id.in_(person_ids)
        )
    ).all()
    retests_open = session.scalar(
        select(func.count(RetestOrder.id)).where(
            RetestOrder.round_id == round_id,
            RetestOrder.committee_id == area.committee_id,
            RetestOrder.done_at.is_(None),
            RetestOrder.person_id.in_(person_ids),
        )
    )
    counts = Counter(STATUS_COLUMN[PersonStatus(status)] for status, _, _ in rows)
    found = sum(1 for _, found_at_site, _ in rows if found_at_site)
    repeats = sum(1 for _, _, samples in rows if samples > 1)
    row = [len(rows), *(counts[c] for c in COUNTED[1:7]), found, repeats, retests_open, 0, 0, 0]
    return figures(row)


def missing(
    session: Session,
    principal: Principal,
    round_id: int,
    area_id: int,
    *,
    limit: int = 100,
    offset: int = 0,
    detail: bool = False,
) -> tuple[list[MissingPerson], int]:
    """A grid's door-knock list: everyone not yet sampled (or to be sampled again), by address; masked, or
    with `detail` as the caller's role may see it (the export grid workers phone from)."""
    condition = PersonRound.status.in_([s.value for s in MISSING])
    order = (Household.building_id, Household.unit, Household.room, Person.id)
    return _grid_people(
        session, principal, round_id, area_id, condition, order, limit=limit, offset=offset, detail=detail
    )


def note_missing(
    session: Session,
    principal: Principal,
    round_id: int,
    person_id: int,
    reason: MissingReason | None,
    *,
    now: datetime,
) -> PersonRound:
    """Record what a door-knock found out about someone still missing (None clears it)."""
    planning.get_round(session, round_id)
    pr = session.get(PersonRound, (round_id, person_id), with_for_update=True)
    if pr is None or not principal.covers(session.get(Area, pr.committee_id)):
        raise NotInRound(person_id)
    if pr.status not in MISSING:
        raise AlreadySampled(person_id)
    pr.missing_reason, pr.noted_at = (reason.value if reason else None), now
    session.flush()
    return pr


def roster(session: Session, principal: Principal, round_id: int, area_id: int) -> list[RosterEntry]:
    """Everyone of a grid in a round, masked, for a sampler's device to look residents up with no network."""
    planning.get_round(session, round_id)
    grid = areas.get_grid(session, principal, area_id)
    rows = session.execute(
        select(Person, PersonRound.status, Household)
        .join(PersonRound, PersonRound.person_id == Person.id)
        .join(Household, Household.id == Person.household_id)
        .where(PersonRound.round_id == round_id, PersonRound.committee_id == grid.id)
        .order_by(Person.id)
    ).all()
    addresses = people.household_addresses(session, [household for _, _, household in rows])
    return [
        RosterEntry(
            person_id=person.id,
            name=identity.mask_name(person.name),
            household_id=household.id,
            address=addresses[household.id],
            status=status,
            door_reasons=person.door_reason_names,
        )
        for person, status, household in rows
    ]


def found_at_site(
    session: Session, principal: Principal, round_id: int, area_id: int, *, limit: int = 100, offset: int = 0
) -> tuple[list[MissingPerson], int]:
    """People on no list who were sampled at a site in this grid: the grid reconciles them into households."""
    condition = PersonRound.found_at_site
    return _grid_people(session, principal, round_id, area_id, condition, (Person.id,), limit=limit, offset=offset)


def _grid_people(
    session: Session,
    principal: Principal,
    round_id: int,
    area_id: int,
    condition,
    order,
    *,
    limit: int,
    offset: int,
    detail: bool = False,
) -> tuple[list[MissingPerson], int]:
    """One page of a grid's people in a round who meet `condition`, masked, with their address."""
    planning.get_round(session, round_id)
    grid = areas.get_grid(session, principal, area_id)
    # All the grid's matching ids in order first (a few thousand at most), then one page of rows by id:
    # with ORDER BY ... LIMIT, PostgreSQL walks every household of the city in building order instead.
    ids = list(
        session.scalars(
            select(Person.id)
            .join(PersonRound, PersonRound.person_id == Person.id)
            .join(Household, Household.id == Person.household_id)
            .where(PersonRound.round_id == round_id, PersonRound.committee_id == grid.id, condition)
            .order_by(*order)
        )
    )
    page = ids[offset : offset + limit]
    found = session.execute(
        select(Person, PersonRound.status, Household, PersonRound.missing_reason, PersonRound.noted_at)
        .join(PersonRound, PersonRound.person_id == Person.id)
        .join(Household, Household.id == Person.household_id)
        .where(PersonRound.round_id == round_id, Person.id.in_(page))
    ).all()
    by_id = {row[0].id: row for row in found}
    rows = [by_id[i] for i in page]
    total = len(ids)
    addresses = people.household_addresses(session, [row[2] for row in rows])
    items = [
        MissingPerson(
            person=people.present_person(principal, person, detail=detail),
            status=status,
            address=addresses[household.id],
            reason=reason,
            noted_at=clock.aware(noted_at),
        )
        for person, status, household, reason, noted_at in rows
    ]
    return items, total


def retests(
    session: Session, principal: Principal, round_id: int, area_id: int, *, now: datetime, limit: int, offset: int
) -> tuple[list[RetestTask], int]:
    """A grid's open retest orders, overdue first: the door-to-door team's list for single-tube retests."""
    planning.get_round(session, round_id)
    grid = areas.get_grid(session, principal, area_id)
    query = (
        select(RetestOrder, Person, Household)
        .join(Person, Person.id == RetestOrder.person_id)
        .join(Household, Household.id == Person.household_id)
        .where(RetestOrder.round_id == round_id, RetestOrder.committee_id == grid.id, RetestOrder.done_at.is_(None))
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(RetestOrder.due_at, RetestOrder.id).limit(limit).offset(offset)).all()
    addresses = people.household_addresses(session, [household for _, _, household in rows])
    items = [
        RetestTask(
            order_id=order.id,
            reason=order.reason,
            due_at=order.due_at,
            overdue=clock.aware(order.due_at) < now,
            person=people.present_person(principal, person, detail=False),
            address=addresses[household.id],
        )
        for order, person, household in rows
    ]
    return items, total


def pool_exceptions(
    session: Session, principal: Principal, round_id: int, area_id: int, *, now: datetime
) -> list[PoolException]:
    """Positive pools whose members' retests are still missing; overdue ones first."""
    planning.get_round(session, round_id)
    area = areas.get_area(session, principal, area_id)
    grid = aliased(Area, name="grid")
    overdue = func.sum(case((RetestOrder.due_at < now, 1), else_=0))
    rows = session.execute(
        select(
            Tube.barcode,
            Tube.committee_id,
            Tube.members,
            func.count(RetestOrder.id),
            overdue,
            func.min(RetestOrder.due_at),
        )
        .join(RetestOrder, RetestOrder.source_tube_id == Tube.id)
        .join(grid, grid.id == Tube.committee_id)
        .where(
            Tube.round_id == round_id,
            Tube.result == "positive",
            RetestOrder.reason == "pooled_positive",
            RetestOrder.done_at.is_(None),
            inside(grid, area.id, Level(area.level)),
        )
        .group_by(Tube.barcode, Tube.committee_id, Tube.members)
    ).all()
    found = [
        PoolException(barcode=b, committee_id=c, members=m, retests_open=n, retests_overdue=int(o or 0), oldest_due=d)
        for b, c, m, n, o, d in rows
    ]
    return sorted(found, key=lambda e: (-e.retests_overdue, e.oldest_due or now))
