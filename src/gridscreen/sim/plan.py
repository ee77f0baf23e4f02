"""The shape of the synthetic city: how many districts, subdistricts and committees, and how big.

Pure and deterministic for (people, seed). The census facts fix the full-size city; smaller cities keep all
16 districts and committees of about 4,000 residents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gridscreen.errors import Invalid
from gridscreen.sim import census

MIN_PEOPLE = 500
MAX_PEOPLE = 100_000_000
KM_PER_DEGREE = 111.2


class CitySizeInvalid(Invalid):
    def __init__(self, people: int):
        super().__init__(
            "a city needs between {low} and {high} people, not {people}",
            low=MIN_PEOPLE,
            high=MAX_PEOPLE,
            people=people,
        )


@dataclass(frozen=True, slots=True)
class SubdistrictPlan:
    index: int
    code: str
    name: str
    name_en: str
    town: bool
    lat: float
    lon: float
    radius_km: float
    committees: tuple[int, ...]  # the population of each committee


@dataclass(frozen=True, slots=True)
class DistrictPlan:
    index: int
    fact: census.District
    population: int
    subdistricts: tuple[SubdistrictPlan, ...]


@dataclass(frozen=True, slots=True)
class CityPlan:
    people: int
    seed: int
    districts: tuple[DistrictPlan, ...]


def apportion(total: int, weights: Sequence[float] | np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split an integer total in proportion to weights (largest remainder), each part at least `minimum`."""
    w = np.asarray(weights, dtype=float)
    if total < minimum * len(w):
        raise ValueError(f"cannot give {len(w)} parts at least {minimum} out of {total}")
    parts = _largest_remainder(total, w)
    if parts.min() >= minimum:
        return parts  # plain proportional split: integer weights summing to total come back unchanged
    return _largest_remainder(total - minimum * len(w), w) + minimum


def _largest_remainder(total: int, w: np.ndarray) -> np.ndarray:
    exact = w / w.sum() * total
    parts = np.floor(exact).astype(np.int64)
    short = total - int(parts.sum())
    parts[np.argsort(-(exact - parts), kind="stable")[:short]] += 1
    return parts


def scatter(rng: np.random.Generator, lat: float, lon: float, radius_km: float, n: int) -> tuple[list, list]:
    r = radius_km * np.sqrt(rng.random(n))
    angle = rng.random(n) * 2 * math.pi
    lats = lat + r * np.cos(angle) / KM_PER_DEGREE
    lons = lon + r * np.sin(angle) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return np.round(lats, 6).tolist(), np.round(lons, 6).tolist()


_SYLLABLES = [s for s, _ in census.PLACE_SYLLABLES]
_PINYIN = [p for _, p in census.PLACE_SYLLABLES]


def place_names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """n two-syllable place names (Chinese, pinyin), distinct while there are enough to go round."""
    k = len(_SYLLABLES)
    pairs = k * (k - 1)
    picks = rng.choice(pairs, size=n, replace=n > pairs)
    first, second = picks // (k - 1), picks % (k - 1)
    second = second + (second >= first)
    return [
        (_SYLLABLES[a] + _SYLLABLES[b], _PINYIN[a] + _PINYIN[b].lower()) for a, b in zip(first, second, strict=True)
    ]


def check_city_size(people: int) -> None:
    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise CitySizeInvalid(people)


def plan_city(people: int, seed: int) -> CityPlan:
    """The hierarchy shape for a city of `people`: all 16 districts, committees of ~4,000 people."""
    check_city_size(people)
    rng = np.random.default_rng([seed, 0])
    populations = apportion(people, [d.population for d in census.DISTRICTS], minimum=1)
    # Subdistricts shrink with the square root of the scale so that small test cities keep a few per
    # district (something to group by) while committees keep a realistic size.
    breadth = math.sqrt(people / census.CENSUS_TOTAL)
    names = iter(place_names(rng, sum(d.subdistricts + d.towns for d in census.DISTRICTS)))
    districts = []
    for index, (fact, population) in enumerate(zip(census.DISTRICTS, populations.tolist(), strict=True)):
        real = fact.subdistricts + fact.towns
        n_committees = max(1, round(population / census.PERSONS_PER_COMMITTEE))
        n_sub = min(real, n_committees, max(1, round(real * breadth)))
        n_streets = min(n_sub, round(n_sub * fact.subdistricts / real))
        sub_populations = apportion(population, rng.gamma(4.0, size=n_sub), minimum=1)
        committees = apportion(n_committees, sub_populations, minimum=1)
        radius = fact.radius_km / math.sqrt(n_sub)
        lats, lons = scatter(rng, fact.lat, fact.lon, fact.radius_km * 0.75, n_sub)
        subs = []
        for s in range(n_sub):
            town = s >= n_streets
            name, name_en = next(names)
            sizes = apportion(int(sub_populations[s]), rng.gamma(6.0, size=int(committees[s])), minimum=1)
            subs.append(
                SubdistrictPlan(
                    index=s,
                    code=f"{fact.code}{(s - n_streets + 101) if town else (s + 1):03d}",
                    name=name + ("镇" if town else "街道"),
                    name_en=f"{name_en} {'Town' if town else 'Subdistrict'}",
                    town=town,
                    lat=lats[s],
                    lon=lons[s],
                    radius_km=radius,
                    committees=tuple(sizes.tolist()),
                )
            )
        districts.append(DistrictPlan(index, fact, population, tuple(subs)))
    return CityPlan(people, seed, tuple(districts))


def scatter_around(rng: np.random.Generator, lats: np.ndarray, lons: np.ndarray, radius_km: float) -> tuple[list, list]:
    n = len(lats)
    r = radius_km * np.sqrt(rng.random(n))
    angle = rng.random(n) * 2 * math.pi
    out_lat = lats + r * np.cos(angle) / KM_PER_DEGREE
    out_lon = lons + r * np.sin(angle) / (KM_PER_DEGREE * np.cos(np.radians(lats)))
    return np.round(out_lat, 6).tolist(), np.round(out_lon, 6).tolist()
