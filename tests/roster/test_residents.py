"""The reconciled roster is what rounds count: a run writes it into households and persons (taking over the
generated city's people by their ID numbers, or name and birth date), a running round follows it, newcomers
join, people found gone leave (and come back when a sweep finds them again), and nothing changes when nothing
new came in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import case, func, select

from gridscreen.areas.models import Area, Block, Level
from gridscreen.db import transaction
from gridscreen.people.identity import make_resident_id
from gridscreen.people.models import Household, Person
from gridscreen.planning.schemas import RoundBlockIn, RoundIn
from gridscreen.roster import service
from gridscreen.roster.models import DoorKnockTask, LinkDecision, SourceRecord, TaskOutcome
from gridscreen.roster.reconciling import reconcile_roster
from gridscreen.sampling import service as sampling
from gridscreen.sampling.models import GridCount, PersonRound
from tests.areas.factories import system_principal
from tests.conftest import BACKENDS, fresh_database
from tests.roster.factories import import_generated_lists, import_list, write_list
from tests.sampling.factories import NOW

PEOPLE, SEED = 1_500, 8
NEWCOMER = make_resident_id("310115", date(1995, 1, 2), 123)


def _run(engine, at=NOW):
    with transaction(engine, write=True) as session:
        run = reconcile_roster(session, now=at)
        return run.persons_joined, run.persons_moved, run.persons_left


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    """A generated city with a round running over all of it, then its four lists imported and reconciled."""
    engine = fresh_database(request, tmp_path_factory, "residents", people=PEOPLE, seed=SEED)
    folder = tmp_path_factory.mktemp("lists")
    TRUTH.update(import_generated_lists(engine, folder, PEOPLE, SEED))
    with transaction(engine, write=True) as session:
        blocks = [RoundBlockIn(block_id=b, sample_date=date(2022, 4, 4)) for b in session.scalars(select(Block.id))]
        round_id = sampling.open_round(session, RoundIn(code="R1", name="第一轮", blocks=blocks), now=NOW).id
    yield engine, folder, round_id, _run(engine)
    engine.dispose()
    TRUTH.clear()


TRUTH: dict[int, int] = {}  # stored record id -> the generated person it was drawn from


def _active(conn) -> dict[int, tuple]:
    rows = conn.execute(
        select(Person.id, Person.roster_record_id, Household.building_id)
        .join(Household, Household.id == Person.household_id)
        .where(Person.left_at.is_(None))
    )
    return {p: (r, b) for p, r, b in rows}


def _expected_by_round(conn, round_id: int) -> set[int]:
    return set(conn.scalars(select(PersonRound.person_id).where(PersonRound.round_id == round_id)))


def _counts_hold(conn, round_id: int) -> None:
    """The kept per-grid counts are what the round's rows add up to; the city counts who lives in it."""
    not_sampled = func.sum(case((PersonRound.status == "expected", 1), else_=0))
    rows = select(PersonRound.committee_id, func.count(), not_sampled)
    counted = {
        c: (n, e)
        for c, n, e in conn.execute(rows.where(PersonRound.round_id == round_id).group_by(PersonRound.committee_id))
    }
    kept = {
        c: (n, e)
        for c, n, e in conn.execute(
            select(GridCount.committee_id, GridCount.persons, GridCount.not_sampled).where(
                GridCount.round_id == round_id
            )
        )
    }
    assert {c: v for c, v in kept.items() if v != (0, 0)} == counted
    city = conn.scalar(select(Area.residents).where(Area.level == Level.city))
    assert city == conn.scalar(select(func.count()).select_from(Person).where(Person.left_at.is_(None)))


def test_a_run_writes_each_placed_person_where_the_lists_say_they_live_and_the_round_follows(city):
    engine, _, round_id, first = city
    joined, moved, left = first
    with engine.connect() as conn:
        placed = dict(
            conn.execute(
                select(SourceRecord.person_key, SourceRecord.building_id).where(
                    SourceRecord.is_current, SourceRecord.building_id.is_not(None)
                )
            ).all()
        )
        key_of = dict(conn.execute(select(SourceRecord.id, SourceRecord.person_key)).all())
        active = _active(conn)
        from_roster = {key_of[r]: b for r, b in active.values() if r is not None}
        taken_over = conn.scalar(select(func.count()).where(Person.roster_record_id.is_not(None), Person.id <= PEOPLE))
        assert from_roster == placed  # one person each, in the building their current record names
        # The generated people are taken over (by ID number, else name and birth date in their building), each
        # by a person made of their own records: few are added as someone new.
        assert taken_over >= 0.99 * len(placed) and joined == len(placed) - taken_over and left == 0
        generated = (Person.id <= PEOPLE, Person.roster_record_id.is_not(None))
        made = conn.execute(select(Person.id, Person.roster_record_id).where(*generated))
        assert all(TRUTH[record] == person for person, record in made)
        assert moved > 0  # people the lists place elsewhere than the generated city did
        assert _expected_by_round(conn, round_id) == set(active)
        _counts_hold(conn, round_id)
    assert _run(engine) == (0, 0, 0)


def test_a_newcomer_joins_the_running_round_and_someone_gone_leaves_it_until_a_sweep_finds_them(city):
    engine, folder, round_id, _ = city
    with engine.connect() as conn:
        task = conn.execute(
            select(DoorKnockTask)
            .where(DoorKnockTask.kind == "not_at_door", DoorKnockTask.status == "open")
            .order_by(DoorKnockTask.id)
        ).first()
        fields = [getattr(SourceRecord, f) for f in service.RECORD_FIELDS]
        gone_row = (
            conn.execute(select(*fields).where(SourceRecord.person_key == task.person_key, SourceRecord.is_current))
            .one()
            ._asdict()
        )
        dwelling = (
            conn.execute(
                select(*fields).where(SourceRecord.source_kind == "sweep", SourceRecord.building_id.is_not(None))
            )
            .first()
            ._asdict()
        )
        gone = conn.scalar(
            select(Person.id)
            .join(SourceRecord, SourceRecord.id == Person.roster_record_id)
            .where(SourceRecord.person_key == task.person_key)
        )
    with transaction(engine, write=True) as session:
        grid = session.get(Area, task.committee_id)
        service.close_task(session, system_principal(grid), task.id, outcome=TaskOutcome.moved_out, note="", now=NOW)
    newcomer = dwelling | {
        "name": "欧阳娜娜",
        "family_name": None,
        "document_number": NEWCOMER,
        "phone": None,
        "birth_date": "1995-01-02",
        "sex": "F",
    }
    write_list(folder / "sweep-2.csv", [newcomer])
    import_list(engine, folder / "sweep-2.csv", "sweep")
    assert _run(engine) == (1, 0, 1)
    with engine.connect() as conn:
        person = conn.execute(select(Person).where(Person.document_number == NEWCOMER)).one()
        assert person.name == "欧阳娜娜" and person.left_at is None and person.roster_record_id is not None
        home = conn.scalar(select(Household.building_id).where(Household.id == person.household_id))
        assert home == dwelling_building(conn, NEWCOMER)
        left = conn.execute(select(Person.left_reason, Person.left_at).where(Person.id == gone)).one()
        assert left.left_reason == "moved_out" and left.left_at is not None
        expected = _expected_by_round(conn, round_id)
        assert person.id in expected and gone not in expected
        _counts_hold(conn, round_id)
    # A later sweep finds them at home after all: they are back on the roster and in the round.
    write_list(folder / "sweep-3.csv", [gone_row])
    import_list(engine, folder / "sweep-3.csv", "sweep", now=NOW + timedelta(minutes=30))
    assert _run(engine, NOW + timedelta(hours=1)) == (1, 0, 0)
    with engine.connect() as conn:
        assert conn.scalar(select(Person.left_at).where(Person.id == gone)) is None
        assert gone in _expected_by_round(conn, round_id)
        _counts_hold(conn, round_id)
    assert _run(engine, NOW + timedelta(hours=2)) == (0, 0, 0)


def dwelling_building(conn, document_number: str) -> int:
    return conn.scalar(select(SourceRecord.building_id).where(SourceRecord.document_number == document_number))


def test_two_persons_a_clerk_says_are_one_become_one_and_the_other_is_marked_merged(city):
    engine, _, round_id, _ = city
    # The second has no ID number on any list: two valid numbers would make them two people whatever a clerk says.
    made = select(Person.id, SourceRecord.id, SourceRecord.person_key).join(
        SourceRecord, SourceRecord.id == Person.roster_record_id
    )
    with engine.connect() as conn:
        first, first_record, first_key = conn.execute(made.where(Person.left_at.is_(None)).order_by(Person.id)).first()
        undocumented = made.where(Person.left_at.is_(None), Person.document_number.is_(None), Person.id > first)
        second, second_record, second_key = conn.execute(undocumented.order_by(Person.id)).first()
    assert first_key != second_key
    with transaction(engine, write=True) as session:
        a, b = sorted((first_record, second_record))
        session.add(LinkDecision(record_a=a, record_b=b, same=True, decided_by=1, decided_at=NOW))
    assert _run(engine, NOW + timedelta(hours=3))[2] == 1
    with engine.connect() as conn:
        left = dict(conn.execute(select(Person.id, Person.left_reason).where(Person.id.in_((first, second)))).all())
        assert left == {first: None, second: "merged"}  # the older person carries on
        _counts_hold(conn, round_id)
