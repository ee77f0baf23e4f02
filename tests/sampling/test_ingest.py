from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from gridscreen.config import get_settings
from gridscreen.people.identity import make_resident_id
from gridscreen.planning.exceptions import SiteNotFound
from gridscreen.planning.schemas import AreaPolicyIn
from gridscreen.sampling import ingest, service
from gridscreen.sampling.models import GridCount, PersonRound, Scan, Tube
from tests.sampling.factories import NOW, new_barcode, open_round, sampler_of, scan, site_in


def record(db, principal, round_, scans, device="dev-1"):
    return ingest.record_scans(
        db,
        principal,
        round_id=round_.id,
        device_id=device,
        scans=scans,
        now=NOW + timedelta(hours=1),
        secret=get_settings().resident_code_key,
    )


def counts(db, round_, grid) -> GridCount:
    db.expire_all()
    return db.get(GridCount, (round_.id, grid.committee.id))


@pytest.fixture
def setup(db, tiny):
    round_ = open_round(db, tiny)
    return round_, site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)


def test_opening_a_round_enrols_everyone_in_its_blocks(db, tiny, setup):
    round_, _, _ = setup
    assert db.scalar(select(func.count()).select_from(PersonRound).where(PersonRound.round_id == round_.id)) == 6
    grid = counts(db, round_, tiny.a)
    assert (grid.persons, grid.not_sampled, grid.sampled) == (3, 3, 0)


def test_second_copy_of_a_scan_is_acknowledged_and_not_stored(db, tiny, setup):
    round_, site, sampler = setup
    batch = [scan(tiny.a.persons[0], new_barcode(), site=site, seq=1)]
    first = record(db, sampler, round_, batch)
    again = record(db, sampler, round_, batch + [scan(tiny.a.persons[1], batch[0].tube, site=site, seq=1)])
    assert first[0].status == "stored"
    assert [o.status for o in again] == ["duplicate", "duplicate"]
    assert db.scalar(select(func.count()).select_from(Scan)) == 1
    assert db.scalar(select(Tube.members).where(Tube.barcode == batch[0].tube)) == 1


def test_one_bad_scan_does_not_reject_the_batch(db, tiny, setup):
    round_, site, sampler = setup
    tube = new_barcode()
    wrong = tube[:-1] + str((int(tube[-1]) + 1) % 10)
    outcomes = record(
        db,
        sampler,
        round_,
        [
            scan(tiny.a.persons[0], tube, site=site),
            scan(tiny.a.persons[1], wrong, site=site),
            scan(None, tube, site=site),
        ],
    )
    assert [o.status for o in outcomes] == ["stored", "rejected", "rejected"]
    assert "check digit" in outcomes[1].reason and "resident code or a document" in outcomes[2].reason
    assert counts(db, round_, tiny.a).sampled == 1


def test_a_person_on_no_list_is_sampled_and_shown_to_the_grid(db, tiny, setup):
    round_, site, sampler = setup
    number = make_resident_id("420102", date(1999, 9, 9), 7)
    outcomes = record(
        db,
        sampler,
        round_,
        [
            scan(None, new_barcode(), site=site, document_type="resident_id", document_number=number, name="刘洋"),
        ],
    )
    assert outcomes[0].status == "stored" and outcomes[0].flags == ["found_at_site"]
    grid = counts(db, round_, tiny.a)
    assert (grid.persons, grid.found_at_site, grid.sampled) == (4, 1, 1)
    from gridscreen.coverage import service as coverage

    listed, total = coverage.found_at_site(db, sampler_of(tiny.city), round_.id, tiny.a.committee.id)
    assert total == 1 and listed[0].person.name == "刘洋" and "*" in listed[0].person.document_number
    # Scanned again at another site: now on the roster, not found twice.
    again = record(
        db,
        sampler,
        round_,
        [
            scan(None, new_barcode(), site=site, document_type="resident_id", document_number=number),
        ],
    )
    assert again[0].person_id == outcomes[0].person_id and again[0].flags == ["repeat"]


def test_a_person_sampled_twice_is_stored_and_flagged(db, tiny, setup):
    round_, site, sampler = setup
    person = tiny.a.persons[0]
    record(db, sampler, round_, [scan(person, new_barcode(), site=site)])
    outcomes = record(db, sampler, round_, [scan(person, new_barcode(), site=site)])
    assert outcomes[0].status == "stored" and "repeat" in outcomes[0].flags
    grid = counts(db, round_, tiny.a)
    assert (grid.sampled, grid.repeats) == (1, 1)


def test_a_tube_seals_when_full_and_takes_nobody_more(db, tiny):
    round_ = open_round(
        db, tiny, policies=[AreaPolicyIn(area_id=tiny.a.committee.id, zone="sealed", pooling="pooled", pool_size=2)]
    )
    site, sampler, tube = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee), new_barcode()
    outcomes = record(db, sampler, round_, [scan(p, tube, site=site) for p in tiny.a.persons])
    assert [o.status for o in outcomes] == ["stored", "stored", "rejected"]
    assert outcomes[1].tube_status == "sealed" and "sealed" in outcomes[2].reason
    assert db.scalar(select(Tube.members).where(Tube.barcode == tube)) == 2


def test_a_batch_resent_after_it_sealed_its_tube_is_acknowledged_not_refused(db, tiny):
    """The device never heard back and sends again: its scans are stored, so the answer is "duplicate", not
    the refusal a new scan into that full tube would get."""
    round_ = open_round(
        db, tiny, policies=[AreaPolicyIn(area_id=tiny.a.committee.id, zone="sealed", pooling="pooled", pool_size=2)]
    )
    site, sampler, tube = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee), new_barcode()
    batch = [scan(p, tube, site=site, seq=n) for n, p in enumerate(tiny.a.persons[:2], start=1)]
    assert [o.status for o in record(db, sampler, round_, batch)] == ["stored", "stored"]
    again = record(db, sampler, round_, batch)
    assert [(o.status, o.flags) for o in again] == [("duplicate", ["already_stored"])] * 2
    assert db.scalar(select(func.count()).select_from(Scan)) == 2


def test_one_tube_per_household_refuses_a_neighbour(db, tiny):
    round_ = open_round(
        db, tiny, policies=[AreaPolicyIn(area_id=tiny.a.compound.id, zone="sealed", pooling="household")]
    )
    site, sampler, tube = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee), new_barcode()
    first, second, neighbour = tiny.a.persons  # the first two share a household
    outcomes = record(
        db,
        sampler,
        round_,
        [scan(first, tube, site=site), scan(second, tube, site=site), scan(neighbour, tube, site=site)],
    )
    assert [o.status for o in outcomes] == ["stored", "stored", "rejected"]
    assert "one household" in outcomes[2].reason


def test_cancelling_a_sealed_pool_sends_every_member_back_to_be_sampled(db, tiny, setup):
    round_, site, sampler = setup
    tube = new_barcode()
    record(db, sampler, round_, [scan(p, tube, site=site) for p in tiny.a.persons[:2]])
    service.close_tube(db, sampler, tube, now=NOW)
    service.cancel_tube(db, sampler, tube, now=NOW)
    statuses = set(
        db.scalars(select(PersonRound.status).where(PersonRound.person_id.in_([p.id for p in tiny.a.persons[:2]])))
    )
    assert statuses == {"to_resample"}
    grid = counts(db, round_, tiny.a)
    assert (grid.sampled, grid.to_resample) == (0, 2)


def test_a_device_cannot_scan_at_a_site_of_another_grid(db, tiny, setup):
    round_, site, _ = setup
    with pytest.raises(SiteNotFound):
        record(db, sampler_of(tiny.b.committee), round_, [scan(tiny.b.persons[0], new_barcode(), site=site)])
    assert db.scalar(select(func.count()).select_from(Scan)) == 0


def test_a_forged_resident_code_is_rejected(db, tiny, setup):
    round_, site, sampler = setup
    outcomes = record(
        db, sampler, round_, [scan(None, new_barcode(), site=site, resident_code="GS1.1.AAAAAAAAAAAAAAAA")]
    )
    assert outcomes[0].status == "rejected" and "not valid" in outcomes[0].reason


def test_a_scan_from_the_future_is_rejected(db, tiny, setup):
    round_, site, sampler = setup
    outcomes = record(
        db, sampler, round_, [scan(tiny.a.persons[0], new_barcode(), site=site, at=NOW + timedelta(days=2))]
    )
    assert outcomes[0].status == "rejected" and "clock" in outcomes[0].reason
