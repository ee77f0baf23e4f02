"""The synthetic city generator, without a database: shape, census figures, identities and counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridscreen.errors import Invalid
from gridscreen.people.identity import DocumentType, normalise_phone, validate_document, validate_resident_id
from gridscreen.people.models import DoorReason, HouseholdKind
from gridscreen.sim import census
from gridscreen.sim import city as city_module
from gridscreen.sim.city import AREA_COLUMNS, HOUSEHOLD_COLUMNS, PERSON_COLUMNS, generate_city
from gridscreen.sim.plan import MIN_PEOPLE, apportion, plan_city

REF = census.REFERENCE_DATE
CODE_LENGTH = {"city": 6, "district": 6, "subdistrict": 9, "committee": 12, "compound": 14, "building": 17}
PARENT_LEVEL = {
    "district": "city",
    "subdistrict": "district",
    "committee": "subdistrict",
    "compound": "committee",
    "building": "compound",
}


class City:
    """All rows of a generated city as dicts, with the final counts applied (small cities only)."""

    def __init__(self, people: int, seed: int):
        self.areas: dict[int, dict] = {}
        self.households: list[dict] = []
        self.persons: list[dict] = []
        self.blocks: list[tuple] = []
        self.block_areas: list[tuple] = []
        for chunk in generate_city(people, seed):
            for row in chunk.areas:
                area = dict(zip(AREA_COLUMNS, row, strict=True))
                self.areas[area["id"]] = area
            self.households += [dict(zip(HOUSEHOLD_COLUMNS, r, strict=True)) for r in chunk.households]
            self.persons += [dict(zip(PERSON_COLUMNS, r, strict=True)) for r in chunk.persons]
            self.blocks += chunk.blocks
            self.block_areas += chunk.block_areas
            for area_id, *counts in chunk.area_counts:
                self.areas[area_id].update(
                    zip(("residents", "households", "buildings", "door_to_door"), counts, strict=True)
                )

    def level(self, level: str) -> list[dict]:
        return [a for a in self.areas.values() if a["level"] == level]


def age_on(birth: str, day: date = REF) -> int:
    b = date.fromisoformat(birth)
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@pytest.fixture(scope="module")
def city() -> City:
    return City(200_000, seed=2022)


@pytest.fixture(scope="module")
def small() -> City:
    return City(2_000, seed=7)


def test_same_seed_gives_identical_rows_and_another_seed_does_not():
    first = list(generate_city(3_000, 11))
    again = list(generate_city(3_000, 11))
    other = list(generate_city(3_000, 12))
    assert first == again
    assert [c.persons for c in first] != [c.persons for c in other]


def test_full_size_plan_matches_the_census_districts_and_group_totals():
    plan = plan_city(census.CENSUS_TOTAL, 1)
    by_name = {d.fact.name_en: d for d in plan.districts}
    assert [d.population for d in plan.districts] == [d.population for d in census.DISTRICTS]
    assert by_name["Pudong"].population == census.PUDONG_TOTAL
    groups = defaultdict(int)
    for d in plan.districts:
        groups[d.fact.group] += d.population
    assert groups == {
        "central": census.CENTRAL_TOTAL,
        "pudong": census.PUDONG_TOTAL,
        "suburban": census.SUBURBAN_TOTAL,
    }
    assert sum(groups.values()) == census.CENSUS_TOTAL
    assert sum(len(d.subdistricts) for d in plan.districts) == 215
    pudong = by_name["Pudong"].subdistricts
    assert len(pudong) == 36 and sum(not s.town for s in pudong) == 12
    committees = sum(len(s.committees) for d in plan.districts for s in d.subdistricts)
    assert 5_800 <= committees <= 6_200


def test_small_cities_keep_all_districts_and_a_sensible_hierarchy(small: City):
    assert len(small.level("district")) == 16
    for level in ("subdistrict", "committee", "compound", "building"):
        children_of = Counter(a["parent_id"] for a in small.level(level))
        parents = small.level(PARENT_LEVEL[level])
        assert all(children_of[p["id"]] >= 1 for p in parents), f"a {PARENT_LEVEL[level]} without {level}"
    assert all(b["households"] >= 1 for b in small.level("building"))
    assert sum(p["residents"] for p in small.level("district")) == 2_000


def test_committees_keep_a_realistic_size(city: City):
    sizes = [c["residents"] for c in city.level("committee")]
    assert 3_000 <= np.mean(sizes) <= 5_500


def test_district_shares_follow_the_census(city: City):
    counts = Counter(p["district_id"] for p in city.persons)
    for district in city.level("district"):
        fact = next(d for d in census.DISTRICTS if d.code == district["code"])
        share = counts[district["id"]] / len(city.persons)
        assert share == pytest.approx(fact.population / census.CENSUS_TOTAL, rel=0.01)


def test_family_households_average_the_census_size_and_collectives_hold_about_seven_percent(city: City):
    family = [h["residents"] for h in city.households if h["kind"] == HouseholdKind.family]
    collective = [h["residents"] for h in city.households if h["kind"] == HouseholdKind.collective]
    assert np.mean(family) == pytest.approx(2.32, abs=0.03)
    assert sum(collective) / len(city.persons) == pytest.approx(census.COLLECTIVE_SHARE, abs=0.01)
    assert min(collective) >= census.COLLECTIVE_SIZE[0]
    assert sum(h["residents"] for h in city.households) == len(city.persons)


def test_ages_sex_and_registration_match_the_census(city: City):
    ages = np.array([age_on(p["birth_date"]) for p in city.persons])
    assert 100 * np.mean(ages <= 14) == pytest.approx(9.8, abs=1)
    assert 100 * np.mean(ages >= 60) == pytest.approx(23.4, abs=1)
    assert 100 * np.mean(ages >= 65) == pytest.approx(16.3, abs=1)
    assert ages.max() <= census.MAX_AGE and ages.min() >= 0
    assert np.mean([p["sex"] == "M" for p in city.persons]) == pytest.approx(0.518, abs=0.01)
    elsewhere = np.mean([p["registered_elsewhere"] for p in city.persons])
    assert elsewhere == pytest.approx(census.REGISTERED_ELSEWHERE_SHARE, abs=0.015)


def test_every_household_is_headed_by_an_adult(city: City):
    seen = set()
    for p in city.persons:
        if p["household_id"] not in seen:
            seen.add(p["household_id"])
            assert age_on(p["birth_date"]) >= 18


def test_resident_ids_are_valid_and_agree_with_the_person(city: City):
    district_codes = {a["id"]: a["code"] for a in city.level("district")}
    other_regions = {code for code, _ in census.OTHER_REGIONS}
    residents = [p for p in city.persons if p["document_type"] == DocumentType.resident_id]
    assert len(residents) / len(city.persons) > 0.98
    for p in residents:
        parsed = validate_resident_id(p["document_number"], today=REF)
        assert parsed.number == p["document_number"]
        assert parsed.sex == p["sex"]
        assert parsed.birth_date.isoformat() == p["birth_date"]
        if p["registered_elsewhere"]:
            assert parsed.region_code in other_regions
        else:
            assert parsed.region_code == district_codes[p["district_id"]]


def test_foreign_and_hmt_documents_are_valid_and_rare(city: City):
    kinds = Counter(p["document_type"] for p in city.persons)
    n = len(city.persons)
    foreign = kinds[DocumentType.passport] + kinds[DocumentType.foreign_pr]
    assert foreign / n == pytest.approx(census.FOREIGN_SHARE, abs=0.003)
    assert kinds[DocumentType.hmt_permit] / n == pytest.approx(census.HMT_SHARE, abs=0.002)
    for p in city.persons:
        if p["document_type"] != DocumentType.resident_id:
            assert validate_document(p["document_type"], p["document_number"]) == p["document_number"]
            assert p["registered_elsewhere"]


def test_document_numbers_are_unique(city: City):
    numbers = [p["document_number"] for p in city.persons]
    assert None not in numbers
    assert len(set(numbers)) == len(numbers)


def test_phones_are_mobiles_and_small_children_have_none(city: City):
    with_phone = 0
    for p in city.persons:
        if age_on(p["birth_date"]) < 12:
            assert p["phone"] is None
        elif p["phone"] is not None:
            assert normalise_phone(p["phone"]) == p["phone"] and len(p["phone"]) == 11
            with_phone += 1
    adults = sum(age_on(p["birth_date"]) >= 18 for p in city.persons)
    assert with_phone >= 0.85 * adults


def test_door_reasons_follow_age_and_are_rare_otherwise(city: City):
    for p in city.persons:
        age, reasons = age_on(p["birth_date"]), DoorReason(p["door_reasons"])
        assert (DoorReason.very_old in reasons) == (age >= 85)
        assert (DoorReason.infant in reasons) == (age < 1)
        if DoorReason.bedridden in reasons:
            assert age >= 60
    disabled = np.mean([bool(p["door_reasons"] & DoorReason.disabled) for p in city.persons])
    assert disabled == pytest.approx(census.DOOR_DISABLED_SHARE, abs=0.003)


def test_names_are_han_names_with_common_and_compound_surnames(city: City):
    surnames = {s for s, _ in census.SURNAMES}
    chinese = [p["name"] for p in city.persons if p["document_type"] == DocumentType.resident_id]
    assert all(2 <= len(n) <= 4 for n in chinese)
    assert all(n[:1] in surnames or n[:2] in surnames for n in chinese)
    assert any(n.startswith("欧阳") for n in chinese)


def test_area_codes_are_unique_and_hierarchical(city: City):
    codes = [a["code"] for a in city.areas.values()]
    assert len(set(codes)) == len(codes)
    for area in city.areas.values():
        assert len(area["code"]) == CODE_LENGTH[area["level"]]
        if area["level"] == "city":
            assert area["code"] == census.CITY_CODE and area["parent_id"] is None
            continue
        parent = city.areas[area["parent_id"]]
        assert parent["level"] == PARENT_LEVEL[area["level"]]
        if area["level"] != "district":
            assert area["code"].startswith(parent["code"])


def test_ancestor_columns_point_to_the_right_levels(city: City):
    for area in city.areas.values():
        if area["level"] == "city":
            continue
        parent = city.areas[area["parent_id"]]
        expected = {k: parent[k] for k in ("district_id", "subdistrict_id", "committee_id", "compound_id")}
        if parent["level"] != "city":
            expected[f"{parent['level']}_id"] = parent["id"]
        assert {k: area[k] for k in expected} == expected
    building_of = {b["id"]: b for b in city.level("building")}
    for h in city.households:
        assert building_of[h["building_id"]]["committee_id"] == h["committee_id"]
        assert building_of[h["building_id"]]["district_id"] == h["district_id"]


def test_names_follow_the_local_patterns(city: City):
    assert all(s["name"].endswith(("街道", "镇")) for s in city.level("subdistrict"))
    assert all(c["name"].endswith(("居委会", "村委会")) for c in city.level("committee"))
    assert all(c["name"].endswith("小区") for c in city.level("compound"))
    assert all(b["name"].endswith("号楼") for b in city.level("building"))
    assert all(h["unit"].endswith("单元") and h["room"].isdigit() for h in city.households)
    rooms = Counter((h["building_id"], h["unit"], h["room"]) for h in city.households)
    assert max(rooms.values()) == 1


def test_kept_counts_equal_the_rows_at_every_level(city: City):
    expected: dict[int, Counter] = defaultdict(Counter)
    building_of = {b["id"]: b for b in city.level("building")}
    household_building = {}
    for h in city.households:
        household_building[h["id"]] = h["building_id"]
    for b in building_of.values():
        for area_id in _self_and_ancestors(city, b):
            expected[area_id]["buildings"] += 1
    for h in city.households:
        for area_id in _self_and_ancestors(city, building_of[h["building_id"]]):
            expected[area_id]["households"] += 1
    for p in city.persons:
        for area_id in _self_and_ancestors(city, building_of[household_building[p["household_id"]]]):
            expected[area_id]["residents"] += 1
            expected[area_id]["door_to_door"] += p["door_reasons"] != 0
    for area in city.areas.values():
        counts = {k: area[k] for k in ("residents", "households", "buildings", "door_to_door")}
        assert counts == {k: expected[area["id"]][k] for k in counts}, area["code"]


def _self_and_ancestors(city: City, area: dict) -> list[int]:
    chain = [area["id"]]
    while area["parent_id"] is not None:
        area = city.areas[area["parent_id"]]
        chain.append(area["id"])
    return chain


def test_blocks_cover_every_district_exactly_once(city: City):
    codes = {block_id: code for block_id, code, *_ in city.blocks}
    assert sorted(codes.values()) == ["east", "west"]
    districts = {a["id"]: a["name_en"] for a in city.level("district")}
    member = Counter(area_id for _, area_id in city.block_areas)
    assert set(member) == set(districts) and set(member.values()) == {1}
    east = {districts[a] for b, a in city.block_areas if codes[b] == "east"}
    assert east == {"Pudong", "Fengxian", "Jinshan"}


def test_coordinates_stay_near_their_district(city: City):
    centre = {a["id"]: (a["lat"], a["lon"]) for a in city.level("district")}
    radius = {
        a["id"]: next(d.radius_km for d in census.DISTRICTS if d.code == a["code"]) for a in city.level("district")
    }
    for b in city.level("building"):
        lat, lon = centre[b["district_id"]]
        km = np.hypot((b["lat"] - lat) * 111.2, (b["lon"] - lon) * 111.2 * np.cos(np.radians(lat)))
        assert km <= radius[b["district_id"]] * 1.6 + 1


def test_a_city_too_small_or_too_big_is_refused():
    with pytest.raises(Invalid):
        plan_city(10, 1)
    with pytest.raises(Invalid):
        next(generate_city(10**9, 1))


@given(
    total=st.integers(0, 10**6),
    weights=st.lists(st.floats(0.01, 100), min_size=1, max_size=40),
    minimum=st.integers(0, 3),
)
def test_apportion_adds_up_and_stays_proportional(total: int, weights: list[float], minimum: int):
    if total < minimum * len(weights):
        with pytest.raises(ValueError):
            apportion(total, weights, minimum)
        return
    parts = apportion(total, weights, minimum)
    assert parts.sum() == total and (parts >= minimum).all()
    share = np.array(weights) / sum(weights)
    plain, floored = share * total, share * (total - minimum * len(weights)) + minimum
    assert min(np.abs(parts - plain).max(), np.abs(parts - floored).max()) < 1 + 1e-6


@settings(max_examples=15, deadline=None)
@given(people=st.integers(MIN_PEOPLE, 6_000), seed=st.integers(0, 2**32 - 1))
def test_any_small_city_adds_up(people: int, seed: int):
    areas, persons, households = [], 0, 0
    for chunk in generate_city(people, seed):
        areas += chunk.areas
        persons += len(chunk.persons)
        households += len(chunk.households)
    assert persons == people
    assert len({a[3] for a in areas}) == len(areas)
    districts = [a for a in areas if a[2] == "district"]
    assert len(districts) == 16


def test_rows_do_not_depend_on_how_they_are_chunked(monkeypatch: pytest.MonkeyPatch):
    def flat(chunks):
        out = {"areas": [], "households": [], "persons": []}
        for chunk in chunks:
            for key, rows in out.items():
                rows += getattr(chunk, key)
        return out

    whole = flat(generate_city(30_000, 3))
    monkeypatch.setattr(city_module, "PERSONS_PER_CHUNK", 1_000)
    chunks = list(generate_city(30_000, 3))
    assert max(len(c.persons) for c in chunks) < 1_100
    assert flat(chunks) == whole
