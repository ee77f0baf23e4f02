from datetime import timedelta

import pytest

from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.coverage import service
from tests.lab.factories import make_lab, post, ship_and_receive
from tests.lab.test_service import swab
from tests.sampling.factories import NOW, open_round, sampler_of, site_in


def command(tiny) -> Principal:
    return Principal(1, "c", "c", Role.command, (AreaGrant(tiny.city.id, tiny.city.level),))


@pytest.fixture
def positive_pool(db, tiny):
    round_ = open_round(db, tiny)
    site, sampler = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)
    lab, lab_user = make_lab(db, tiny.a.district)
    tube, _ = swab(db, sampler, round_, tiny.a.persons[:2], site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [tube])
    post(db, lab_user, lab, [(tube, "positive")])
    return round_, tube


def test_coverage_rolls_grids_up_to_the_city_and_counts_tubes_apart_from_persons(db, tiny, positive_pool):
    round_, _ = positive_pool
    city = service.coverage(db, command(tiny), round_.id, tiny.city.id)
    f = city.area.figures
    assert (f.expected, f.sampled, f.on_hold, f.missing, f.tubes, f.tubes_positive) == (6, 2, 2, 4, 1, 1)
    assert f.coverage == pytest.approx(2 / 6)
    by_district = {c.area_id: c.figures for c in city.children}
    assert by_district[tiny.a.district.id].sampled == 2 and by_district[tiny.b.district.id].sampled == 0


def test_the_door_knock_list_is_the_grid_minus_the_sampled(db, tiny, positive_pool):
    round_, _ = positive_pool
    items, total = service.missing(db, command(tiny), round_.id, tiny.a.committee.id)
    assert total == 1 and items[0].person.id == tiny.a.persons[2].id
    assert items[0].person.masked and "1号楼" in items[0].address


def test_a_positive_pool_whose_retests_are_overdue_heads_the_exception_list(db, tiny, positive_pool):
    round_, tube = positive_pool
    soon = service.pool_exceptions(db, command(tiny), round_.id, tiny.city.id, now=NOW)
    assert [(e.barcode, e.retests_open, e.retests_overdue) for e in soon] == [(tube, 2, 0)]
    late = service.pool_exceptions(db, command(tiny), round_.id, tiny.city.id, now=NOW + timedelta(days=1))
    assert late[0].retests_overdue == 2


def test_someone_whose_tube_was_cancelled_counts_as_missing_not_sampled(db, tiny):
    from gridscreen.sampling import service as sampling

    round_ = open_round(db, tiny)
    site, sampler = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)
    tube, _ = swab(db, sampler, round_, tiny.a.persons[:2], site)
    sampling.cancel_tube(db, sampler, tube, now=NOW)
    f = service.coverage(db, command(tiny), round_.id, tiny.a.committee.id).area.figures
    assert (f.sampled, f.to_resample, f.missing, f.expected) == (0, 2, 3, 3)
    assert f.sampled + f.missing == f.expected


def test_a_building_and_its_compound_count_their_own_people(db, tiny, positive_pool):
    round_, _ = positive_pool
    for area in (tiny.a.building, tiny.a.compound):
        f = service.coverage(db, command(tiny), round_.id, area.id).area.figures
        assert (f.expected, f.on_hold, f.missing, f.retests_open, f.tubes) == (3, 2, 1, 2, 0)
    other = service.coverage(db, command(tiny), round_.id, tiny.b.building.id).area.figures
    assert (other.expected, other.missing) == (3, 3)
