"""The search over which sites to open, on one group of buildings and candidates (see location.plan_sites).

Objective: walking metres × persons, plus a penalty per person left unassigned that is larger than any walk,
so that reaching everyone comes first. Sites open greedily, then swap (close one, open another) while that
lowers the objective. Swaps are ranked in one vectorised pass (fast interchange, with each full site's
capacity priced) and the best-ranked few are scored by a real capacitated assignment. Small groups also get
restarts (iterated local search) and a careful final assignment.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gridscreen.planning.location_assign import (
    _EPS,
    Problem,
    assign,
    eject,
    exchange,
    improve,
    lp_assign,
    nearest_open,
)
from gridscreen.planning.location_local import Neighbourhoods

_ELITE = 3  # open sets given the careful assignment at the end
_BATCH_LOOK = 256  # best-ranked swaps looked at when batching far-apart ones
_MIN_GAIN = 1e-4  # swaps promising less than this share of the objective are not scored
_DOUBLE_FROM = 12  # best-ranked single swaps paired up when no single swap helps (small groups)
_TOP_SWAPS = 30  # swaps scored by a real assignment per step, best-ranked first
_EXHAUSTIVE_PAIR_WORK = 20_000_000  # (swap pairs × point-site pairs) below which every swap may be scored

# An open set's score: (entry per point, objective, price per person of each site's capacity or None).
Scorer = Callable[[np.ndarray], tuple[np.ndarray, float, np.ndarray | None]]


def greedy_open(
    prob: Problem,
    is_open: np.ndarray,
    count: int,
    current: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Open up to `count` more sites, each time the one saving the most walking for the people it has room
    for (with `rng`: one of the three best, at random); stops early when no closed candidate helps anyone."""
    site, metres, row = prob.reach.site, prob.reach.metres, prob.row
    is_open = is_open.copy()
    if current is None:
        nearest = nearest_open(prob, is_open)
        current = np.where(nearest >= 0, metres[np.maximum(nearest, 0)], prob.penalty)
    current = current.copy()
    by_site = np.argsort(site, kind="stable")
    site_ptr = np.searchsorted(site[by_site], np.arange(prob.m + 1))
    for _ in range(count):
        benefit = np.maximum(current[row] - metres, 0.0)
        benefit[is_open[site]] = 0.0
        helped = benefit > 0
        gain = np.bincount(site, weights=prob.weight[row] * benefit, minlength=prob.m)
        crowd = np.bincount(site[helped], weights=prob.persons[row[helped]], minlength=prob.m)
        # A site can only take its capacity: scale its gain down when more people would like to come.
        gain *= np.minimum(1.0, prob.capacity / np.maximum(crowd, _EPS))
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        if rng is not None:
            best = np.argsort(-gain, kind="stable")[:3]
            j = int(rng.choice(best[gain[best] > 0]))
        is_open[j] = True
        mine = by_site[site_ptr[j] : site_ptr[j + 1]]
        mine = mine[benefit[mine] > 0]
        mine = mine[np.argsort(-benefit[mine], kind="stable")]
        fits = np.cumsum(prob.persons[row[mine]]) <= prob.capacity[j] + _EPS
        current[row[mine[fits]]] = metres[mine[fits]]
    return is_open


def cover_count(prob: Problem) -> int:
    """How many sites a greedy set cover needs so that every building with people has one within reach."""
    site, row = prob.reach.site, prob.row
    covered = ~((np.diff(prob.reach.indptr) > 0) & (prob.persons > 0))
    count = 0
    while not covered.all():
        open_rows = ~covered[row]
        reached = np.bincount(site[open_rows], weights=prob.persons[row[open_rows]], minlength=prob.m)
        covered[row[site == int(np.argmax(reached))]] = True
        count += 1
    return count


def swap_deltas(prob: Problem, is_open: np.ndarray, metres: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Uncapacitated change of the objective for every swap (open j_in, close j_out), as a (sites × open)
    matrix, in one pass over the reach (the fast interchange of Whitaker 1983, vectorised). `metres` may
    carry each open site's capacity price on top of the walk, which is how capacity enters the ranking."""
    site, row = prob.reach.site, prob.row
    metres = prob.reach.metres if metres is None else metres
    first = nearest_open(prob, is_open)
    second = nearest_open(prob, is_open, skip=first)
    d1 = np.where(first >= 0, metres[np.maximum(first, 0)], prob.penalty)
    d2 = np.where(second >= 0, metres[np.maximum(second, 0)], prob.penalty)
    home = np.where(first >= 0, site[np.maximum(first, 0)], -1)
    open_sites = np.flatnonzero(is_open)
    p = len(open_sites)
    position = np.full(prob.m, -1)
    position[open_sites] = np.arange(p)
    served = home >= 0
    # Closing a site sends its people to their second choice.
    loss = np.bincount(position[home[served]], weights=(prob.weight * (d2 - d1))[served], minlength=p)
    e = np.flatnonzero(~is_open[site])
    r, j, d = row[e], site[e], metres[e]
    w = prob.weight[r]
    gain = np.bincount(j, weights=w * np.maximum(d1[r] - d, 0.0), minlength=prob.m)
    # ...unless the new site is nearer than that second choice.
    relief = np.where(d < d1[r], w * (d2[r] - d1[r]), np.where(d < d2[r], w * (d2[r] - d), 0.0))
    has = home[r] >= 0
    extra = np.bincount(j[has] * p + position[home[r[has]]], weights=-relief[has], minlength=prob.m * p).reshape(
        prob.m, p
    )
    delta = loss[None, :] - gain[:, None] + extra
    delta[is_open] = np.inf
    delta[np.bincount(site, minlength=prob.m) == 0] = np.inf  # reaches nobody
    return delta, open_sites


def _swapped(is_open: np.ndarray, j_in: int, j_out: int) -> np.ndarray:
    trial = is_open.copy()
    trial[j_out], trial[j_in] = False, True
    return trial


def capacity_price(prob: Problem, is_open: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Per person, what a full site's lack of room costs: the longest extra walk of anyone sent past it.
    A stand-in for the LP's capacity duals, used to rank swaps."""
    nearest = nearest_open(prob, is_open)
    has = nearest >= 0
    walked = np.where(entry >= 0, prob.reach.metres[np.maximum(entry, 0)], prob.penalty)
    extra = walked[has] - prob.reach.metres[nearest[has]]
    price = np.zeros(prob.m)
    np.maximum.at(price, prob.reach.site[nearest[has]], np.maximum(extra, 0.0))
    return price


def scorer(prob: Problem) -> Scorer:
    """Open sets are scored by the fast greedy assignment (LP scoring was tried: slower than HiGHS's whole
    MIP on small groups, and no better at ranking), which also prices capacity."""

    seen: dict[bytes, tuple[np.ndarray, float, np.ndarray]] = {}

    def by_greedy(is_open: np.ndarray):
        key = is_open.tobytes()
        if key not in seen:  # restarts walk back over the same open sets often
            if len(seen) > 20_000:
                seen.clear()
            entry = assign(prob, is_open)
            seen[key] = (entry, prob.objective(entry), capacity_price(prob, is_open, entry))
        return seen[key]

    return by_greedy


def local_search(
    prob: Problem, is_open: np.ndarray, score: Scorer, *, exhaustive: bool
) -> tuple[np.ndarray, np.ndarray, float]:
    """Swap sites while the objective falls: the best-ranked swaps first, every swap when `exhaustive` and
    those fail. On large groups, first many far-apart swaps at once (they do not interact), which is what
    lets a subdistrict of thousands of buildings settle in a few steps."""
    entry, cost, price = score(is_open)
    by_site = np.argsort(prob.reach.site, kind="stable")
    site_ptr = np.searchsorted(prob.reach.site[by_site], np.arange(prob.m + 1))
    for _ in range(10 * prob.m + 10):
        if not is_open.any():
            break
        priced = None if price is None else prob.reach.metres + np.where(is_open, price, 0.0)[prob.reach.site]
        delta, open_sites = swap_deltas(prob, is_open, priced)
        ranked = np.argsort(delta, axis=None, kind="stable")
        finite = ranked[np.isfinite(delta.flat[ranked])]
        improving = finite[delta.flat[finite] < -_MIN_GAIN * cost]
        if not exhaustive and len(improving) > 1:
            batch = _far_apart(prob, is_open, improving[:_BATCH_LOOK], open_sites, by_site, site_ptr)
            if len(batch) > 1:
                trial = is_open.copy()
                for j_in, j_out in batch:
                    trial[j_out], trial[j_in] = False, True
                trial_entry, trial_cost, trial_price = score(trial)
                if trial_cost < cost - 1e-9 * (1.0 + cost):
                    is_open, entry, cost, price = trial, trial_entry, trial_cost, trial_price
                    continue
        improved = False
        hoods = None if exhaustive else Neighbourhoods(prob, is_open, entry, by_site, site_ptr)
        for candidates in (improving[:_TOP_SWAPS], finite[_TOP_SWAPS:] if exhaustive else finite[:0]):
            best = None
            for flat in candidates:
                j_in, k = divmod(int(flat), len(open_sites))
                if hoods is not None and hoods.change(j_in, int(open_sites[k])) >= -1e-9 * (1.0 + cost):
                    continue  # large groups: screened on the swap's neighbourhood first
                trial = _swapped(is_open, j_in, int(open_sites[k]))
                trial_entry, trial_cost, trial_price = score(trial)
                if trial_cost < (cost if best is None else best[2]) - 1e-9 * (1.0 + cost):
                    best = (trial, trial_entry, trial_cost, trial_price)
                    # Large groups take the first improvement; small ones the best of the ranked few,
                    # which keeps them out of valleys the first improvement walks into.
                    if not exhaustive:
                        break
            if best is not None:
                is_open, entry, cost, price = best
                improved = True
                break
        if not improved and exhaustive:
            found = _double_swap(is_open, finite[:_DOUBLE_FROM], open_sites, score, cost)
            if found is not None:
                is_open, entry, cost, price = found
                improved = True
        if not improved:
            break
    return is_open, entry, cost


def _double_swap(is_open, ranked, open_sites, score: Scorer, cost: float):
    """The best improving pair of the best-ranked single swaps, on four different sites: what a plan stuck
    one swap short of better (each swap alone makes it worse) needs. Small groups only."""
    singles = [divmod(int(flat), len(open_sites)) for flat in ranked]
    singles = [(j_in, int(open_sites[k])) for j_in, k in singles]
    best = None
    for a in range(len(singles)):
        for b in range(a + 1, len(singles)):
            (in_a, out_a), (in_b, out_b) = singles[a], singles[b]
            if len({in_a, out_a, in_b, out_b}) < 4:
                continue
            trial = _swapped(_swapped(is_open, in_a, out_a), in_b, out_b)
            trial_entry, trial_cost, trial_price = score(trial)
            if trial_cost < (cost if best is None else best[2]) - 1e-9 * (1.0 + cost):
                best = (trial, trial_entry, trial_cost, trial_price)
    return best


def _far_apart(prob, is_open, swaps, open_sites, by_site, site_ptr) -> list[tuple[int, int]]:
    """Improving swaps, best first, that share no building: none of the buildings the new site reaches or
    the closed site serves is touched by another swap of the batch."""
    home = nearest_open(prob, is_open)
    home_site = np.where(home >= 0, prob.reach.site[np.maximum(home, 0)], -1)
    by_home = np.argsort(home_site, kind="stable")
    home_ptr = np.searchsorted(home_site[by_home], np.arange(prob.m + 1))
    taken_points = np.zeros(prob.n, dtype=bool)
    taken_sites = np.zeros(prob.m, dtype=bool)
    batch = []
    for flat in swaps.tolist():
        j_in, k = divmod(flat, len(open_sites))
        j_out = int(open_sites[k])
        if taken_sites[j_in] or taken_sites[j_out]:
            continue
        points = np.concatenate(
            (prob.row[by_site[site_ptr[j_in] : site_ptr[j_in + 1]]], by_home[home_ptr[j_out] : home_ptr[j_out + 1]])
        )
        if taken_points[points].any():
            continue
        taken_points[points] = True
        taken_sites[[j_in, j_out]] = True
        batch.append((j_in, j_out))
    return batch


def _polish(prob: Problem, is_open: np.ndarray, entry: np.ndarray, small: bool) -> tuple[np.ndarray, float]:
    """The careful assignment for a chosen open set: on small groups, the better of the greedy and the LP
    rounding, each improved by pairwise exchanges."""
    if not small:
        return entry, prob.objective(entry)
    dense = prob.reach.dense()
    best, best_cost = entry, prob.objective(entry)
    for start in (entry, lp_assign(prob, is_open)[0]):
        polished, cost = start, prob.objective(start)
        for _ in range(5):
            polished = eject(prob, is_open, improve(prob, is_open, exchange(prob, is_open, polished, dense)), dense)
            before, cost = cost, prob.objective(polished)
            if cost >= before - 1e-9 * (1.0 + before):
                break
        if cost < best_cost:
            best, best_cost = polished, cost
    return best, best_cost


def solve_group(
    prob: Problem, sites: int, *, flexible: bool, restarts: int, thorough: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Open at most `sites` sites (more when `flexible` and people are left out) and assign every point;
    returns (open mask, reach entry per point or -1). `thorough` (for small groups): every swap may be
    scored, pairs of swaps too, and the final assignment gets the careful treatment."""
    nnz = len(prob.reach.site)
    if nnz == 0 or sites <= 0:
        return np.zeros(prob.m, dtype=bool), np.full(prob.n, -1, dtype=np.int64)
    exhaustive = thorough and sites * max(prob.m - sites, 0) * nnz <= _EXHAUSTIVE_PAIR_WORK
    small = thorough
    score = scorer(prob)
    is_open = greedy_open(prob, np.zeros(prob.m, dtype=bool), sites)
    is_open, entry, _ = local_search(prob, is_open, score, exhaustive=exhaustive)
    while flexible:
        left = int(((entry < 0) & (prob.persons > 0)).sum())
        if not left:
            break
        current = np.where(entry >= 0, prob.reach.metres[np.maximum(entry, 0)], prob.penalty)
        more = greedy_open(prob, is_open, 1, current)
        if more.sum() == is_open.sum():
            break
        more, more_entry, _ = local_search(prob, more, score, exhaustive=exhaustive)
        if int(((more_entry < 0) & (prob.persons > 0)).sum()) >= left:
            break
        is_open, entry = more, more_entry
    cost = prob.objective(entry)
    elite = {is_open.tobytes(): (cost, is_open, entry)}
    for attempt in range(restarts):
        # Iterated local search: move a site or two elsewhere near where they were, descend again (the
        # thorough descent only from a start that looks promising), keep the better plan. Every fourth
        # start is a fresh randomised greedy one instead, to get out of the best plan's valley.
        if attempt % 4 == 3:
            trial = greedy_open(prob, np.zeros(prob.m, dtype=bool), int(is_open.sum()), rng=rng)
        else:
            trial = _shake(prob, is_open, entry, rng)
        if trial is None:
            break
        trial, trial_entry, trial_cost = local_search(prob, trial, score, exhaustive=False)
        if exhaustive and trial_cost < 1.01 * cost:
            trial, trial_entry, trial_cost = local_search(prob, trial, score, exhaustive=True)
        elite[trial.tobytes()] = (trial_cost, trial, trial_entry)
        if trial_cost < cost - 1e-9 * (1.0 + cost):
            is_open, entry, cost = trial, trial_entry, trial_cost
    # The careful assignment is slow: only for the few best open sets, which it may reorder.
    best = None
    for _, candidate, candidate_entry in sorted(elite.values(), key=lambda item: item[0])[:_ELITE]:
        polished, polished_cost = _polish(prob, candidate, candidate_entry, small)
        if best is None or polished_cost < best[2] - 1e-9 * (1.0 + best[2]):
            best = (candidate, polished, polished_cost)
    return best[0], best[1]


def _shake(prob: Problem, is_open: np.ndarray, entry: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Close one or two open sites, each time opening a closed candidate that reaches its people."""
    trial = is_open.copy()
    site, row = prob.reach.site, prob.row
    served_by = np.where(entry >= 0, site[np.maximum(entry, 0)], -1)
    for _ in range(1 if rng.random() < 0.6 else 2):
        opened = np.flatnonzero(trial)
        if not len(opened):
            return None
        out = int(rng.choice(opened))
        near = (served_by[row] == out) & ~trial[site]
        if not near.any():
            near = ~trial[site]
        if not near.any():
            return None
        reached = np.bincount(site[near], weights=prob.weight[row[near]], minlength=prob.m)
        trial[out] = False
        trial[int(rng.choice(prob.m, p=reached / reached.sum()))] = True
    return trial
