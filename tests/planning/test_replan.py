"""Re-planning after a site closes or loses desks: only the affected buildings move."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridscreen.planning.location import Instance, plan_sites
from gridscreen.planning.replan import replan
from tests.planning.test_location import city_like


@pytest.fixture(scope="module")
def planned():
    instance = city_like(4, seed=11)
    return instance, plan_sites(instance, seed=0, restarts=4)


def test_closing_a_site_moves_only_its_buildings(planned):
    instance, plan = planned
    for closed in plan.open_sites[:3]:
        result = replan(instance, plan, closed=[int(closed)])
        at_closed = plan.assignment == closed
        # Everyone else keeps their site; at most one building per displaced one is moved to make room.
        others_moved = np.setdiff1d(result.moved, np.flatnonzero(at_closed))
        assert len(others_moved) <= at_closed.sum()
        assert not np.any(result.plan.assignment == closed)
        assert np.all(result.plan.load <= result.instance.capacity + 1e-9)
        assert len(result.plan.open_sites) <= len(plan.open_sites)
        assert set(result.opened.tolist()).isdisjoint({int(closed)})


def test_closing_a_site_with_room_nearby_moves_exactly_its_buildings(planned):
    instance, plan = planned
    roomy = instance.__class__(**{**instance.__dict__, "max_desks": np.asarray(instance.max_desks) * 3})
    plan = plan_sites(roomy, seed=0, restarts=0)
    closed = int(plan.open_sites[0])
    result = replan(roomy, plan, closed=[closed])
    np.testing.assert_array_equal(result.moved, np.flatnonzero(plan.assignment == closed))
    assert not result.plan.unassigned


def test_a_site_losing_desks_sheds_only_what_it_no_longer_has_room_for(planned):
    instance, plan = planned
    site = int(plan.open_sites[np.argmax(plan.load[plan.open_sites])])
    result = replan(instance, plan, desks={site: 1})
    capacity = result.instance.capacity[site]
    assert result.plan.load[site] <= capacity + 1e-9
    from_site = np.intersect1d(result.moved, np.flatnonzero(plan.assignment == site))
    shed = instance.persons[from_site].sum()
    # Shedding stops once the overflow is gone: less than the overflow plus one building.
    assert plan.load[site] - capacity <= shed < plan.load[site] - capacity + instance.persons.max()
    assert np.all(result.plan.load <= result.instance.capacity + 1e-9)
    unaffected = np.setdiff1d(np.arange(len(instance.persons)), result.moved)
    np.testing.assert_array_equal(result.plan.assignment[unaffected], plan.assignment[unaffected])


def test_nothing_changes_when_nothing_changed(planned):
    instance, plan = planned
    result = replan(instance, plan)
    assert len(result.moved) == 0
    np.testing.assert_array_equal(result.plan.assignment, plan.assignment)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 3), st.booleans())
def test_replanning_never_overloads_a_site_and_moves_few_others(seed, which, close):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(5, 40)), int(rng.integers(2, 8))
    instance = Instance(
        rng.integers(0, 150, size=n),
        rng.integers(1, 4, size=m),
        float(rng.integers(80, 300)),
        point_xy=rng.random((n, 2)) * 1_500,
        site_xy=rng.random((m, 2)) * 1_500,
        max_walk=float(rng.choice([800.0, 2_500.0])),
    )
    plan = plan_sites(instance, seed=0, restarts=1)
    if not len(plan.open_sites):
        return
    site = int(plan.open_sites[which % len(plan.open_sites)])
    result = replan(instance, plan, closed=[site]) if close else replan(instance, plan, desks={site: 0})
    assert np.all(result.plan.load <= result.instance.capacity + 1e-9)
    assert not np.any(result.plan.assignment == site) or not close
    at_site = np.flatnonzero(plan.assignment == site)
    others = np.setdiff1d(result.moved, at_site)
    assert len(others) <= len(at_site)  # at most one building moved to make room per displaced one
    placed_or_explained = (result.plan.assignment >= 0) | np.isin(
        np.arange(n), [u.point for u in result.plan.unassigned]
    )
    assert placed_or_explained.all()
