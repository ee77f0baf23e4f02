from datetime import timedelta

from gridscreen.dashboard import service
from tests.coverage.test_service import command
from tests.lab.factories import make_lab, post, ship_and_receive
from tests.lab.test_service import swab
from tests.sampling.factories import NOW, new_barcode, open_round, sampler_of, scan, site_in


def _round_under_way(db, tiny):
    """Grid A: a positive pool of 2 resulted, a single tube waiting at the lab, a third tube on its way."""
    round_ = open_round(db, tiny)
    site, sampler = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)
    lab, lab_user = make_lab(db, tiny.a.district)
    pool, _ = swab(db, sampler, round_, tiny.a.persons[:2], site)
    waiting, _ = swab(db, sampler, round_, tiny.a.persons[2:3], site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [pool, waiting])
    post(db, lab_user, lab, [(pool, "positive")])
    return round_, lab


def test_the_overview_counts_persons_tubes_and_the_lab_backlog_from_kept_counts(db, tiny):
    round_, lab = _round_under_way(db, tiny)
    view = service.overview(db, command(tiny), round_.id, tiny.city.id, now=NOW + timedelta(hours=2))
    assert view.coverage.area.figures.sampled == 3
    [backlog] = view.labs
    assert (backlog.lab_id, backlog.arrived, backlog.resulted, backlog.waiting, backlog.in_transit) == (
        lab.id,
        2,
        1,
        1,
        0,
    )
    assert backlog.oldest_waiting_since == NOW
    assert backlog.backlog_hours == round(1 * 24 / lab.tubes_per_day, 1)
    assert backlog.turnaround_hours is None  # the box is not finished yet


def test_progress_adds_up_hour_by_hour_to_the_grid_counts(db, tiny):
    round_, _ = _round_under_way(db, tiny)
    points = service.overview(db, command(tiny), round_.id, tiny.city.id, now=NOW).progress
    last = points[-1]
    assert (last.persons_total, last.tubes_total, last.tubes_resulted_total, last.persons_resulted_total) == (
        3,
        2,
        1,
        2,
    )
    assert [p.hour for p in points] == sorted(p.hour for p in points)
    assert all(p.hour.minute == 0 and p.hour.utcoffset() == timedelta(0) for p in points)


def test_a_repeat_swab_counts_as_a_scan_but_not_as_another_person(db, tiny):
    from gridscreen.config import get_settings
    from gridscreen.sampling import ingest

    round_ = open_round(db, tiny)
    site, sampler = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)
    person = tiny.a.persons[0]
    later = NOW + timedelta(hours=3)
    for at in (NOW, later):
        ingest.record_scans(
            db, sampler, round_id=round_.id, device_id="d", scans=[scan(person, new_barcode(), site=site, at=at)],
            now=later, secret=get_settings().resident_code_key,
        )  # fmt: skip
    points = service.overview(db, command(tiny), round_.id, tiny.city.id, now=later).progress
    assert [(p.hour, p.scans, p.persons) for p in points] == [(NOW, 1, 1), (later, 1, 0)]


def test_a_finished_box_gives_the_lab_a_turnaround(db, tiny):
    round_ = open_round(db, tiny)
    site, sampler = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)
    lab, lab_user = make_lab(db, tiny.a.district)
    tube, _ = swab(db, sampler, round_, tiny.a.persons[:1], site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [tube])
    from gridscreen.lab import service as lab_service
    from gridscreen.lab.schemas import ResultIn

    later = NOW + timedelta(hours=5)
    lab_service.record_results(
        db, lab_user, lab_id=lab.id, upload="u", rows=[ResultIn(barcode=tube, result="negative")], now=later
    )
    [backlog] = service.overview(db, command(tiny), round_.id, tiny.city.id, now=later).labs
    assert (backlog.waiting, backlog.turnaround_hours, backlog.oldest_waiting_since) == (0, 5.0, None)


def test_overdue_retests_and_pools_are_counted_once_the_deadline_passes(db, tiny):
    round_, _ = _round_under_way(db, tiny)
    soon = service.overview(db, command(tiny), round_.id, tiny.city.id, now=NOW)
    late = service.overview(db, command(tiny), round_.id, tiny.city.id, now=NOW + timedelta(days=2))
    assert (soon.pools_overdue, soon.retests_overdue) == (0, 0)
    assert (late.pools_overdue, late.retests_overdue) == (1, 2)


def test_a_district_sees_only_its_own_grids_and_labs(db, tiny):
    round_, _ = _round_under_way(db, tiny)
    for grid in (tiny.a, tiny.b):
        grid.committee.lat, grid.committee.lon = 31.2, 121.5
    db.flush()
    view = service.overview(db, command(tiny), round_.id, tiny.b.district.id, now=NOW)
    assert [g.area_id for g in view.grids] == [tiny.b.committee.id]
    assert view.labs == [] and view.progress == []
    city = service.overview(db, command(tiny), round_.id, tiny.city.id, now=NOW)
    assert sorted(g.area_id for g in city.grids) == sorted([tiny.a.committee.id, tiny.b.committee.id])
