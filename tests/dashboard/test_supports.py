from datetime import date, timedelta

import pytest

from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.dashboard import service
from gridscreen.dashboard.exceptions import LiveSupport, NotADistrictOrCity
from gridscreen.dashboard.models import SupportKind
from gridscreen.dashboard.schemas import SupportReportIn, ThresholdsIn
from tests.auth.factories import bearer
from tests.coverage.test_service import command
from tests.dashboard.test_service import _round_under_way
from tests.sampling.factories import NOW

DAY = date(2022, 4, 4)
LIMITS = ThresholdsIn(amber_below=1.0, red_below=0.8)


@pytest.mark.parametrize(
    ("have", "need", "state"), [(10, 10, "green"), (9, 10, "amber"), (8, 10, "amber"), (7, 10, "red"), (0, 0, "green")]
)
def test_a_support_is_red_amber_or_green_by_the_share_of_the_need_met(have, need, state):
    assert service.support_state(have, need, LIMITS) == state


def _district(grid) -> Principal:
    return Principal(3, "d", "d", Role.district, (AreaGrant(grid.district.id, grid.district.level),))


def _report(db, who, area, kind=SupportKind.beds, day=DAY, have=80, need=100):
    data = SupportReportIn(area_id=area.id, day=day, have=have, need=need)
    return service.report_support(db, who, kind, data, now=NOW)


def _of(supports, kind):
    return next(s for s in supports if s.kind == kind)


def test_the_city_adds_up_its_districts_unless_it_reported_its_own_figure(db, tiny):
    _report(db, _district(tiny.a), tiny.a.district, have=80, need=100)
    _report(db, _district(tiny.b), tiny.b.district, have=20, need=50)
    beds = _of(service.supports(db, command(tiny), tiny.city.id, round_id=None, now=NOW), SupportKind.beds)
    assert (beds.have, beds.need, beds.day, beds.state) == (100, 150, DAY, "red")
    _report(db, command(tiny), tiny.city, have=140, need=150)
    beds = _of(service.supports(db, command(tiny), tiny.city.id, round_id=None, now=NOW), SupportKind.beds)
    assert (beds.have, beds.need, beds.state) == (140, 150, "amber")
    district = _of(service.supports(db, command(tiny), tiny.a.district.id, round_id=None, now=NOW), SupportKind.beds)
    assert (district.have, district.need) == (80, 100)


def test_reporting_the_same_day_again_replaces_it_and_the_trend_keeps_the_last_week(db, tiny):
    who = _district(tiny.a)
    for offset in range(9):
        _report(db, who, tiny.a.district, day=DAY + timedelta(days=offset), have=offset, need=10)
    _report(db, who, tiny.a.district, day=DAY + timedelta(days=8), have=12, need=10)
    beds = _of(service.supports(db, who, tiny.a.district.id, round_id=None, now=NOW), SupportKind.beds)
    assert [p.have for p in beds.trend] == [2, 3, 4, 5, 6, 7, 12]
    assert beds.state == "green"


def test_a_support_nobody_reported_says_so(db, tiny):
    supports = service.supports(db, command(tiny), tiny.city.id, round_id=None, now=NOW)
    assert [s.kind for s in supports] == list(SupportKind)
    assert {s.state for s in supports} == {"unknown"}


def test_testing_is_worked_out_from_the_labs_and_the_people_still_missing(db, tiny):
    round_, lab = _round_under_way(db, tiny)
    testing = _of(service.supports(db, command(tiny), tiny.city.id, round_id=round_.id, now=NOW), SupportKind.testing)
    # One tube waits at the lab; 3 people missing at 2 tubes per 3 people sampled so far make 2 more tubes.
    assert (testing.have, testing.need, testing.state) == (lab.tubes_per_day, 1 + 2, "green")
    # A page passing the overview it has already read gets the same answer.
    view = service.overview(db, command(tiny), round_.id, tiny.city.id, now=NOW)
    again = service.supports(db, command(tiny), tiny.city.id, round_id=round_.id, now=NOW, overview=view)
    assert _of(again, SupportKind.testing) == testing
    with pytest.raises(LiveSupport):
        _report(db, command(tiny), tiny.city, kind=SupportKind.testing)


def test_supports_are_reported_for_the_city_or_a_district_only(db, tiny):
    with pytest.raises(NotADistrictOrCity):
        _report(db, command(tiny), tiny.a.subdistrict)


def test_thresholds_are_the_command_centres_and_red_must_sit_under_amber(client, tiny, tokens):
    url = "/api/supports/beds/thresholds"
    body = {"amber_below": 0.9, "red_below": 0.5}
    assert client.put(url, json=body, headers=bearer(tokens["district_a"])).status_code == 403
    assert client.put(url, json=body, headers=bearer(tokens["command"])).json() == body
    wrong = client.put(url, json={"amber_below": 0.5, "red_below": 0.9}, headers=bearer(tokens["command"]))
    assert wrong.status_code == 422 and "red line must not be above the amber line" in wrong.text
    report = {"area_id": tiny.a.district.id, "day": "2022-04-04", "have": 60, "need": 100}
    assert (
        client.put("/api/supports/beds/reports", json=report, headers=bearer(tokens["district_a"])).status_code == 200
    )
    # A grid sees its own district's supports.
    listed = client.get("/api/supports", params={"area_id": tiny.a.committee.id}, headers=bearer(tokens["grid_a"]))
    beds = next(s for s in listed.json() if s["kind"] == "beds")
    assert (beds["state"], beds["amber_below"], beds["red_below"]) == ("amber", 0.9, 0.5)


def test_a_district_cannot_report_for_another(client, tiny, tokens):
    report = {"area_id": tiny.b.district.id, "day": "2022-04-04", "have": 1, "need": 1}
    answer = client.put("/api/supports/beds/reports", json=report, headers=bearer(tokens["district_a"]))
    assert answer.status_code == 404
