"""How long people wait at their sites, given the arrival slots: a multi-server first-come-first-served
queue per site (a site's desks are its servers). Pure: no database.

Two engines give identical results: SimPy (a discrete-event simulation, clear but slow: for checking) and a
vectorised one that advances the k-th arrival of every site at once, which handles a city in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gridscreen.errors import Invalid
from gridscreen.planning.defaults import DEFAULTS
from gridscreen.planning.slots import Slots

__all__ = ["QueueReport", "QueuesInvalid", "arrivals", "simulate_queues"]

_SIMPY_LIMIT = 20_000  # persons up to which engine="auto" uses SimPy


class QueuesInvalid(Invalid):
    def __init__(self, problem: str):
        super().__init__("the queues cannot be simulated: {problem}", problem=problem)


@dataclass(frozen=True, eq=False)
class QueueReport:
    """Per site with arrivals (`sites`), and overall. Times in minutes from the window start."""

    sites: np.ndarray
    persons: np.ndarray
    p95_wait: np.ndarray
    max_wait: np.ndarray
    max_queue: np.ndarray  # most people waiting (not being swabbed) at once
    finish: np.ndarray  # last swab done
    overall_p95_wait: float
    overall_mean_wait: float
    overall_max_queue: int
    overall_finish: float
    wait: np.ndarray  # per person, in the order of `arrivals` sorted by (site, time)


def arrivals(slots: Slots, *, seed: int = 0, spread_minutes: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each person's (site, arrival minute), sorted by site then time: uniformly at random within the first
    `spread_minutes` of their slot (default: the whole slot; less models people bunching at its start)."""
    rng = np.random.default_rng(seed)
    site = np.repeat(slots.site, slots.persons)
    start = np.repeat(slots.start_minute, slots.persons)
    spread = slots.slot_minutes if spread_minutes is None else min(spread_minutes, slots.slot_minutes)
    minute = start + rng.random(len(site)) * spread
    order = np.lexsort((minute, site))
    return site[order], minute[order]


def simulate_queues(
    site: np.ndarray,
    minute: np.ndarray,
    desks: np.ndarray,
    *,
    swabs_per_desk_hour: float = DEFAULTS.swabs_per_desk_hour_pooled,
    service_cv: float = DEFAULTS.service_cv,
    seed: int = 0,
    engine: Literal["auto", "simpy", "vector"] = "auto",
) -> QueueReport:
    """Simulate every site's queue. `site`, `minute`: each person's site and arrival, sorted by site then
    time (as `arrivals` gives them); `desks`: servers per site. Swab times are gamma distributed with the
    rate's mean and the given coefficient of variation, drawn in arrival order (same draws in both engines)."""
    site = np.asarray(site, dtype=np.int64)
    minute = np.asarray(minute, dtype=float)
    desks = np.asarray(desks, dtype=np.int64)
    if len(site) and (np.any(np.diff(site) < 0) or np.any((np.diff(site) == 0) & (np.diff(minute) < 0))):
        raise QueuesInvalid("arrivals must be sorted by site, then time")
    if len(site) and np.any(desks[site] <= 0):
        raise QueuesInvalid("people arrive at a site without desks")
    service = _service_minutes(len(site), swabs_per_desk_hour, service_cv, seed)
    if engine == "auto":
        engine = "simpy" if len(site) <= _SIMPY_LIMIT else "vector"
    run = _simpy_starts if engine == "simpy" else _vector_starts
    start = run(site, minute, desks, service)
    return _report(site, minute, start, start + service)


def _service_minutes(n: int, rate_per_hour: float, cv: float, seed: int) -> np.ndarray:
    mean = 60.0 / rate_per_hour
    rng = np.random.default_rng([seed, 1])
    if cv <= 1e-6:  # (gamma with a vanishing spread: a constant)
        return np.full(n, mean)
    shape = 1.0 / cv**2
    return rng.gamma(shape, mean / shape, size=n)


def _bounds(site: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sites present, and the first and end index of each in the sorted arrays."""
    present, first = np.unique(site, return_index=True)
    end = np.append(first[1:], len(site))
    return present, first, end


def _vector_starts(site: np.ndarray, minute: np.ndarray, desks: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Swab start of every person. Step k serves the k-th arrival of every site that has one, each at its
    earliest-free desk; sites are ordered by arrivals so those still busy at step k are a prefix."""
    present, first, end = _bounds(site)
    count = end - first
    by_count = np.argsort(-count, kind="stable")
    first, count = first[by_count], count[by_count]
    servers = desks[present[by_count]]
    free = np.where(np.arange(int(servers.max(initial=1)))[None, :] < servers[:, None], 0.0, np.inf)
    start = np.empty(len(site))
    active = len(count)
    for k in range(int(count.max(initial=0))):
        while active and count[active - 1] <= k:
            active -= 1
        rows = np.arange(active)
        person = first[:active] + k
        desk = np.argmin(free[:active], axis=1)
        begin = np.maximum(minute[person], free[rows, desk])
        free[rows, desk] = begin + service[person]
        start[person] = begin
    return start


def _simpy_starts(site: np.ndarray, minute: np.ndarray, desks: np.ndarray, service: np.ndarray) -> np.ndarray:
    import simpy

    env = simpy.Environment()
    start = np.empty(len(site))

    def person(index: int, desk_pool: simpy.Resource):
        with desk_pool.request() as turn:
            yield turn
            start[index] = env.now
            yield env.timeout(service[index])

    def gate(first: int, end: int, desk_pool: simpy.Resource):
        for index in range(first, end):
            yield env.timeout(minute[index] - env.now)
            env.process(person(index, desk_pool))

    for s, first, end in zip(*_bounds(site), strict=True):
        env.process(gate(int(first), int(end), simpy.Resource(env, capacity=int(desks[s]))))
    env.run()
    return start


def _report(site: np.ndarray, minute: np.ndarray, start: np.ndarray, done: np.ndarray) -> QueueReport:
    present, first, end = _bounds(site)
    if not len(site):
        empty = np.zeros(0)
        return QueueReport(
            present, empty.astype(np.int64), empty, empty, empty.astype(np.int64), empty, 0, 0, 0, 0, empty
        )
    wait = start - minute
    count = end - first
    # Nearest-rank 95th percentile per site: sort waits within each site.
    order = np.lexsort((wait, site))
    rank = first + np.ceil(0.95 * count).astype(np.int64) - 1
    p95 = wait[order][rank]
    max_wait = np.maximum.reduceat(wait, first)
    finish = np.maximum.reduceat(done, first)
    # Waiting right after arrival i = arrivals so far at the site - swabs started by then. Starts are in
    # arrival order (first come, first served), so a site's starts are sorted and searchsorted counts them.
    span = float(done.max()) + 1.0
    rank_of_site = np.repeat(np.arange(len(present)), count)
    started = np.searchsorted(rank_of_site * span + start, rank_of_site * span + minute, side="right")
    queue = (np.arange(len(site)) + 1) - started
    max_queue = np.maximum.reduceat(queue, first)
    overall = np.sort(wait)[math.ceil(0.95 * len(wait)) - 1]
    return QueueReport(
        sites=present,
        persons=count,
        p95_wait=p95,
        max_wait=max_wait,
        max_queue=max_queue,
        finish=finish,
        overall_p95_wait=float(overall),
        overall_mean_wait=float(wait.mean()),
        overall_max_queue=int(max_queue.max()),
        overall_finish=float(finish.max()),
        wait=wait,
    )
