"""The site plan: capacity, reach, reasons, determinism, and the heuristic against HiGHS."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridscreen.planning.location import Instance, InstanceInvalid, Reason, plan_sites, site_budgets, solve_exact
from gridscreen.sim.instances import city_like as sim_city_like


@st.composite
def instances(draw) -> Instance:
    n = draw(st.integers(1, 30))
    m = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    persons = rng.integers(0, 200, size=n)
    desks = rng.integers(0, 5, size=m)
    max_walk = draw(st.sampled_from([math.inf, 400.0, 900.0, 2_000.0]))
    p = draw(st.one_of(st.none(), st.integers(1, m)))
    groups = draw(st.booleans())
    return Instance(
        persons,
        desks,
        float(draw(st.integers(40, 400))),
        point_xy=rng.random((n, 2)) * 2_000,
        site_xy=rng.random((m, 2)) * 2_000,
        detour=1.3,
        max_walk=max_walk,
        p=p,
        point_group=rng.integers(0, 2, size=n) if groups else None,
        site_group=rng.integers(0, 2, size=m) if groups else None,
    )


def city_like(committees: int, seed: int, p: int | None = None) -> Instance:
    """Kept small (fewer compounds and buildings than the bench's) so that HiGHS proves these fast."""
    return sim_city_like(committees, seed, compounds=(3, 7), buildings=(4, 16), p=p)


def walk_matrix(instance: Instance) -> np.ndarray:
    d = np.hypot(*(instance.point_xy[:, None, :] - instance.site_xy[None, :, :]).transpose(2, 0, 1))
    return d * instance.detour


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 3))
def test_no_site_is_ever_over_capacity_and_every_building_is_placed_or_explained(instance, seed):
    plan = plan_sites(instance, seed=seed, restarts=2)
    persons = np.asarray(instance.persons)
    on = plan.assignment >= 0
    load = np.bincount(plan.assignment[on], weights=persons[on], minlength=len(instance.max_desks))
    assert np.all(load <= instance.capacity + 1e-9)
    np.testing.assert_allclose(plan.load, load)
    assert np.all(plan.desks * instance.desk_capacity >= plan.load - 1e-9)
    assert np.all(plan.desks <= instance.max_desks)
    # Assigned: within the maximum walk, in the building's own group, at the distance reported.
    walk = walk_matrix(instance)
    points = np.flatnonzero(on)
    np.testing.assert_allclose(plan.walk[points], walk[points, plan.assignment[points]])
    assert np.all(plan.walk[points] <= instance.max_walk + 1e-6)
    if instance.point_group is not None:
        assert np.all(instance.point_group[points] == instance.site_group[plan.assignment[points]])
    # Unassigned: exactly the others, each with a reason that holds.
    assert sorted(u.point for u in plan.unassigned) == np.flatnonzero(~on).tolist()
    for u in plan.unassigned:
        near = walk[u.point] <= instance.max_walk
        if instance.point_group is not None:
            near &= instance.site_group == instance.point_group[u.point]
        if u.reason is Reason.nobody:
            assert persons[u.point] == 0
        elif u.reason is Reason.beyond_max_walk:
            assert not near.any()
        else:
            assert near.any()
        if u.reason is Reason.too_big:
            assert persons[u.point] > instance.capacity[near].max()
    if instance.p is not None:
        assert len(plan.open_sites) <= instance.p


def test_the_same_seed_gives_the_same_plan():
    instance = city_like(4, seed=3)
    a, b = plan_sites(instance, seed=7), plan_sites(instance, seed=7)
    np.testing.assert_array_equal(a.assignment, b.assignment)
    np.testing.assert_array_equal(a.desks, b.desks)
    assert a.objective == b.objective


def test_a_distance_matrix_gives_the_same_plan_as_coordinates():
    instance = city_like(2, seed=1)
    matrix = Instance(
        instance.persons,
        instance.max_desks,
        instance.desk_capacity,
        distance=walk_matrix(instance),
        max_walk=instance.max_walk,
    )
    a, b = plan_sites(instance, seed=0), plan_sites(matrix, seed=0)
    np.testing.assert_array_equal(a.assignment, b.assignment)


def test_reasons_name_the_building_out_of_reach_and_the_one_too_big():
    instance = Instance(
        np.array([100, 100, 5_000]),
        np.array([2]),
        500.0,
        point_xy=np.array([[0.0, 0.0], [5_000.0, 0.0], [10.0, 0.0]]),
        site_xy=np.array([[0.0, 10.0]]),
        max_walk=1_000.0,
    )
    plan = plan_sites(instance)
    reasons = {u.point: u.reason for u in plan.unassigned}
    assert reasons == {1: Reason.beyond_max_walk, 2: Reason.too_big}
    assert plan.assignment[0] == 0


def test_people_beyond_the_capacity_within_reach_are_reported_as_such():
    instance = Instance(
        np.array([300, 300, 300]),
        np.array([1, 1]),
        600.0,
        point_xy=np.zeros((3, 2)),
        site_xy=np.array([[0.0, 100.0], [0.0, 5_000.0]]),
        max_walk=1_000.0,
    )
    plan = plan_sites(instance)
    assert [u.reason for u in plan.unassigned] == [Reason.no_capacity]
    assert plan.load[0] == 600


def test_without_p_every_reachable_building_gets_a_site_even_far_apart():
    far = Instance.from_defaults(
        np.array([50, 60, 70]),
        np.array([[0.0, 0.0], [20_000.0, 0.0], [0.0, 20_000.0]]),
        np.array([[0.0, 50.0], [20_000.0, 50.0], [0.0, 20_050.0], [10_000.0, 10_000.0]]),
        np.array([4, 4, 4, 8]),
    )
    plan = plan_sites(far)
    assert not plan.unassigned
    assert site_budgets(far) == [3]
    assert sorted(plan.open_sites.tolist()) == [0, 1, 2]


def test_a_fixed_p_is_shared_between_groups_and_never_exceeded():
    instance = city_like(3, seed=5, p=4)
    groups = Instance(
        **{
            **instance.__dict__,
            "point_group": np.arange(len(instance.persons)) % 2,
            "site_group": np.arange(len(instance.max_desks)) % 2,
        }
    )
    assert sum(site_budgets(groups)) == 4
    assert len(plan_sites(groups).open_sites) <= 4


def test_an_instance_needs_coordinates_or_distances():
    with pytest.raises(InstanceInvalid):
        Instance(np.array([1]), np.array([1]), 10.0)


@pytest.mark.parametrize(("committees", "seed"), [(1, 0), (2, 1), (3, 2), (3, 4)])
def test_the_heuristic_is_within_a_small_gap_of_highs(committees, seed):
    instance = city_like(committees, seed)
    heuristic = plan_sites(instance, seed=0)
    exact = solve_exact(instance, time_limit=20)
    assert exact.optimal
    assert exact.bound <= exact.plan.objective + 1e-6 * exact.plan.objective
    assert exact.plan.objective <= heuristic.objective + 1e-6 * heuristic.objective
    assert heuristic.objective <= 1.02 * exact.plan.objective
    assert np.all(exact.plan.load <= instance.capacity + 1e-9)
