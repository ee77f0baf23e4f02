from datetime import timedelta

from gridscreen.config import get_settings
from gridscreen.sampling import ingest, service
from tests.sampling.factories import NOW, new_barcode, open_round, sampler_of, scan, site_in


def _swab(db, sampler, round_, site, persons, *, at, now, device="d1", pending=0):
    tube = new_barcode()
    ingest.record_scans(
        db, sampler, round_id=round_.id, device_id=device, scans=[scan(p, tube, site=site, at=at) for p in persons],
        now=now, secret=get_settings().resident_code_key, pending=pending,
    )  # fmt: skip


def test_a_site_lead_sees_todays_swabs_the_pace_and_the_devices_behind(db, tiny):
    round_ = open_round(db, tiny)
    site, sampler = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)
    now = NOW + timedelta(minutes=30)
    _swab(db, sampler, round_, site, tiny.a.persons[:2], at=NOW - timedelta(days=1), now=now, device="old")
    _swab(db, sampler, round_, site, tiny.a.persons[2:3], at=NOW + timedelta(minutes=10), now=now, pending=4)
    today = service.site_today(db, sampler, round_.id, site.id, now=now, day_start=NOW - timedelta(hours=8))
    assert (today.swabs_today, today.tubes_today, today.still_expected) == (1, 1, 0)
    assert today.swabs_per_hour == 0.7  # one swab in the 90 minutes since the hour before this one began
    assert {(d.device_id, d.pending, d.behind) for d in today.devices} == {("d1", 4, True), ("old", 0, False)}


def test_the_time_to_clear_the_grid_follows_the_pace(db, tiny):
    round_ = open_round(db, tiny)
    site, sampler = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)
    now = NOW + timedelta(minutes=30)
    _swab(db, sampler, round_, site, tiny.a.persons[:1], at=NOW + timedelta(minutes=5), now=now)
    today = service.site_today(db, sampler, round_.id, site.id, now=now, day_start=NOW - timedelta(hours=8))
    # 2 people still expected at 1 swab in the last 90 minutes.
    assert (today.still_expected, today.minutes_to_clear) == (2, 180.0)
    later = service.site_today(db, sampler, round_.id, site.id, now=now + timedelta(hours=3), day_start=NOW)
    assert later.minutes_to_clear is None and later.devices[0].behind  # silent for hours
