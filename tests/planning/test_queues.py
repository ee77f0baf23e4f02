"""The queue simulation: both engines agree, hand-checked waits, and default staffing keeps waits short."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridscreen.planning.defaults import DEFAULTS
from gridscreen.planning.location import Instance, plan_sites
from gridscreen.planning.queues import QueuesInvalid, arrivals, simulate_queues
from gridscreen.planning.slots import plan_slots


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.floats(0.0, 1.0))
def test_simpy_and_the_vectorised_queue_give_the_same_waits(seed, m, cv):
    rng = np.random.default_rng(seed)
    persons = rng.integers(1, 300, size=3 * m)
    site = np.arange(3 * m) % m
    desks = rng.integers(1, 4, size=m)
    site_of, minute = arrivals(plan_slots(persons, site, desks, utilisation=1.2), seed=seed)
    a = simulate_queues(site_of, minute, desks, service_cv=cv, seed=seed, engine="simpy")
    b = simulate_queues(site_of, minute, desks, service_cv=cv, seed=seed, engine="vector")
    np.testing.assert_allclose(a.wait, b.wait, atol=1e-9)
    np.testing.assert_array_equal(a.max_queue, b.max_queue)
    np.testing.assert_allclose(a.finish, b.finish)
    assert np.all(a.wait >= -1e-12)


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_three_people_at_one_desk_wait_their_turn(engine):
    # One desk, 120 swabs an hour, no variation: 0.5 minutes each.
    report = simulate_queues(
        np.array([0, 0, 0]), np.array([0.0, 0.0, 0.2]), np.array([1]), service_cv=0.0, engine=engine
    )
    np.testing.assert_allclose(report.wait, [0.0, 0.5, 0.8])
    assert report.max_queue.tolist() == [2]
    assert report.finish.tolist() == [1.5]
    assert report.overall_p95_wait == pytest.approx(0.8)


def test_arrivals_must_be_sorted_and_sites_staffed():
    with pytest.raises(QueuesInvalid):
        simulate_queues(np.array([1, 0]), np.array([0.0, 0.0]), np.array([1, 1]))
    with pytest.raises(QueuesInvalid):
        simulate_queues(np.array([0]), np.array([0.0]), np.array([0]))


def test_default_staffing_keeps_the_p95_wait_under_the_target():
    rng = np.random.default_rng(4)
    n = 400
    instance = Instance.from_defaults(
        rng.integers(10, 80, size=n), rng.random((n, 2)) * 1_500, rng.random((12, 2)) * 1_500, np.full(12, 4)
    )
    plan = plan_sites(instance, restarts=0)
    slots = plan_slots(instance.persons, plan.assignment, plan.desks)
    report = simulate_queues(*arrivals(slots, seed=1), plan.desks, engine="vector")
    assert report.overall_p95_wait <= DEFAULTS.p95_wait_target_minutes
    assert report.overall_finish <= DEFAULTS.window_hours * 60 + 30
