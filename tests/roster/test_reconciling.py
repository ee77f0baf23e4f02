"""Reconciliation in the database, on a generated city and its noisy lists (truth kept aside): the lists are
imported as files, linked, and turned into door-knock tasks; clerks' decisions and grid workers' outcomes
survive every later run."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from sqlalchemy import select

from gridscreen.db import transaction
from gridscreen.roster import service
from gridscreen.roster.models import DoorKnockTask, ReviewPair, SourceRecord, TaskOutcome
from gridscreen.roster.reconciling import reconcile_roster
from tests.areas.factories import system_principal
from tests.conftest import BACKENDS, fresh_database
from tests.roster.factories import import_generated_lists, import_list, write_list
from tests.sampling.factories import NOW

PEOPLE, SEED = 3_000, 5


def _run(engine):
    with transaction(engine, write=True) as session:
        run = reconcile_roster(session, now=NOW)
        return run.tasks_opened, run.tasks_closed


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    """A generated city with its four lists imported from CSV files and reconciled once."""
    engine = fresh_database(request, tmp_path_factory, "roster", people=PEOPLE, seed=SEED)
    folder = tmp_path_factory.mktemp("lists")
    person_of = import_generated_lists(engine, folder, PEOPLE, SEED)  # stored record id -> true person
    _run(engine)
    yield engine, person_of, folder
    engine.dispose()


def _keys(engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(SourceRecord.id, SourceRecord.person_key)).all())


def _pairs(groups: dict[int, list[int]]) -> set[tuple[int, int]]:
    return {p for members in groups.values() for p in combinations(sorted(members), 2)}


def test_a_run_links_the_lists_into_persons_and_sends_grids_after_who_the_sweep_missed(city):
    engine, person_of, _ = city
    keys = _keys(engine)
    found, true = {}, {}
    for record, key in keys.items():
        found.setdefault(key, []).append(record)
        true.setdefault(person_of[record], []).append(record)
    linked, real = _pairs(found), _pairs(true)
    f1 = 2 * len(linked & real) / (len(linked) + len(real))
    assert f1 >= 0.99
    with engine.connect() as conn:
        kinds = {k: set() for k in ("sweep", "list")}
        for record_id, kind in conn.execute(select(SourceRecord.id, SourceRecord.source_kind)):
            kinds["sweep" if kind == "sweep" else "list"].add(person_of[record_id])
        tasked = {person_of[r] for (r,) in conn.execute(
            select(DoorKnockTask.person_key).where(DoorKnockTask.kind == "not_at_door"))}  # fmt: skip
        placed = select(SourceRecord.id).where(SourceRecord.is_current, SourceRecord.committee_id.is_not(None))
        current = {person_of[r] for (r,) in conn.execute(placed)}
    missed = (kinds["list"] - kinds["sweep"]) & current  # listed, placed in a grid, never found at the door
    assert missed and len(missed & tasked) / len(missed) >= 0.98


def test_a_second_run_on_the_same_lists_changes_nothing(city):
    engine, _, _ = city
    before = _keys(engine)
    assert _run(engine) == (0, 0)
    assert _keys(engine) == before


def test_a_clerks_decision_holds_in_every_later_run(city):
    engine, _, _ = city
    with engine.connect() as conn:
        pair = conn.execute(select(ReviewPair.id, ReviewPair.record_a, ReviewPair.record_b, ReviewPair.linked)).first()
    assert pair is not None, "the lists should leave at least one pair for a clerk"
    pair_id, a, b, linked = pair
    with transaction(engine, write=True) as session:
        grid = session.get(ReviewPair, pair_id).committee_id
        from gridscreen.areas.models import Area

        service.decide(session, system_principal(session.get(Area, grid)), pair_id, same=not linked, now=NOW)
    for _ in range(2):
        _run(engine)
        keys = _keys(engine)
        assert (keys[a] == keys[b]) is (not linked)
        with engine.connect() as conn:
            asked = select(ReviewPair.id).where(ReviewPair.record_a == min(a, b), ReviewPair.record_b == max(a, b))
            assert conn.execute(asked).first() is None


def test_outcomes_survive_reruns_and_a_new_sweep_closes_the_tasks_of_those_it_found(city):
    engine, _, folder = city
    with engine.connect() as conn:
        tasks = conn.execute(
            select(DoorKnockTask.id, DoorKnockTask.person_key, DoorKnockTask.committee_id)
            .where(DoorKnockTask.kind == "not_at_door", DoorKnockTask.status == "open").order_by(DoorKnockTask.id)
        ).all()  # fmt: skip
        (moved, moved_person, grid), (found, found_person, _) = tasks[0], tasks[1]
        fields = [getattr(SourceRecord, f) for f in service.RECORD_FIELDS]
        listed = conn.execute(select(*fields).where(SourceRecord.person_key == found_person, SourceRecord.is_current))
        found_row = listed.one()._asdict()
    with transaction(engine, write=True) as session:
        from gridscreen.areas.models import Area

        service.close_task(session, system_principal(session.get(Area, grid)), moved, outcome=TaskOutcome.moved_out,
                           note="moved to Pudong in March", now=NOW)  # fmt: skip
    # The next sweep finds the second person at home, typed as a volunteer would.
    write_list(folder / "sweep-2.csv", [found_row])
    import_list(engine, folder / "sweep-2.csv", "sweep")
    opened, closed = _run(engine)
    with engine.connect() as conn:
        rows = {t.id: t for t in conn.execute(select(DoorKnockTask)).all()}
        again = [t for t in rows.values() if t.kind == "not_at_door" and t.person_key == moved_person and t.id != moved]
    assert rows[moved].status == "closed" and rows[moved].outcome == "moved_out"
    assert rows[moved].note == "moved to Pudong in March"
    assert again == []  # a closed task is not opened again
    assert rows[found].status == "closed" and rows[found].outcome == "found" and rows[found].closed_by is None
    assert closed >= 1 and opened == 0
    counts = Counter(t.status for t in rows.values())
    assert counts["open"] >= 1
