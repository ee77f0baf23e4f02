"""Arrival slots: when each building's residents are asked to come to their site. Pure: no database.

Each site's buildings are taken in order and poured into consecutive slots (30 minutes by default), each slot
holding at most what the site's desks swab in it at the planned utilisation, so arrivals never outrun the
desks. A building too big for what is left of a slot continues in the next one (by unit or floor, in
practice), so a notice may give a building two or more slots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridscreen.errors import Invalid
from gridscreen.planning.defaults import DEFAULTS

__all__ = ["Slots", "SlotsInvalid", "plan_slots", "slot_capacity"]


class SlotsInvalid(Invalid):
    def __init__(self, problem: str):
        super().__init__("arrival slots cannot be planned: {problem}", problem=problem)


@dataclass(frozen=True, eq=False)
class Slots:
    """Slot pieces: `persons` of building `point` come to `site` in slot number `slot` (from the window
    start). Pieces are sorted by site, then slot."""

    point: np.ndarray
    site: np.ndarray
    slot: np.ndarray
    persons: np.ndarray
    capacity: np.ndarray  # (m,) persons per slot at each site
    slot_minutes: float
    window_minutes: float

    @property
    def start_minute(self) -> np.ndarray:
        return self.slot * self.slot_minutes

    def end_minute(self) -> np.ndarray:
        """(m,) end of each site's last slot, minutes from the window start (0 where nobody comes)."""
        out = np.zeros(len(self.capacity))
        np.maximum.at(out, self.site, (self.slot + 1) * self.slot_minutes)
        return out

    def overrun_sites(self) -> np.ndarray:
        """Sites whose slots run past the window: they need more desks (or a longer window)."""
        return np.flatnonzero(self.end_minute() > self.window_minutes + 1e-9)

    def per_slot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(site, slot, persons) summed per slot."""
        key = self.site.astype(np.int64) * (int(self.slot.max(initial=0)) + 1) + self.slot
        keys, inverse = np.unique(key, return_inverse=True)
        total = np.bincount(inverse, weights=self.persons).astype(np.int64)
        width = int(self.slot.max(initial=0)) + 1
        return keys // width, keys % width, total


def slot_capacity(
    desks: np.ndarray,
    *,
    swabs_per_desk_hour: float = DEFAULTS.swabs_per_desk_hour_pooled,
    slot_minutes: float = DEFAULTS.slot_minutes,
    utilisation: float = DEFAULTS.utilisation,
) -> np.ndarray:
    """Whole persons each site can take per slot; arrivals at this rate stay under the desks' own."""
    exact = np.asarray(desks, dtype=float) * swabs_per_desk_hour * slot_minutes / 60.0 * utilisation
    return np.floor(exact + 1e-9).astype(np.int64)


def plan_slots(
    persons: np.ndarray,
    site: np.ndarray,
    desks: np.ndarray,
    *,
    order: np.ndarray | None = None,
    swabs_per_desk_hour: float = DEFAULTS.swabs_per_desk_hour_pooled,
    slot_minutes: float = DEFAULTS.slot_minutes,
    utilisation: float = DEFAULTS.utilisation,
    window_hours: float = DEFAULTS.window_hours,
) -> Slots:
    """Slots for every building with people and a site (site -1: none; such buildings get no slot).
    Buildings go in `order` (a sort key; default: their index, which keeps a compound's buildings
    together) within each site."""
    persons = np.asarray(persons, dtype=np.int64)
    site = np.asarray(site, dtype=np.int64)
    capacity = slot_capacity(
        desks, swabs_per_desk_hour=swabs_per_desk_hour, slot_minutes=slot_minutes, utilisation=utilisation
    )
    chosen = np.flatnonzero((site >= 0) & (persons > 0))
    starved = np.unique(site[chosen][capacity[site[chosen]] <= 0])
    if len(starved):
        raise SlotsInvalid(f"{len(starved)} site(s) have people but no desk, e.g. site {int(starved[0])}")
    key = chosen if order is None else np.asarray(order)[chosen]
    chosen = chosen[np.lexsort((chosen, key, site[chosen]))]
    s, p = site[chosen], persons[chosen]
    cumulative = np.cumsum(p)
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))[: len(s)]
    first = cumulative - p  # persons of the same site before this building
    first -= np.repeat(first[starts], np.diff(np.append(starts, len(s))))
    last = first + p  # exclusive
    c = capacity[s]
    # Person x of a site (0-based, in building order) comes in slot x // c.
    k0, k1 = first // c, (last - 1) // c
    pieces = k1 - k0 + 1
    owner = np.repeat(np.arange(len(chosen)), pieces)
    slot = np.repeat(k0, pieces) + (np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces))
    lo = np.maximum(first[owner], slot * c[owner])
    hi = np.minimum(last[owner], (slot + 1) * c[owner])
    return Slots(
        point=chosen[owner],
        site=s[owner],
        slot=slot,
        persons=hi - lo,
        capacity=capacity,
        slot_minutes=float(slot_minutes),
        window_minutes=float(window_hours) * 60.0,
    )
