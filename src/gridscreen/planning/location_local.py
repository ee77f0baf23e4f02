"""Screening a swap on the buildings it can touch, not the whole group (see location_search). Pure.

Swapping sites j_in for j_out in a subdistrict of ten thousand buildings changes where a few hundred of them
go: those j_in reaches, those j_out served, and whoever shares a site with them. Re-assigning just that
neighbourhood (everyone else stays put) costs a few hundred entries instead of the whole group, and since
the people outside keep their sites, what it finds is a plan the full assignment can only match or beat,
so a swap that does not pay here is very unlikely to pay at all.
"""

from __future__ import annotations

import numpy as np

from gridscreen.planning.location_assign import Problem, _entries_of, assign
from gridscreen.planning.reach import Reach


class Neighbourhoods:
    """For one open set and its assignment: the change of the objective a swap would bring, estimated on
    the swap's neighbourhood."""

    def __init__(self, prob: Problem, is_open: np.ndarray, entry: np.ndarray, by_site: np.ndarray, site_ptr):
        self.prob = prob
        self.is_open = is_open
        self.by_site, self.site_ptr = by_site, site_ptr
        self.site_of = np.where(entry >= 0, prob.reach.site[np.maximum(entry, 0)], -1)
        self.walk = np.where(entry >= 0, prob.reach.metres[np.maximum(entry, 0)], prob.penalty)
        self.by_home = np.argsort(self.site_of, kind="stable")
        self.home_ptr = np.searchsorted(self.site_of[self.by_home], np.arange(prob.m + 1))

    def _served_by(self, sites: np.ndarray) -> np.ndarray:
        """Buildings currently sent to any of these sites."""
        lo, hi = self.home_ptr[sites], self.home_ptr[sites + 1]
        lengths = hi - lo
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return self.by_home[np.repeat(lo, lengths) + offsets]

    def change(self, j_in: int, j_out: int) -> float:
        prob, site = self.prob, self.prob.reach.site
        after = self.is_open.copy()
        after[j_out], after[j_in] = False, True
        # Masks rather than np.unique: this runs thousands of times on small sets.
        mark = np.zeros(prob.n, dtype=bool)
        mark[prob.row[self.by_site[self.site_ptr[j_in] : self.site_ptr[j_in + 1]]]] = True
        mark[self._served_by(np.array([j_out]))] = True
        ents, _ = _entries_of(prob.reach.indptr, np.flatnonzero(mark))
        near = np.zeros(prob.m, dtype=bool)
        near[site[ents]] = True
        sites = np.flatnonzero(near & after)
        mark[self._served_by(sites)] = True
        points = np.flatnonzero(mark)
        local = np.full(prob.m, -1)
        local[sites] = np.arange(len(sites))
        ents, owner = _entries_of(prob.reach.indptr, points)
        keep = local[site[ents]] >= 0
        ents, owner = ents[keep], owner[keep]
        indptr = np.zeros(len(points) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=len(points)), out=indptr[1:])
        reach = Reach(indptr, local[site[ents]], prob.reach.metres[ents], len(sites))
        sub = Problem(reach, prob.persons[points], prob.capacity[sites], prob.weight[points], owner, prob.penalty)
        before = float(prob.weight[points] @ self.walk[points])
        return sub.objective(assign(sub, np.ones(len(sites), dtype=bool))) - before
