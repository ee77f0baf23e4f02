"""Small synthetic site-planning instances shaped like a city, for the solver's tests and its gap bench."""

from __future__ import annotations

import math

import numpy as np

from gridscreen.planning.defaults import DEFAULTS
from gridscreen.planning.location import Instance


def city_like(committees: int, seed: int, *, compounds: tuple[int, int] = (3, 8), buildings: tuple[int, int] = (4, 20),
              p: int | None = None) -> Instance:  # fmt: skip
    """Committees ~600 m apart, each with `compounds` (a range) of compounds within ~200 m and `buildings`
    of 10–80 people each; candidates: each compound's square and the committee's school yard."""
    rng = np.random.default_rng(seed)
    centres = rng.random((committees, 2)) * 600 * math.sqrt(committees)
    xy, persons, site_xy, desks = [], [], [], []
    for centre in centres:
        for square in centre + rng.normal(0, 200, (int(rng.integers(*compounds)), 2)):
            count = int(rng.integers(*buildings))
            xy.append(square + rng.normal(0, 50, (count, 2)))
            persons.append(rng.integers(10, 80, size=count))
            site_xy.append(square[None])
            desks.append([DEFAULTS.max_desks_compound])
        site_xy.append(centre[None])
        desks.append([DEFAULTS.max_desks_school])
    return Instance.from_defaults(
        np.concatenate(persons), np.concatenate(xy), np.concatenate(site_xy), np.concatenate(desks), p=p
    )
