"""Arrival slots: never more arrivals in a slot than the desks swab, everyone gets a slot."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridscreen.planning.slots import SlotsInvalid, plan_slots, slot_capacity


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 6), st.sampled_from([15, 30, 60]))
def test_no_slot_takes_more_than_its_site_swabs_and_everyone_is_given_one(seed, n, m, minutes):
    rng = np.random.default_rng(seed)
    persons = rng.integers(0, 400, size=n)
    site = rng.integers(-1, m, size=n)
    desks = rng.integers(1, 5, size=m)
    slots = plan_slots(persons, site, desks, slot_minutes=minutes)
    cap = slot_capacity(desks, slot_minutes=minutes)
    sites, numbers, totals = slots.per_slot()
    assert np.all(totals <= cap[sites])
    assert np.all(slots.persons > 0)
    # Every building with people and a site is given slots for all of them, and no one else.
    given_persons = np.bincount(slots.point, weights=slots.persons, minlength=n)
    expected = np.where(site >= 0, persons, 0)
    np.testing.assert_array_equal(given_persons, expected)
    assert np.all(site[slots.point] == slots.site)
    # A building's pieces are consecutive slots, and each site fills its slots from the first on.
    for point in np.unique(slots.point):
        numbers_of = np.sort(slots.slot[slots.point == point])
        assert np.all(np.diff(numbers_of) == 1)
    for s in np.unique(sites):
        used = np.unique(numbers[sites == s])
        np.testing.assert_array_equal(used, np.arange(len(used)))
        # All slots but the last are full.
        assert np.all(totals[sites == s][:-1] == cap[s])


def test_slot_capacity_stays_under_the_desks_rate():
    # 2 desks × 120 an hour × half an hour × 90 % = 108 people a slot.
    assert slot_capacity(np.array([2])).tolist() == [108]


def test_a_site_that_needs_more_desks_runs_past_the_window():
    slots = plan_slots(np.array([700, 10]), np.array([0, 1]), np.array([1, 1]), window_hours=6)
    # One desk takes 54 people a slot: 700 people fill 13 slots, 6.5 hours.
    assert slots.overrun_sites().tolist() == [0]
    assert slots.end_minute().tolist() == [390.0, 30.0]


def test_people_at_a_site_without_desks_cannot_be_given_slots():
    with pytest.raises(SlotsInvalid):
        plan_slots(np.array([10]), np.array([0]), np.array([0]))


def test_buildings_come_in_the_order_asked_for():
    slots = plan_slots(np.array([54, 54]), np.array([0, 0]), np.array([1]), order=np.array([2, 1]))
    assert slots.point[slots.slot == 0].tolist() == [1]
    assert slots.point[slots.slot == 1].tolist() == [0]
