"""Re-planning during a round, when a site closes or loses desks: move as few buildings as possible. Pure.

People already have their notices, so everyone who can keep their site keeps it. A closed site's buildings
go to the nearest open sites with room, or to a replacement site opened among the candidates nearby when
that is nearer (at most one replacement per closed site, so the site count never grows). A site with fewer
desks sheds only as many people as it no longer has room for, the ones cheapest to move first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from gridscreen.planning.location import Instance, InstanceInvalid, SitePlan, finish, prepare
from gridscreen.planning.location_assign import eject, improve, repair
from gridscreen.planning.location_search import greedy_open

__all__ = ["Replan", "replan"]


@dataclass(frozen=True, eq=False)
class Replan:
    plan: SitePlan
    instance: Instance  # the instance with the changed desks (closed sites have none)
    moved: np.ndarray  # buildings whose site changed (or that lost theirs), sorted
    opened: np.ndarray  # replacement sites opened, sorted


def replan(
    instance: Instance,
    plan: SitePlan,
    *,
    closed: Iterable[int] = (),
    desks: Mapping[int, int] | None = None,
) -> Replan:
    """Re-plan after sites `closed` shut and sites in `desks` have a new number of desks (site -> desks).
    Only buildings of the affected sites move; the closed sites cannot be chosen as replacements."""
    closed = np.unique(np.asarray(list(closed), dtype=np.int64))
    max_desks = np.asarray(instance.max_desks).copy()
    for site, count in (desks or {}).items():
        if count < 0:
            raise InstanceInvalid(f"site {site} cannot have {count} desks")
        max_desks[site] = count
    max_desks[closed] = 0
    changed = dataclasses.replace(instance, max_desks=max_desks)
    touched = np.flatnonzero(max_desks != np.asarray(instance.max_desks))
    groups = instance.groups()
    affected_groups = [g for g, (_, sites) in enumerate(groups) if np.isin(sites, touched).any()]
    parts = prepare(changed, only=affected_groups)
    assignment = plan.assignment.copy()
    walk = plan.walk.copy()
    was_open = np.bincount(plan.assignment[plan.assignment >= 0], minlength=len(max_desks)) > 0
    opened = []
    for (points, sites), prob in zip(parts.groups, parts.problems, strict=True):
        if prob is None:
            continue
        local_site = np.full(len(max_desks), -1)
        local_site[sites] = np.arange(len(sites))
        here = assignment[points]
        here = np.where(here >= 0, local_site[np.maximum(here, 0)], -1)  # -1 would wrap round
        affected = np.isin(sites, closed) | (prob.capacity < _load(prob.persons, here, prob.m) - 1e-9)
        if not affected.any():
            continue
        entry = _entries(prob, here)
        is_open = was_open[sites] & ~np.isin(sites, closed)
        shut = np.isin(sites, closed)
        displaced = (entry >= 0) & shut[np.maximum(prob.reach.site[np.maximum(entry, 0)], 0)]
        entry[displaced] = -1
        # Replacement sites: only where they beat the nearest open site with room, for the displaced.
        replacements = int(shut[was_open[sites]].sum())
        if replacements and displaced.any():
            current = np.zeros(prob.n)  # nobody else may move, so nobody else gains
            current[displaced] = _best_with_room(prob, is_open, entry, displaced)
            allowed = is_open | ~shut  # closed sites stay closed
            trial = greedy_open(prob, is_open & allowed, replacements, current)
            trial &= allowed
            opened.extend(sites[trial & ~is_open].tolist())
            is_open = trial
        entry = repair(prob, is_open, entry)  # sites with fewer desks shed their cheapest buildings
        moved = displaced | (entry != _entries(prob, here))
        entry = improve(prob, is_open, entry, movable=moved)
        stuck = moved & (entry < 0) & (prob.persons > 0)
        if stuck.any():  # make room by moving one other building each: the minimum left to move
            entry = eject(prob, is_open, entry, prob.reach.dense(), only=stuck)
        on = entry >= 0
        assignment[points] = np.where(on, sites[prob.reach.site[np.maximum(entry, 0)]], -1)
        walk[points] = np.where(on, prob.reach.metres[np.maximum(entry, 0)], np.nan)
    new_plan = finish(parts, assignment, walk, site_limit=True, previous=plan)
    moved_points = np.flatnonzero(assignment != plan.assignment)
    return Replan(new_plan, changed, moved_points, np.array(sorted(opened), dtype=np.int64))


def _load(persons: np.ndarray, local_site: np.ndarray, m: int) -> np.ndarray:
    on = local_site >= 0
    return np.bincount(local_site[on], weights=persons[on], minlength=m)


def _entries(prob, local_site: np.ndarray) -> np.ndarray:
    """Reach entry of each point's current site (-1 if none or out of reach)."""
    entry = np.full(prob.n, -1, dtype=np.int64)
    hit = np.flatnonzero(local_site[prob.row] == prob.reach.site)
    entry[prob.row[hit]] = hit
    return entry


def _best_with_room(prob, is_open: np.ndarray, entry: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Walk of each chosen point to its nearest open site that has room for it (the penalty if none)."""
    spare = prob.capacity - prob.load(entry)
    ok = is_open[prob.reach.site] & (spare[prob.reach.site] >= prob.persons[prob.row] - 1e-9)
    ok &= points[prob.row]
    first = np.full(prob.n, prob.penalty)
    hits = np.flatnonzero(ok)
    starts = np.concatenate(([True], prob.row[hits][1:] != prob.row[hits][:-1])) if len(hits) else hits
    first[prob.row[hits][starts]] = prob.reach.metres[hits][starts]
    return first[points]
