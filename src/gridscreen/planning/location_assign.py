"""Capacitated assignment of buildings to a given set of open sites (see location.plan_sites). Pure.

The fast path (`assign`): every building to its nearest open site, then the cheapest buildings shed from
overloaded sites, then moves to nearer sites with room; NumPy passes over the sparse reach. It scores every
open set the search tries. The careful path, for the chosen open sets of small groups: also the
transportation LP solved by HiGHS with its few split buildings rounded (`lp_assign`), and pairwise
exchanges and ejection chains (`exchange`, `eject`), which single moves cannot make when sites are full.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from gridscreen.planning.reach import Reach

# Buildings whose residents are all sampled at their door still get a site (for the record), so they weigh
# a little: enough to be placed, never enough to move a decision about people.
TOKEN_WEIGHT = 1e-3
_EPS = 1e-9
_MAX_ROUNDS = 500


@dataclass(eq=False)
class Problem:
    reach: Reach
    persons: np.ndarray  # (n,) float
    capacity: np.ndarray  # (m,) persons
    weight: np.ndarray  # (n,) persons, or TOKEN_WEIGHT for empty buildings
    row: np.ndarray  # (nnz,) the point of each reach entry
    penalty: float  # metres charged per person left unassigned

    @classmethod
    def build(cls, reach: Reach, persons: np.ndarray, capacity: np.ndarray, penalty: float) -> Problem:
        persons = np.asarray(persons, dtype=float)
        weight = np.where(persons > 0, persons, TOKEN_WEIGHT)
        return cls(reach, persons, np.asarray(capacity, float), weight, reach.row, penalty)

    @property
    def n(self) -> int:
        return self.reach.n_points

    @property
    def m(self) -> int:
        return self.reach.n_sites

    def objective(self, entry: np.ndarray) -> float:
        on = entry >= 0
        walked = float(self.weight[on] @ self.reach.metres[entry[on]])
        return walked + self.penalty * float(self.weight[~on].sum())

    def load(self, entry: np.ndarray) -> np.ndarray:
        on = entry >= 0
        return np.bincount(self.reach.site[entry[on]], weights=self.persons[on], minlength=self.m)


def penalty_for(longest_walk: float) -> float:
    """Metres charged per unassigned person: more than any walk, so coverage always wins."""
    return 10.0 * longest_walk + 1.0


def _first(rows: np.ndarray, entries: np.ndarray, n: int) -> np.ndarray:
    """The first of `entries` for each row (rows non-decreasing, entries nearest first); -1 where none."""
    out = np.full(n, -1, dtype=np.int64)
    if len(entries):
        starts = np.concatenate(([True], rows[1:] != rows[:-1]))
        out[rows[starts]] = entries[starts]
    return out


def _entries_of(indptr: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reach entries of some points, and which of those points (0..len(points)-1) owns each."""
    starts = indptr[points]
    lengths = indptr[points + 1] - starts
    owner = np.repeat(np.arange(len(points)), lengths)
    offsets = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return starts[owner] + offsets, owner


def nearest_open(prob: Problem, is_open: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
    """Per point the reach entry of its nearest open site (ignoring capacity), -1 where none."""
    ok = is_open[prob.reach.site]
    if skip is not None:
        ok[skip[skip >= 0]] = False
    entries = np.flatnonzero(ok)
    return _first(prob.row[entries], entries, prob.n)


def _before_in_group(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For values sorted by key: the sum of the earlier values with the same key."""
    cum = np.cumsum(values) - values
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))[: len(keys)]
    return cum - np.repeat(cum[starts], np.diff(np.append(starts, len(keys))))


def _accept_up_to_spare(receiver: np.ndarray, persons: np.ndarray, priority: np.ndarray, spare: np.ndarray):
    """Which moves fit: per receiving site, moves in priority order (lowest first) while room is left."""
    order = np.lexsort((priority, receiver))
    r, p = receiver[order], persons[order]
    fits = _before_in_group(r, p) + p <= spare[r] + _EPS
    accepted = np.zeros(len(receiver), dtype=bool)
    accepted[order[fits]] = True
    return accepted


def repair(prob: Problem, is_open: np.ndarray, entry: np.ndarray, capacity: np.ndarray | None = None) -> np.ndarray:
    """Move buildings off overloaded sites, cheapest per person first, only as many as needed; a building
    with nowhere to go within reach is left unassigned. Other buildings never move."""
    cap = prob.capacity if capacity is None else capacity
    site, metres = prob.reach.site, prob.reach.metres
    entry = entry.copy()
    for _ in range(_MAX_ROUNDS):
        load = prob.load(entry)
        over = load - cap
        if not (over > _EPS).any():
            break
        spare = cap - load
        at = np.where(entry >= 0, site[np.maximum(entry, 0)], -1)
        movers = np.flatnonzero((at >= 0) & (prob.persons > 0))
        movers = movers[over[at[movers]] > _EPS]
        need = prob.persons[movers]
        ents, owner = _entries_of(prob.reach.indptr, movers)
        s = site[ents]
        ok = is_open[s] & (spare[s] >= need[owner] - _EPS) & (s != at[movers][owner])
        alt = _first(owner[ok], ents[ok], len(movers))
        alt_metres = np.where(alt >= 0, metres[np.maximum(alt, 0)], prob.penalty)
        per_person = alt_metres - metres[entry[movers]]
        # Shed from each overloaded site the cheapest buildings until its overflow is gone.
        home = at[movers]
        order = np.lexsort((movers, per_person, home))
        h = home[order]
        shed = order[_before_in_group(h, need[order]) < over[h] - _EPS]
        movable = shed[alt[shed] >= 0]
        if len(movable):
            fits = _accept_up_to_spare(site[alt[movable]], need[movable], per_person[movable], spare)
            entry[movers[movable[fits]]] = alt[movable[fits]]
        else:  # nowhere to go for any of them: they stay out
            entry[movers[shed]] = -1
    return entry


def improve(prob: Problem, is_open: np.ndarray, entry: np.ndarray, movable: np.ndarray | None = None) -> np.ndarray:
    """Move buildings (only the `movable` ones, if given) to nearer open sites that have room; the
    unassigned gain most, so they go first."""
    site, metres = prob.reach.site, prob.reach.metres
    entry = entry.copy()
    for _ in range(_MAX_ROUNDS):
        spare = prob.capacity - prob.load(entry)
        current = np.where(entry >= 0, metres[np.maximum(entry, 0)], prob.penalty)
        ok = is_open[site] & (metres < current[prob.row] - _EPS) & (spare[site] >= prob.persons[prob.row] - _EPS)
        if movable is not None:
            ok &= movable[prob.row]
        entries = np.flatnonzero(ok)
        best = _first(prob.row[entries], entries, prob.n)
        movers = np.flatnonzero(best >= 0)
        if not len(movers):
            break
        gain = prob.weight[movers] * (current[movers] - metres[best[movers]])
        fits = _accept_up_to_spare(site[best[movers]], prob.persons[movers], -gain, spare)
        entry[movers[fits]] = best[movers[fits]]
    return entry


def _nearest_open_walk(dense: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    return np.where(is_open[None, :], dense, np.inf).min(axis=1, initial=np.inf)


def exchange(prob: Problem, is_open: np.ndarray, entry: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """Swap the sites of two buildings when both still fit and the walking gets shorter, for small groups
    where capacity binds and single moves are stuck. A swap that pays has one building not at its nearest
    open site, so only those start one: O(n) per such building a pass."""
    entry_of = np.full(dense.shape, -1, dtype=np.int64)
    entry_of[prob.row, prob.reach.site] = np.arange(len(prob.row))
    load = prob.load(entry)
    site_of = np.where(entry >= 0, prob.reach.site[np.maximum(entry, 0)], -1)
    nearest = _nearest_open_walk(dense, is_open)
    rows = np.arange(prob.n)
    for _ in range(20):
        changed = False
        current = np.where(site_of >= 0, dense[rows, np.maximum(site_of, 0)], np.inf)
        unhappy = (site_of >= 0) & (prob.persons > 0) & (current > nearest + 1e-9)
        for i in np.flatnonzero(unhappy):
            a = site_of[i]
            others = np.flatnonzero((site_of >= 0) & (site_of != a))
            b = site_of[others]
            with np.errstate(invalid="ignore"):
                gain = prob.weight[i] * (dense[i, a] - dense[i, b]) + prob.weight[others] * (
                    dense[others, b] - dense[others, a]
                )
            shift = prob.persons[others] - prob.persons[i]  # what site a gains
            fits = (load[a] + shift <= prob.capacity[a] + _EPS) & (load[b] - shift <= prob.capacity[b] + _EPS)
            gain = np.where(fits & np.isfinite(gain), gain, 0.0)
            k = int(np.argmax(gain)) if len(gain) else 0
            if len(gain) and gain[k] > 1e-9 * (1.0 + prob.weight[i] * dense[i, a]):
                load[a] += shift[k]
                load[b[k]] -= shift[k]
                site_of[i], site_of[others[k]] = b[k], a
                changed = True
        if not changed:
            break
    on = site_of >= 0
    out = np.full(prob.n, -1, dtype=np.int64)
    out[on] = entry_of[np.flatnonzero(on), site_of[on]]
    return out


def eject(
    prob: Problem, is_open: np.ndarray, entry: np.ndarray, dense: np.ndarray, only: np.ndarray | None = None
) -> np.ndarray:
    """Ejection chains of two: building i takes the place of building k at k's site, and k moves to the
    open site with room that suits it best. Catches what single moves and exchanges miss when sites are
    full (and places people left out). O(n²) a pass over all buildings: small groups only, unless `only`
    (a mask) limits chains to placing those buildings while they have no site."""
    n = prob.n
    persons, weight = prob.persons, prob.weight
    rows = np.arange(n)
    site_of = np.where(entry >= 0, prob.reach.site[np.maximum(entry, 0)], -1)
    load = prob.load(entry)
    reachable = np.isfinite(dense) & is_open[None, :]

    def state():
        """Each building's walk now, and where it would best go (and at what cost) if pushed out."""
        walk = np.where(site_of >= 0, dense[rows, np.maximum(site_of, 0)], prob.penalty)
        fit = reachable & ((prob.capacity - load)[None, :] >= persons[:, None] - _EPS)
        fit[rows[site_of >= 0], site_of[site_of >= 0]] = False
        dest = np.argmin(np.where(fit, dense, np.inf), axis=1)
        push = np.where(fit[rows, dest], weight * (dense[rows, dest] - walk), np.inf)
        return walk, dest, push

    walk, dest, push = state()
    # After `improve`, no one can move to a nearer site with room, so a chain that pays starts with a
    # building not at its nearest open site.
    nearest = _nearest_open_walk(dense, is_open)
    for _ in range(10):
        changed = False
        for i in np.argsort(-weight * walk, kind="stable"):
            a = site_of[i]
            if persons[i] <= 0 or (only is not None and (not only[i] or a >= 0)) or walk[i] <= nearest[i] + 1e-9:
                continue
            b = site_of
            ok = (b >= 0) & (b != a) & np.isfinite(push) & (rows != i) & (dest != a)
            ok &= np.isfinite(dense[i, np.maximum(b, 0)])
            ok &= prob.capacity[np.maximum(b, 0)] - load[np.maximum(b, 0)] + persons >= persons[i] - _EPS
            ks = np.flatnonzero(ok)
            if not len(ks):
                continue
            gain = weight[i] * (walk[i] - dense[i, b[ks]]) - push[ks]
            best = int(np.argmax(gain))
            if gain[best] <= 1e-9 * (1.0 + weight[i] * walk[i]):
                continue
            k = ks[best]
            to_i, to_k = site_of[k], dest[k]
            if a >= 0:
                load[a] -= persons[i]
            load[to_i] += persons[i] - persons[k]
            load[to_k] += persons[k]
            site_of[i], site_of[k] = to_i, to_k
            walk, dest, push = state()
            changed = True
        if not changed:
            break
    entry_of = np.full(dense.shape, -1, dtype=np.int64)
    entry_of[prob.row, prob.reach.site] = np.arange(len(prob.row))
    on = site_of >= 0
    out = np.full(n, -1, dtype=np.int64)
    out[on] = entry_of[np.flatnonzero(on), site_of[on]]
    return out


def assign(prob: Problem, is_open: np.ndarray) -> np.ndarray:
    """A capacitated assignment to the open sites: per point its reach entry, -1 if left unassigned."""
    entry = repair(prob, is_open, nearest_open(prob, is_open))
    return improve(prob, is_open, entry)


def lp_assign(prob: Problem, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The transportation LP (buildings may split) solved by HiGHS, each building then sent where most of
    it went, and the rounding repaired. Returns (entry per point, price per person of each site's capacity).

    An optimal basic solution splits at most one building per full site, so little is left to round."""
    site, row = prob.reach.site, prob.row
    e = np.flatnonzero(is_open[site])
    n, m, k = prob.n, prob.m, len(e)
    if k == 0:
        return np.full(n, -1, dtype=np.int64), np.zeros(m)
    r, s = row[e], site[e]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    empty_i, empty_f = np.zeros(n + m, dtype=np.int32), np.zeros(0)
    h.addRows(
        n + m, np.r_[np.ones(n), np.full(m, -inf)], np.r_[np.ones(n), prob.capacity], 0, empty_i, empty_i[:0], empty_f
    )
    # Columns x_e (share of building r sent to site s) in rows r and n + s; then u_i (left out) in row i.
    index = np.empty(2 * k + n, dtype=np.int32)
    value = np.empty(2 * k + n)
    index[0 : 2 * k : 2], index[1 : 2 * k : 2], index[2 * k :] = r, n + s, np.arange(n)
    value[0 : 2 * k : 2], value[1 : 2 * k : 2], value[2 * k :] = 1.0, prob.persons[r], 1.0
    starts = np.r_[np.arange(0, 2 * k, 2), 2 * k + np.arange(n)].astype(np.int32)
    cost = np.r_[prob.weight[r] * prob.reach.metres[e], prob.penalty * prob.weight]
    h.addCols(k + n, cost, np.zeros(k + n), np.ones(k + n), len(index), starts, index, value)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return assign(prob, is_open), np.zeros(m)
    solution = h.getSolution()
    x = np.asarray(solution.col_value)
    share, left = x[:k], x[k:]
    price = np.maximum(-np.asarray(solution.row_dual)[n:], 0.0)
    order = np.lexsort((prob.reach.metres[e], -share, r))
    first = np.concatenate(([True], r[order][1:] != r[order][:-1]))
    best = np.full(n, -1, dtype=np.int64)
    best_share = np.zeros(n)
    best[r[order][first]] = e[order][first]
    best_share[r[order][first]] = share[order][first]
    entry = np.where((best >= 0) & (best_share > 0) & (best_share >= left), best, -1)
    return improve(prob, is_open, repair(prob, is_open, entry)), price
