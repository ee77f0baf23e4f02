"""The synthetic city as a stream of rows: pure (no database), deterministic for (people, seed).

`plan_city` fixes the shape (districts, subdistricts, committee sizes) from the census facts, scaled to
the number of people. `generate_city` then streams `Chunk`s: first the city, its districts and the blocks,
then per subdistrict its areas followed by its households and persons (explicit ids), at most
PERSONS_PER_CHUNK persons per chunk, and last the counts of the areas that were sent before their contents
were known. One subdistrict is held as NumPy columns (~100 bytes a person); row tuples exist a chunk at a
time.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from gridscreen.areas.models import Level
from gridscreen.people.models import HouseholdKind
from gridscreen.sim import census
from gridscreen.sim.plan import (
    CityPlan,
    DistrictPlan,
    SubdistrictPlan,
    apportion,
    place_names,
    plan_city,
    scatter,
    scatter_around,
)
from gridscreen.sim.residents import PERSON_COLUMNS, Residents, lookup

__all__ = [
    "AREA_COLUMNS",
    "BLOCK_AREA_COLUMNS",
    "BLOCK_COLUMNS",
    "COUNT_COLUMNS",
    "HOUSEHOLD_COLUMNS",
    "PERSON_COLUMNS",
    "Chunk",
    "generate_city",
]


AREA_COLUMNS = (
    "id",
    "parent_id",
    "level",
    "code",
    "name",
    "name_en",
    "lat",
    "lon",
    "district_id",
    "subdistrict_id",
    "committee_id",
    "compound_id",
    "residents",
    "households",
    "buildings",
    "door_to_door",
)
HOUSEHOLD_COLUMNS = ("id", "building_id", "committee_id", "district_id", "unit", "room", "kind", "residents")
BLOCK_COLUMNS = ("id", "code", "name", "name_en", "start_date", "end_date")
BLOCK_AREA_COLUMNS = ("block_id", "area_id")
COUNT_COLUMNS = ("id", "residents", "households", "buildings", "door_to_door")


@dataclass(slots=True)
class Chunk:
    """Rows to insert in this order: blocks, areas, block_areas, households, persons; then area_counts."""

    areas: list[tuple] = field(default_factory=list)  # AREA_COLUMNS, parents before children
    households: list[tuple] = field(default_factory=list)  # HOUSEHOLD_COLUMNS
    persons: list[tuple] = field(default_factory=list)  # PERSON_COLUMNS
    blocks: list[tuple] = field(default_factory=list)  # BLOCK_COLUMNS
    block_areas: list[tuple] = field(default_factory=list)  # BLOCK_AREA_COLUMNS
    area_counts: list[tuple] = field(default_factory=list)  # COUNT_COLUMNS: final counts of earlier areas


class _Ids:
    def __init__(self) -> None:
        self.area = 1
        self.household = 1
        self.person = 1

    def take_areas(self, n: int) -> int:
        first, self.area = self.area, self.area + n
        return first


def generate_city(people: int, seed: int) -> Iterator[Chunk]:
    """Stream the whole city as chunks of rows (see Chunk); identical rows for identical arguments."""
    plan = plan_city(people, seed)
    ids = _Ids()
    city_id = ids.take_areas(1)
    district_ids = [ids.take_areas(1) for _ in plan.districts]
    yield _top_chunk(plan, city_id, district_ids)

    totals = np.zeros((len(plan.districts), 4), dtype=np.int64)
    residents = Residents()
    for dp, district_id in zip(plan.districts, district_ids, strict=True):
        for sp in dp.subdistricts:
            totals[dp.index] += yield from _subdistrict_chunks(plan.seed, dp, sp, district_id, ids, residents)
    city = totals.sum(axis=0)
    yield Chunk(
        area_counts=[(city_id, *city.tolist())]
        + [(i, *row) for i, row in zip(district_ids, totals.tolist(), strict=True)]
    )


def _top_chunk(plan: CityPlan, city_id: int, district_ids: list[int]) -> Chunk:
    chunk = Chunk()
    none4 = (None, None, None, None)
    chunk.areas.append(
        (city_id, None, Level.city.value, census.CITY_CODE, census.CITY_NAME, census.CITY_NAME_EN)
        + (census.CITY_LAT, census.CITY_LON, *none4, 0, 0, 0, 0)
    )
    for dp, area_id in zip(plan.districts, district_ids, strict=True):
        d = dp.fact
        chunk.areas.append(
            (
                area_id,
                city_id,
                Level.district.value,
                d.code,
                d.name,
                d.name_en,
                d.lat,
                d.lon,
                *none4,
                0,
                0,
                0,
                0,
            )
        )
    for block_id, block in enumerate(census.BLOCKS, start=1):
        start, end = block.start_date.isoformat(), block.end_date.isoformat()
        chunk.blocks.append((block_id, block.code, block.name, block.name_en, start, end))
        chunk.block_areas.extend(
            (block_id, area_id)
            for dp, area_id in zip(plan.districts, district_ids, strict=True)
            if dp.fact.block == block.code
        )
    return chunk


_FAMILY_SIZES = np.arange(1, len(census.FAMILY_SIZE_SHARES) + 1)
_FAMILY_P = np.asarray(census.FAMILY_SIZE_SHARES) / sum(census.FAMILY_SIZE_SHARES)
# Shared texts: every "3号楼" or "1单元" in the city is the same object.
_UNITS = [f"{u}单元" for u in range(1, 100)]
_KINDS = [HouseholdKind.family.value, HouseholdKind.collective.value]
_MAX_ROOM = 100 * 100
_ROOMS = [str(r) for r in range(_MAX_ROOM)]
_CODE3 = [f"{j:03d}" for j in range(1000)]
_BUILDING_NAMES = [f"{j}号楼" for j in range(1000)]
_BUILDING_NAMES_EN = [f"Building {j}" for j in range(1000)]
FLATS_PER_UNIT = 60  # 30 floors of two flats
PERSONS_PER_CHUNK = 100_000  # bounds memory: a big subdistrict has ~400,000 people


def _cut(draws: np.ndarray, total: int) -> np.ndarray:
    """The shortest prefix of positive draws summing to at least total, its last part trimmed to hit it."""
    cumulative = np.cumsum(draws)
    n = int(np.searchsorted(cumulative, total))
    parts = draws[: n + 1].copy()
    parts[n] = total - (cumulative[n - 1] if n else 0)
    return parts


def _household_sizes(rng: np.random.Generator, population: int) -> tuple[np.ndarray, np.ndarray]:
    """(family household sizes, collective household sizes) for a committee, summing to population."""
    low, high = census.COLLECTIVE_SIZE
    collective = int(rng.binomial(population, census.COLLECTIVE_SHARE))
    if collective < low or collective >= population:
        collective = 0
    groups = np.zeros(0, dtype=np.int64)
    if collective:
        groups = _cut(rng.integers(low, high + 1, size=collective // low + 1), collective)
        if len(groups) > 1 and groups[-1] < low:  # too small for a dormitory: join the smallest other one
            groups[np.argmin(groups[:-1])] += groups[-1]
            groups = groups[:-1]
    family = population - collective
    draws = rng.choice(_FAMILY_SIZES, size=int(family / 2.32 * 1.2) + 8, p=_FAMILY_P)
    return _cut(draws, family), groups


def _subdistrict_chunks(
    seed: int, dp: DistrictPlan, sp: SubdistrictPlan, district_id: int, ids: _Ids, residents: Residents
) -> Generator[Chunk, None, np.ndarray]:
    """The subdistrict's areas, then its households and persons a slice at a time; returns its counts."""
    rng = np.random.default_rng([seed, 1, dp.index, sp.index])
    n_committees = len(sp.committees)
    village = sp.town & (rng.random(n_committees) < census.VILLAGE_SHARE_IN_TOWNS)

    # The dwellings: per committee, households split into compounds, compounds into buildings. Arrays
    # are indexed over the whole subdistrict; households stay sorted by building.
    sizes, collective, hh_building, building_compound, compound_committee = [], [], [], [], []
    n_buildings = n_compounds = 0
    for c, population in enumerate(sp.committees):
        family, groups = _household_sizes(rng, population)
        n_family = len(family)
        k = min(int(rng.integers(3, 11)), max(1, n_family // 15))
        per_compound = apportion(n_family, rng.gamma(3.0, size=k), minimum=1)
        target = rng.integers(3, 9, size=k) if village[c] else rng.integers(12, 61, size=k)
        per_building_count = np.clip(-(-per_compound // target), 1, 999)
        compound_of = np.repeat(np.arange(k), per_compound)
        local = np.arange(n_family) - (np.cumsum(per_compound) - per_compound)[compound_of]
        first_building = np.cumsum(per_building_count) - per_building_count
        building_of = first_building[compound_of] + local * per_building_count[compound_of] // per_compound[compound_of]
        compounds_of_buildings = np.repeat(np.arange(k), per_building_count)
        total_buildings = int(per_building_count.sum())
        if len(groups):  # one dormitory / care-home building in the last compound
            building_of = np.concatenate([building_of, np.full(len(groups), total_buildings)])
            compounds_of_buildings = np.append(compounds_of_buildings, k - 1)
            total_buildings += 1
        sizes += [family, groups]
        collective += [np.zeros(n_family, dtype=bool), np.ones(len(groups), dtype=bool)]
        hh_building.append(building_of + n_buildings)
        building_compound.append(compounds_of_buildings + n_compounds)
        compound_committee.append(np.full(k, c))
        n_buildings += total_buildings
        n_compounds += k
    sizes = np.concatenate(sizes).astype(np.int64)
    collective = np.concatenate(collective)
    hh_building = np.concatenate(hh_building)
    building_compound = np.concatenate(building_compound)
    compound_committee = np.concatenate(compound_committee)
    building_committee = compound_committee[building_compound]
    hh_committee = building_committee[hh_building]
    n_households = len(sizes)

    sub_id = ids.take_areas(1)
    committee_ids = ids.take_areas(n_committees) + np.arange(n_committees)
    compound_ids = ids.take_areas(n_compounds) + np.arange(n_compounds)
    building_ids = ids.take_areas(n_buildings) + np.arange(n_buildings)
    household_ids = ids.household + np.arange(n_households)
    ids.household += n_households
    people = residents.draw(rng, district=dp.index, sizes=sizes, collective=collective)
    first_person = ids.person
    ids.person += len(people)
    unit, room = _flats(rng, hh_building, village[building_committee])
    door = people.door != 0

    # Counts per building, rolled up to compounds, committees and the subdistrict.
    person_building = np.repeat(hh_building, sizes)
    per_building = np.stack(
        [
            np.bincount(hh_building, weights=sizes, minlength=n_buildings),
            np.bincount(hh_building, minlength=n_buildings),
            np.ones(n_buildings),
            np.bincount(person_building, weights=door, minlength=n_buildings),
        ],
        axis=1,
    ).astype(np.int64)
    per_compound = np.stack(
        [np.bincount(building_compound, weights=col, minlength=n_compounds) for col in per_building.T], axis=1
    ).astype(np.int64)
    per_committee = np.stack(
        [np.bincount(compound_committee, weights=col, minlength=n_committees) for col in per_compound.T],
        axis=1,
    ).astype(np.int64)
    sub_counts = per_committee.sum(axis=0)

    areas: list[tuple] = []
    areas.append(
        (
            sub_id,
            district_id,
            Level.subdistrict.value,
            sp.code,
            sp.name,
            sp.name_en,
            sp.lat,
            sp.lon,
            district_id,
        )
        + (None, None, None, *sub_counts.tolist())
    )
    committee_names = place_names(rng, n_committees)
    committee_codes = [f"{sp.code}{c + 1:03d}" for c in range(n_committees)]
    lats, lons = scatter(rng, sp.lat, sp.lon, sp.radius_km, n_committees)
    for c in range(n_committees):
        (name, name_en), is_village = committee_names[c], bool(village[c])
        areas.append(
            (int(committee_ids[c]), sub_id, Level.committee.value, committee_codes[c])
            + (
                name + ("村委会" if is_village else "居委会"),
                f"{name_en} {'Village' if is_village else 'Residents'} Committee",
            )
            + (lats[c], lons[c], district_id, sub_id, None, None, *per_committee[c].tolist())
        )
    compound_names = place_names(rng, n_compounds)
    compound_local = np.arange(n_compounds) - np.searchsorted(compound_committee, compound_committee)
    committee_lat, committee_lon = np.array(lats), np.array(lons)
    clats, clons = scatter_around(rng, committee_lat[compound_committee], committee_lon[compound_committee], 0.35)
    compound_codes = [
        f"{committee_codes[c]}{j + 1:02d}"
        for c, j in zip(compound_committee.tolist(), compound_local.tolist(), strict=True)
    ]
    committee_id_list = committee_ids.tolist()
    for i, c in enumerate(compound_committee.tolist()):
        name, name_en = compound_names[i]
        areas.append(
            (
                int(compound_ids[i]),
                committee_id_list[c],
                Level.compound.value,
                compound_codes[i],
                name + "小区",
            )
            + (f"{name_en} Compound", clats[i], clons[i], district_id, sub_id, committee_id_list[c], None)
            + tuple(per_compound[i].tolist())
        )
    building_local = (np.arange(n_buildings) - np.searchsorted(building_compound, building_compound) + 1).tolist()
    blats, blons = scatter_around(rng, np.array(clats)[building_compound], np.array(clons)[building_compound], 0.08)
    compound_id_of = compound_ids[building_compound].tolist()
    areas.extend(
        zip(
            building_ids.tolist(),
            compound_id_of,
            repeat(Level.building.value),
            [compound_codes[c] + _CODE3[j] for c, j in zip(building_compound.tolist(), building_local, strict=True)],
            [_BUILDING_NAMES[j] for j in building_local],
            [_BUILDING_NAMES_EN[j] for j in building_local],
            blats,
            blons,
            repeat(district_id),
            repeat(sub_id),
            committee_ids[building_committee].tolist(),
            compound_id_of,
            *per_building.T.tolist(),
        )
    )
    # Rows a slice at a time: tuples take ~5x the memory of the columns they come from.
    hh_committee_ids, hh_building_ids = committee_ids[hh_committee], building_ids[hh_building]
    person_end = np.cumsum(sizes)
    cuts = np.searchsorted(person_end, np.arange(PERSONS_PER_CHUNK, len(people), PERSONS_PER_CHUNK)) + 1
    bounds = np.unique(np.r_[0, cuts, n_households]).tolist()
    for h0, h1 in zip(bounds[:-1], bounds[1:], strict=True):
        p0, p1 = int(person_end[h0 - 1]) if h0 else 0, int(person_end[h1 - 1])
        households = list(
            zip(
                household_ids[h0:h1].tolist(),
                hh_building_ids[h0:h1].tolist(),
                hh_committee_ids[h0:h1].tolist(),
                repeat(district_id),
                lookup(_UNITS, unit[h0:h1]),
                lookup(_ROOMS, room[h0:h1]),
                lookup(_KINDS, collective[h0:h1].view(np.int8)),
                sizes[h0:h1].tolist(),
            )
        )
        persons = people.rows(
            p0,
            p1,
            first_id=first_person,
            district_id=district_id,
            household_ids=household_ids,
            household_committees=hh_committee_ids,
        )
        yield Chunk(areas=areas if h0 == 0 else [], households=households, persons=persons)
    return sub_counts


def _flats(
    rng: np.random.Generator, hh_building: np.ndarray, building_village: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Unit and room number of each household: two flats per floor, one unit for a village house."""
    n_buildings = len(building_village)
    per_building = np.bincount(hh_building, minlength=n_buildings)
    units = np.where(building_village, 1, np.minimum(rng.integers(1, 5, size=n_buildings), per_building))
    units = np.maximum(units, -(-per_building // FLATS_PER_UNIT))  # big dormitories get more units
    per_unit = -(-per_building // units)
    position = np.arange(len(hh_building)) - (np.cumsum(per_building) - per_building)[hh_building]
    unit = position // per_unit[hh_building]
    in_unit = position - unit * per_unit[hh_building]
    return unit, (in_unit // 2 + 1) * 100 + in_unit % 2 + 1
