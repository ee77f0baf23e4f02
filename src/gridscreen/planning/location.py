"""Where to open sampling sites, how many desks each gets, and which site each building goes to. Pure.

A capacitated p-median: demand points (buildings, weighted by the people who walk to a site) and candidate
sites (each with a desk limit; a desk samples `desk_capacity` people in the window). Open at most p sites
and assign every building to one open site within the maximum walk so that the total walking (person ×
metres) is least and no site is over capacity. Buildings that cannot be placed are reported with a reason.

`plan_sites` is the heuristic that scales to a city (decomposed by group, e.g. subdistrict); `solve_exact`
is the HiGHS MIP of the same problem for small instances, to measure the heuristic's gap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from gridscreen.errors import Invalid
from gridscreen.planning.defaults import DEFAULTS, Defaults
from gridscreen.planning.location_assign import TOKEN_WEIGHT, Problem, improve, penalty_for
from gridscreen.planning.location_mip import solve_mip
from gridscreen.planning.location_search import cover_count, solve_group
from gridscreen.planning.reach import Reach

__all__ = [
    "ExactPlan",
    "Instance",
    "InstanceInvalid",
    "Reason",
    "SitePlan",
    "Unassigned",
    "plan_sites",
    "site_budgets",
    "solve_exact",
]


_SMALL_GROUP = 50_000  # buildings × candidates up to which a group gets the thorough search
_SEARCH_NEAREST = 24  # candidates per building the search of a large group looks at


class InstanceInvalid(Invalid):
    def __init__(self, problem: str):
        super().__init__("the site-planning instance is invalid: {problem}", problem=problem)


class Reason(StrEnum):
    beyond_max_walk = "beyond max walk of every candidate"
    too_big = "more people than any site within max walk can sample"
    no_capacity = "no capacity left within max walk"
    site_limit = "no site opened within max walk (site limit reached)"
    nobody = "nobody to sample at a site (everyone is sampled at the door)"


@dataclass(frozen=True, slots=True)
class Unassigned:
    point: int
    persons: int
    reason: Reason


@dataclass(frozen=True, eq=False)
class Instance:
    """Buildings and candidate sites. Give coordinates in metres (walking = straight line × detour) or a
    (points × sites) walking-distance matrix in metres (inf: no path)."""

    persons: np.ndarray  # (n,) people per building who come to a site
    max_desks: np.ndarray  # (m,) desks each candidate has room for
    desk_capacity: float  # people one desk samples in the window
    point_xy: np.ndarray | None = None  # (n, 2) metres
    site_xy: np.ndarray | None = None  # (m, 2) metres
    distance: np.ndarray | None = None  # (n, m) walking metres, instead of coordinates
    detour: float = 1.0
    max_walk: float = math.inf  # walking metres
    p: int | None = None  # at most this many sites; None: one per people_per_site, more to reach everyone
    people_per_site: float = DEFAULTS.people_per_site
    # Decomposition: a building only uses sites of its own group (e.g. its subdistrict).
    point_group: np.ndarray | None = None
    site_group: np.ndarray | None = None

    def __post_init__(self) -> None:
        n, m = len(self.persons), len(self.max_desks)
        if (self.distance is None) == (self.point_xy is None or self.site_xy is None):
            raise InstanceInvalid("give either both coordinate arrays or a distance matrix")
        if self.distance is not None and np.shape(self.distance) != (n, m):
            raise InstanceInvalid(f"the distance matrix must be {n} × {m}")
        if self.point_xy is not None and (np.shape(self.point_xy) != (n, 2) or np.shape(self.site_xy) != (m, 2)):
            raise InstanceInvalid("coordinates must be (n, 2) and (m, 2) arrays of metres")
        if np.any(np.asarray(self.persons) < 0) or np.any(np.asarray(self.max_desks) < 0):
            raise InstanceInvalid("persons and desks cannot be negative")
        if (self.point_group is None) != (self.site_group is None):
            raise InstanceInvalid("give groups for both points and sites, or for neither")
        if self.p is not None and self.p < 0:
            raise InstanceInvalid("p cannot be negative")

    @classmethod
    def from_defaults(
        cls, persons, point_xy, site_xy, max_desks, *, defaults: Defaults = DEFAULTS, **kwargs
    ) -> Instance:
        """An instance on coordinates with the sourced walking and desk figures."""
        values = {
            "desk_capacity": defaults.desk_capacity,
            "detour": defaults.detour,
            "max_walk": defaults.max_walk_m,
            "people_per_site": defaults.people_per_site,
        } | kwargs
        return cls(np.asarray(persons), np.asarray(max_desks), point_xy=point_xy, site_xy=site_xy, **values)

    @property
    def capacity(self) -> np.ndarray:
        return np.asarray(self.max_desks, dtype=float) * self.desk_capacity

    def groups(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(point indices, site indices) of each group; one group when none are given."""
        n, m = len(self.persons), len(self.max_desks)
        if self.point_group is None:
            return [(np.arange(n), np.arange(m))]
        pg, sg = np.asarray(self.point_group), np.asarray(self.site_group)
        points, sites = np.argsort(pg, kind="stable"), np.argsort(sg, kind="stable")
        keys = np.unique(pg)
        p_cut = np.searchsorted(pg[points], keys, "left"), np.searchsorted(pg[points], keys, "right")
        s_cut = np.searchsorted(sg[sites], keys, "left"), np.searchsorted(sg[sites], keys, "right")
        return [(points[a:b], sites[c:d]) for a, b, c, d in zip(*p_cut, *s_cut, strict=True)]

    def reach(self, points: np.ndarray, sites: np.ndarray) -> Reach:
        """Walking distances within the maximum walk between some points and some sites (local indices)."""
        if self.distance is not None:
            return Reach.from_matrix(np.asarray(self.distance)[np.ix_(points, sites)], self.max_walk)
        return Reach.from_xy(
            np.asarray(self.point_xy)[points],
            np.asarray(self.site_xy)[sites],
            max_walk=self.max_walk,
            detour=self.detour,
        )


@dataclass(frozen=True, eq=False)
class SitePlan:
    assignment: np.ndarray  # (n,) site of each building, -1 if unassigned
    walk: np.ndarray  # (n,) walking metres to its site, nan if unassigned
    load: np.ndarray  # (m,) people per site
    desks: np.ndarray  # (m,) desks per site, 0 where closed
    unassigned: tuple[Unassigned, ...]
    objective: float  # what the solvers minimise: person-metres plus the penalty for people left out
    cost: float  # person-metres walked by the people assigned

    @property
    def open_sites(self) -> np.ndarray:
        return np.flatnonzero(np.bincount(self.assignment[self.assignment >= 0], minlength=len(self.load)))

    @property
    def persons_unassigned(self) -> int:
        return sum(u.persons for u in self.unassigned)


@dataclass(frozen=True, eq=False)
class ExactPlan:
    plan: SitePlan  # the best plan HiGHS found (objective inf and everything unassigned if none)
    bound: float  # proven lower bound on the objective
    gap: float  # (objective - bound) / objective
    optimal: bool  # proven optimal within the requested gap
    status: str
    seconds: float = field(default=0.0)


@dataclass(eq=False)
class Parts:
    """The instance cut into groups, with the reach and problem of each, and one penalty for all."""

    instance: Instance
    groups: list[tuple[np.ndarray, np.ndarray]]
    problems: list[Problem | None]  # None: a group left out of `prepare(only=...)`
    penalty: float


def prepare(instance: Instance, only: Iterable[int] | None = None) -> Parts:
    """Cut the instance into its groups and build the problem of each (of the groups in `only`, if given)."""
    groups = instance.groups()
    wanted = set(range(len(groups)) if only is None else only)
    reaches = [instance.reach(points, sites) if g in wanted else None for g, (points, sites) in enumerate(groups)]
    # Without a maximum walk the penalty follows the longest walk seen, so `only` can shift it slightly.
    longest = max((float(r.metres.max()) for r in reaches if r is not None and len(r.metres)), default=1.0)
    penalty = penalty_for(instance.max_walk if math.isfinite(instance.max_walk) else longest)
    persons = np.asarray(instance.persons, dtype=float)
    capacity = instance.capacity
    problems = [
        None if r is None else Problem.build(r, persons[points], capacity[sites], penalty)
        for r, (points, sites) in zip(reaches, groups, strict=True)
    ]
    return Parts(instance, groups, problems, penalty)


def site_budgets(instance: Instance) -> list[int]:
    """How many sites each group may open: p shared in proportion to people, or (p=None) one per
    people_per_site, enough for the people given the largest site, and enough to reach every building."""
    return _budgets(prepare(instance))


def _budgets(parts: Parts) -> list[int]:
    people = np.array([float(prob.persons.sum()) for prob in parts.problems])
    sizes = np.array([prob.m for prob in parts.problems])
    if parts.instance.p is not None:
        share = people / people.sum() * parts.instance.p if people.sum() else np.zeros(len(people))
        budget = np.floor(share).astype(int)
        short = parts.instance.p - int(budget.sum())
        budget[np.argsort(-(share - budget), kind="stable")[:short]] += 1
        return np.minimum(budget, sizes).tolist()
    out = []
    for prob, w in zip(parts.problems, people, strict=True):
        biggest = float(prob.capacity.max()) if prob.m else 0.0
        need = max(
            math.ceil(w / parts.instance.people_per_site - 1e-9),
            math.ceil(w / biggest - 1e-9) if biggest > 0 else 0,
            cover_count(prob),
        )
        out.append(min(need, prob.m))
    return out


def plan_sites(instance: Instance, *, seed: int = 0, restarts: int | None = None, progress=None) -> SitePlan:
    """The heuristic plan: greedy opening, then swap local search scored by a capacitated assignment, then
    iterated local search (`restarts`; by default from 32 on small groups down to none on large ones).
    Deterministic for a seed. `progress(done, total)` is called after each group."""
    parts = prepare(instance)
    budgets = _budgets(parts)
    n = len(instance.persons)
    assignment = np.full(n, -1, dtype=np.int64)
    walk = np.full(n, np.nan)
    for g, ((points, sites), prob, budget) in enumerate(zip(parts.groups, parts.problems, budgets, strict=True)):
        small = prob.n * prob.m <= _SMALL_GROUP
        tries = restarts if restarts is not None else _default_restarts(prob.n * prob.m)
        # Large groups are searched on each building's nearest candidates only (a building is rarely best
        # served past them, and it makes every step several times cheaper), then finished on the full reach.
        search = (
            prob
            if small
            else Problem.build(prob.reach.nearest(_SEARCH_NEAREST), prob.persons, prob.capacity, prob.penalty)
        )
        rng = np.random.default_rng([seed, g])
        is_open, entry = solve_group(
            search, budget, flexible=instance.p is None, restarts=tries, thorough=small, rng=rng
        )
        if search is not prob:
            at = np.where(entry >= 0, search.reach.site[np.maximum(entry, 0)], -1)
            entry = improve(prob, is_open, _entries_for(prob.reach, at))
        on = entry >= 0
        assignment[points[on]] = sites[prob.reach.site[entry[on]]]
        walk[points[on]] = prob.reach.metres[entry[on]]
        if progress is not None:
            progress(g + 1, len(parts.groups))
    return finish(parts, assignment, walk, site_limit=instance.p is not None)


def _default_restarts(pairs: int) -> int:
    """Restarts of the iterated local search, fewer as groups grow: small ones are cheap and worth it."""
    return 32 if pairs <= 20_000 else 8 if pairs <= _SMALL_GROUP else 0


def solve_exact(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    seed: int = 0,
    start: SitePlan | None = None,
) -> ExactPlan:
    """The same problem solved by HiGHS as a MIP (site budgets as in plan_sites), with its proven bound.
    `start` (e.g. the heuristic's plan) is given to HiGHS as a first solution."""
    parts = prepare(instance)
    budgets = _budgets(parts)
    reach = _whole(parts)
    persons, capacity = np.asarray(instance.persons, dtype=float), instance.capacity
    weight = Problem.build(reach, persons, capacity, parts.penalty).weight
    groups = [(sites, budget) for (_, sites), budget in zip(parts.groups, budgets, strict=True)]
    first = None if start is None else _entries_for(reach, start.assignment)
    started = time.perf_counter()
    result = solve_mip(
        reach,
        persons,
        weight,
        capacity,
        groups,
        parts.penalty,
        time_limit=time_limit,
        mip_gap=mip_gap,
        seed=seed,
        start=first,
    )
    seconds = time.perf_counter() - started
    n = len(instance.persons)
    assignment = np.full(n, -1, dtype=np.int64)
    walk = np.full(n, np.nan)
    on = result.entry >= 0
    assignment[on] = reach.site[result.entry[on]]
    walk[on] = reach.metres[result.entry[on]]
    plan = finish(parts, assignment, walk, site_limit=True)
    if not math.isfinite(result.objective):
        plan = SitePlan(plan.assignment, plan.walk, plan.load, plan.desks, plan.unassigned, math.inf, plan.cost)
    gap = (plan.objective - result.bound) / plan.objective if plan.objective > 0 else 0.0
    return ExactPlan(plan, result.bound, max(gap, 0.0), result.optimal, result.status, seconds)


def _whole(parts: Parts) -> Reach:
    """All groups' reaches as one, in the instance's own point and site indices."""
    instance = parts.instance
    n, m = len(instance.persons), len(instance.max_desks)
    rows, sites, metres = [], [], []
    for (points, group_sites), prob in zip(parts.groups, parts.problems, strict=True):
        rows.append(points[prob.reach.row])
        sites.append(group_sites[prob.reach.site])
        metres.append(prob.reach.metres)
    return Reach.from_pairs(np.concatenate(rows), np.concatenate(sites), np.concatenate(metres), n, m)


def _entries_for(reach: Reach, assignment: np.ndarray) -> np.ndarray:
    entry = np.full(reach.n_points, -1, dtype=np.int64)
    row = reach.row
    hit = np.flatnonzero(assignment[row] == reach.site)
    entry[row[hit]] = hit
    return entry


def finish(
    parts: Parts, assignment: np.ndarray, walk: np.ndarray, *, site_limit: bool, previous: SitePlan | None = None
) -> SitePlan:
    """The plan for these assignments: loads, desks, and why each unassigned building is (the reasons of
    groups without a problem come from `previous`)."""
    instance = parts.instance
    persons = np.asarray(instance.persons)
    m = len(instance.max_desks)
    on = assignment >= 0
    load = np.bincount(assignment[on], weights=persons[on], minlength=m)
    desks = np.ceil(load / instance.desk_capacity - 1e-9).astype(np.int64)
    is_open = np.bincount(assignment[on], minlength=m) > 0
    unassigned = []
    capacity = instance.capacity
    kept = {u.point: u for u in previous.unassigned} if previous is not None else {}
    for (points, sites), prob in zip(parts.groups, parts.problems, strict=True):
        if prob is None:
            left = points[~on[points]]
            if all(int(i) in kept for i in left):
                unassigned.extend(kept[int(i)] for i in left)
                continue
            # A plan without its reasons (e.g. read back from storage): work them out for this group.
            prob = Problem.build(instance.reach(points, sites), persons[points], capacity[sites], parts.penalty)
        for local in np.flatnonzero(~on[points]):
            a, b = prob.reach.indptr[local], prob.reach.indptr[local + 1]
            near = sites[prob.reach.site[a:b]]
            point = int(points[local])
            if persons[point] <= 0:
                reason = Reason.nobody
            elif not len(near):
                reason = Reason.beyond_max_walk
            elif persons[point] > capacity[near].max() + 1e-9:
                reason = Reason.too_big
            elif is_open[near].any() or not site_limit:
                reason = Reason.no_capacity
            else:
                reason = Reason.site_limit
            unassigned.append(Unassigned(point, int(persons[point]), reason))
    cost = float(persons[on].astype(float) @ walk[on])
    objective = _objective(persons, walk, on, parts.penalty)
    unassigned.sort(key=lambda u: u.point)
    return SitePlan(assignment, walk, load, desks, tuple(unassigned), objective, cost)


def _objective(persons: np.ndarray, walk: np.ndarray, on: np.ndarray, penalty: float) -> float:
    weight = np.where(persons > 0, persons, TOKEN_WEIGHT).astype(float)
    return float(weight[on] @ walk[on]) + penalty * float(weight[~on].sum())
