import math
from collections import Counter

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gridscreen.sampling.pooling import (
    PoolAdvice,
    advise,
    estimate_prevalence,
    expected_tubes_per_person,
    optimal_pool_size,
    pack_households,
)

prevalences = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
pool_sizes = st.integers(1, 30)


def test_single_tubes_cost_one_tube_per_person():
    assert expected_tubes_per_person(1, 0.0) == 1.0
    assert expected_tubes_per_person(1, 0.7) == 1.0


def test_ten_in_one_without_positives_costs_a_tenth_of_a_tube_per_person():
    assert expected_tubes_per_person(10, 0.0) == pytest.approx(0.1)


def test_dorfman_formula_at_one_percent():
    assert expected_tubes_per_person(10, 0.01) == pytest.approx(0.1 + 1 - 0.99**10)


def test_known_dorfman_optimum_at_one_percent_is_eleven():
    assert optimal_pool_size(0.01, cap=100) == 11
    assert optimal_pool_size(0.01) == 11
    assert optimal_pool_size(0.01, cap=10) == 10


def test_very_low_prevalence_is_capped():
    assert optimal_pool_size(0.001) == 20
    assert optimal_pool_size(0.001, cap=100) == 32


def test_no_prevalence_gives_the_cap():
    assert optimal_pool_size(0.0, cap=20) == 20
    assert optimal_pool_size(0.0, cap=1) == 1


@pytest.mark.parametrize("prevalence", [0.31, 0.4, 0.5, 0.9, 1.0])
def test_pooling_does_not_pay_above_about_thirty_percent(prevalence):
    assert optimal_pool_size(prevalence) == 1


def test_pooling_still_pays_just_below_thirty_percent():
    assert optimal_pool_size(0.30) == 3


@given(prevalences, prevalences, st.integers(1, 60))
def test_higher_prevalence_never_gives_a_larger_pool(p, q, cap):
    low, high = sorted((p, q))
    assert optimal_pool_size(high, cap=cap) <= optimal_pool_size(low, cap=cap)


@given(prevalences, st.integers(1, 60))
def test_optimal_size_is_no_worse_than_any_other_within_the_cap(p, cap):
    best = optimal_pool_size(p, cap=cap)
    assert 1 <= best <= cap
    tubes = expected_tubes_per_person(best, p)
    assert all(tubes <= expected_tubes_per_person(n, p) for n in range(1, cap + 1))


@given(pool_sizes, prevalences)
def test_expected_tubes_lie_between_one_pool_and_pool_plus_all_retests(n, p):
    tubes = expected_tubes_per_person(n, p)
    assert (1 / n) - 1e-12 <= tubes <= 1 + (1 / n if n > 1 else 0) + 1e-12


@pytest.mark.parametrize(
    ("args", "message"),
    [((0, 0.1), "pool size"), ((5, -0.1), "prevalence"), ((5, 1.5), "prevalence")],
)
def test_expected_tubes_refuses_impossible_input(args, message):
    with pytest.raises(ValueError, match=message):
        expected_tubes_per_person(*args)


def test_optimal_size_refuses_a_cap_below_one():
    with pytest.raises(ValueError, match="cap"):
        optimal_pool_size(0.01, cap=0)


def test_prevalence_estimate_is_positive_without_positives():
    assert estimate_prevalence(0, 999) == pytest.approx(0.0005)
    assert estimate_prevalence(1, 1) == pytest.approx(0.75)


@given(st.integers(1, 10**7).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_prevalence_estimate_is_strictly_between_zero_and_one(case):
    positives, tested = case
    assert 0 < estimate_prevalence(positives, tested) < 1


@pytest.mark.parametrize(("positives", "tested"), [(0, 0), (-1, 10), (11, 10)])
def test_prevalence_estimate_refuses_impossible_counts(positives, tested):
    with pytest.raises(ValueError):
        estimate_prevalence(positives, tested)


def test_advice_shows_the_recommendation_beside_the_fixed_ten_in_one():
    advice = advise(99, 9999)
    assert advice == PoolAdvice(
        prevalence=pytest.approx(0.00995),
        recommended_size=11,
        tubes_per_person=pytest.approx(expected_tubes_per_person(11, 0.00995)),
        fixed_size=10,
        fixed_tubes_per_person=pytest.approx(expected_tubes_per_person(10, 0.00995)),
    )
    assert advice.tubes_per_person <= advice.fixed_tubes_per_person


@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), st.integers(1, 30))
def test_advice_is_never_worse_than_the_fixed_size_within_the_cap(case, fixed):
    advice = advise(*case, cap=30, fixed=fixed)
    assert advice.tubes_per_person <= advice.fixed_tubes_per_person


# --- packing households into tubes ---

households = st.lists(st.integers(0, 40), max_size=60)


def _persons_per_household(tubes):
    placed = Counter()
    for tube in tubes:
        for household, count in tube:
            placed[household] += count
    return placed


@given(households, pool_sizes)
def test_every_person_is_placed_exactly_once(sizes, pool_size):
    tubes = pack_households(sizes, pool_size)
    assert _persons_per_household(tubes) == Counter({i: s for i, s in enumerate(sizes) if s})
    assert all(count > 0 for tube in tubes for _, count in tube)


@given(households, pool_sizes)
def test_no_tube_is_over_capacity_or_empty(sizes, pool_size):
    for tube in pack_households(sizes, pool_size):
        assert 1 <= sum(count for _, count in tube) <= pool_size


@given(households, pool_sizes)
def test_a_household_that_fits_is_never_split_and_a_larger_one_uses_the_fewest_tubes(sizes, pool_size):
    tubes_of = Counter()
    for tube in pack_households(sizes, pool_size):
        for household in {household for household, _ in tube}:
            tubes_of[household] += 1
    for index, size in enumerate(sizes):
        assert tubes_of[index] == math.ceil(size / pool_size)


@given(households, pool_sizes)
def test_tube_count_is_sane(sizes, pool_size):
    tubes = pack_households(sizes, pool_size)
    lower = math.ceil(sum(sizes) / pool_size)
    assert lower <= len(tubes) <= lower + len(sizes)


@given(
    st.integers(1, 20).flatmap(lambda s: st.tuples(st.lists(st.integers(1, s), max_size=80), st.just(s))), pool_sizes
)
def test_small_households_fill_every_tube_but_the_last_nearly_full(case, pool_size):
    sizes, at_most = case
    assume(at_most <= pool_size)
    tubes = pack_households(sizes, pool_size)
    fills = [sum(count for _, count in tube) for tube in tubes]
    assert all(fill >= pool_size - at_most + 1 for fill in fills[:-1])
    assert len(tubes) <= math.ceil(sum(sizes) / (pool_size - at_most + 1))


@given(st.lists(st.integers(1, 3), min_size=1, max_size=200))
def test_households_of_up_to_three_in_ten_in_one_tubes_are_close_to_the_lower_bound(sizes):
    lower = math.ceil(sum(sizes) / 10)
    assert len(pack_households(sizes, 10)) <= max(lower + 1, math.ceil(lower * 10 / 8))


@given(st.lists(st.just(1), max_size=100), pool_sizes)
def test_single_persons_reach_the_lower_bound_exactly(sizes, pool_size):
    assert len(pack_households(sizes, pool_size)) == math.ceil(len(sizes) / pool_size)


def test_a_large_household_fills_whole_tubes_and_shares_its_remainder():
    assert pack_households([23, 7], 10) == [[(0, 10)], [(0, 10)], [(1, 7), (0, 3)]]


def test_packing_refuses_bad_input():
    with pytest.raises(ValueError, match="pool size"):
        pack_households([1], 0)
    with pytest.raises(ValueError, match="negative"):
        pack_households([1, -2], 10)
