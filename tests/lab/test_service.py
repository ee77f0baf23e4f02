from datetime import timedelta

import pytest
from sqlalchemy import select

from gridscreen.config import get_settings
from gridscreen.sampling import ingest
from gridscreen.sampling import service as sampling
from gridscreen.sampling.models import GridCount, PersonRound, RetestOrder, Tube
from tests.lab.factories import make_lab, post, ship_and_receive
from tests.sampling.factories import NOW, new_barcode, open_round, sampler_of, scan, site_in


@pytest.fixture
def world(db, tiny):
    round_ = open_round(db, tiny)
    site = site_in(db, round_, tiny.a)
    sampler = sampler_of(tiny.a.committee)
    lab, lab_user = make_lab(db, tiny.a.district)
    return round_, site, sampler, lab, lab_user


def swab(db, sampler, round_, persons, site, tube=None, close=True):
    tube = tube or new_barcode()
    scans = [scan(p, tube, site=site) for p in persons]
    outcomes = ingest.record_scans(
        db,
        sampler,
        round_id=round_.id,
        device_id="d",
        scans=scans,
        now=NOW + timedelta(hours=1),
        secret=get_settings().resident_code_key,
    )
    if close and db.scalar(select(Tube.status).where(Tube.barcode == tube)) == "open":
        sampling.close_tube(db, sampler, tube, now=NOW)
    return tube, outcomes


def status_of(db, round_, person) -> str:
    db.expire_all()
    return db.get(PersonRound, (round_.id, person.id)).status


def test_a_box_is_checked_against_its_manifest(db, tiny, world):
    round_, site, sampler, lab, lab_user = world
    t1, _ = swab(db, sampler, round_, tiny.a.persons[:1], site)
    t2, _ = swab(db, sampler, round_, tiny.a.persons[1:2], site)
    stray = new_barcode()
    _, present, missing, unexpected = ship_and_receive(
        db, sampler, lab_user, round_, lab, [t1, t2], arrived=[t1, stray]
    )
    assert (present, missing, unexpected) == (1, [t2], [stray])
    assert db.scalar(select(Tube.status).where(Tube.barcode == t2)) == "shipped"


def test_a_negative_pool_makes_every_member_negative(db, tiny, world):
    round_, site, sampler, lab, lab_user = world
    tube, _ = swab(db, sampler, round_, tiny.a.persons, site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [tube])
    assert [o.status for o in post(db, lab_user, lab, [(tube, "negative")])] == ["accepted"]
    assert {status_of(db, round_, p) for p in tiny.a.persons} == {"negative"}
    grid = db.get(GridCount, (round_.id, tiny.a.committee.id))
    assert (grid.negative, grid.tubes, grid.tubes_resulted) == (3, 1, 1)


def test_a_positive_pool_puts_every_member_on_hold_with_a_retest_order(db, tiny, world):
    round_, site, sampler, lab, lab_user = world
    tube, _ = swab(db, sampler, round_, tiny.a.persons, site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [tube])
    post(db, lab_user, lab, [(tube, "positive")])
    assert {status_of(db, round_, p) for p in tiny.a.persons} == {"hold"}
    orders = db.scalars(select(RetestOrder).where(RetestOrder.round_id == round_.id)).all()
    assert sorted(o.person_id for o in orders) == sorted(p.id for p in tiny.a.persons)
    assert {o.reason for o in orders} == {"pooled_positive"}
    grid = db.get(GridCount, (round_.id, tiny.a.committee.id))
    assert (grid.hold, grid.retests_open, grid.tubes_positive) == (3, 3, 1)


def test_a_person_on_hold_is_retested_in_a_single_tube_only(db, tiny, world):
    round_, site, sampler, lab, lab_user = world
    tube, _ = swab(db, sampler, round_, tiny.a.persons, site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [tube])
    post(db, lab_user, lab, [(tube, "positive")])
    first, second, third = tiny.a.persons
    pooled = new_barcode()
    swab(db, sampler, round_, [tiny.b.persons[0]], site, tube=pooled, close=False)  # not on hold: a pooled tube
    _, refused = swab(db, sampler, round_, [third], site, tube=pooled, close=False)
    assert refused[0].status == "rejected" and "single tube" in refused[0].reason
    singles = []
    for person in (first, second):
        t, outcomes = swab(db, sampler, round_, [person], site)
        assert outcomes[0].status == "stored"
        singles.append(t)
    ship_and_receive(db, sampler, lab_user, round_, lab, singles)
    post(db, lab_user, lab, [(singles[0], "negative"), (singles[1], "positive")])
    assert status_of(db, round_, first) == "negative"
    assert status_of(db, round_, second) == "positive"
    grid = db.get(GridCount, (round_.id, tiny.a.committee.id))
    assert grid.retests_open == 1  # the third member has not been retested yet


def test_an_invalid_tube_sends_its_members_to_be_resampled(db, tiny, world):
    round_, site, sampler, lab, lab_user = world
    tube, _ = swab(db, sampler, round_, tiny.a.persons[:2], site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [tube])
    post(db, lab_user, lab, [(tube, "invalid")])
    assert {status_of(db, round_, p) for p in tiny.a.persons[:2]} == {"to_resample"}
    reasons = set(db.scalars(select(RetestOrder.reason).where(RetestOrder.round_id == round_.id)))
    assert reasons == {"invalid"}


def test_results_for_unknown_or_unreceived_tubes_are_rejected_with_a_reason(db, tiny, world):
    round_, site, sampler, lab, lab_user = world
    sealed, _ = swab(db, sampler, round_, tiny.a.persons[:1], site)
    outcomes = post(db, lab_user, lab, [(new_barcode(), "negative"), (sealed, "negative"), ("SH123", "negative")])
    assert [o.status for o in outcomes] == ["rejected"] * 3
    assert "no tube" in outcomes[0].reason and "not been received" in outcomes[1].reason


def test_the_same_result_twice_is_idempotent_and_a_conflicting_one_is_held(db, tiny, world):
    round_, site, sampler, lab, lab_user = world
    tube, _ = swab(db, sampler, round_, tiny.a.persons[:1], site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [tube])
    assert post(db, lab_user, lab, [(tube, "negative")], upload="run-1")[0].status == "accepted"
    assert post(db, lab_user, lab, [(tube, "negative")], upload="run-1")[0].status == "duplicate"
    assert post(db, lab_user, lab, [(tube, "negative")], upload="run-2")[0].status == "duplicate"
    conflict = post(db, lab_user, lab, [(tube, "positive")], upload="run-3")[0]
    assert conflict.status == "conflict" and "held for review" in conflict.reason
    assert status_of(db, round_, tiny.a.persons[0]) == "negative"


def test_a_retest_tube_that_comes_back_invalid_orders_another_retest(db, tiny, world):
    round_, site, sampler, lab, lab_user = world
    pool, _ = swab(db, sampler, round_, tiny.a.persons[:2], site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [pool])
    post(db, lab_user, lab, [(pool, "positive")])
    retest, _ = swab(db, sampler, round_, tiny.a.persons[:1], site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [retest])
    post(db, lab_user, lab, [(retest, "invalid")])
    assert status_of(db, round_, tiny.a.persons[0]) == "hold"
    open_orders = db.scalars(
        select(RetestOrder.reason).where(RetestOrder.person_id == tiny.a.persons[0].id, RetestOrder.done_at.is_(None))
    ).all()
    assert open_orders == ["invalid"]
