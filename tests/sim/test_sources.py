"""The noisy source lists of the synthetic city: deterministic, truthful about who is who, and noisy as documented."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from gridscreen.people.identity import InvalidDocument, validate_resident_id
from gridscreen.roster.documents import excel_prefix
from gridscreen.roster.normalise import normalise_name
from gridscreen.sim.sources import RECORD_SCHEMA, SOURCE_KINDS, TRUTH_SCHEMA, Noise, generate_sources


@pytest.fixture(scope="module")
def lists():
    batches = list(generate_sources(6_000, 21))
    records = pa.concat_tables([b.records for b in batches])
    truth = pa.concat_tables([b.truth for b in batches])
    persons = pa.concat_tables([b.persons for b in batches])
    return records, truth, persons


def test_the_same_seed_gives_the_same_lists_and_another_seed_other_lists(lists):
    again = pa.concat_tables([b.records for b in generate_sources(6_000, 21)])
    other = pa.concat_tables([b.records for b in generate_sources(6_000, 22)])
    assert again.equals(lists[0])
    assert not other.equals(lists[0])


def test_every_record_has_a_unique_id_and_a_true_person(lists):
    records, truth, persons = lists
    assert records.schema == RECORD_SCHEMA and truth.schema == TRUTH_SCHEMA
    ids = records.column("record_id").to_pylist()
    assert len(set(ids)) == len(ids) == truth.num_rows
    assert truth.column("record_id").to_pylist() == ids
    assert set(truth.column("person_id").to_pylist()) <= set(persons.column("person_id").to_pylist())


def test_all_four_lists_are_there_in_realistic_proportions(lists):
    records, _, persons = lists
    kinds = Counter(records.column("source_kind").to_pylist())
    assert set(kinds) == set(SOURCE_KINDS)
    people = persons.num_rows
    assert 0.85 < kinds["registry"] / people < 0.97
    assert 0.9 < kinds["sweep"] / people < 1.05
    assert 2.5 < records.num_rows / people < 3.2


def test_some_residents_are_on_no_list_and_some_only_at_the_door(lists):
    records, truth, persons = lists
    sources: dict[int, set[str]] = {}
    for person, kind in zip(
        truth.column("person_id").to_pylist(), records.column("source_kind").to_pylist(), strict=True
    ):
        sources.setdefault(person, set()).add(kind)
    absent = pc.sum(persons.column("absent")).as_py()
    # the absent, plus the odd resident the lists happened to miss
    assert absent > 0 and persons.num_rows - len(sources) >= absent
    door_only = [p for p, s in sources.items() if s == {"sweep"}]
    assert len(door_only) >= pc.sum(persons.column("door_only")).as_py()
    not_at_door = [p for p, s in sources.items() if "sweep" not in s]
    assert len(not_at_door) > 0


def test_duplicates_inside_a_source_are_there(lists):
    records, truth, _ = lists
    pairs = Counter(zip(records.column("source_kind").to_pylist(), truth.column("person_id").to_pylist(), strict=True))
    twice = Counter(kind for (kind, _), n in pairs.items() if n > 1)
    assert twice["telecom"] > 0 and twice["sweep"] > 0


def _invalid(number: str | None) -> bool:
    try:
        validate_resident_id(number)
    except InvalidDocument:
        return True
    return False


def test_the_sweep_is_noisier_than_the_registry(lists):
    records, truth, _ = lists
    rows = records.to_pylist()
    by_kind = {
        k: [r for r in rows if r["source_kind"] == k and r["document_type"] == "resident_id"] for k in SOURCE_KINDS
    }
    missing = {k: sum(r["document_number"] is None for r in v) / len(v) for k, v in by_kind.items()}
    assert missing["registry"] == 0 and missing["sweep"] > 0.05
    wrong = {
        k: sum(r["document_number"] is not None and _invalid(r["document_number"]) for r in v)
        for k, v in by_kind.items()
    }
    assert wrong["sweep"] > wrong["registry"]
    assert any(excel_prefix(r["document_number"]) for r in by_kind["sweep"] if r["document_number"])


def test_names_get_typos_homophones_and_traditional_characters(lists):
    records, truth, _ = lists
    true_name: dict[int, str] = {}
    for row, person in zip(records.to_pylist(), truth.column("person_id").to_pylist(), strict=True):
        if row["source_kind"] == "registry":
            true_name.setdefault(person, row["name"])
    changed = simplified_back = 0
    for row, person in zip(records.to_pylist(), truth.column("person_id").to_pylist(), strict=True):
        name = true_name.get(person)
        if name and row["name"] != name and not name.isascii():
            changed += 1
            simplified_back += normalise_name(row["name"]) == name
    assert changed > 50 and 0 < simplified_back < changed


def test_registered_addresses_are_often_not_where_people_live(lists):
    records, truth, _ = lists
    building: dict[tuple[str, int], int] = {}
    for row, person in zip(records.to_pylist(), truth.column("person_id").to_pylist(), strict=True):
        if row["source_kind"] in ("registry", "sweep") and row["building_id"] is not None:
            building[(row["source_kind"], person)] = row["building_id"]
    both = [p for (k, p) in building if k == "sweep" and ("registry", p) in building]
    moved = sum(building[("registry", p)] != building[("sweep", p)] for p in both) / len(both)
    assert 0.3 < moved < 0.7


def _names_differing(noise: Noise | None) -> int:
    batches = list(generate_sources(1_000, 3, noise))
    records = pa.concat_tables([b.records for b in batches])
    truth = pa.concat_tables([b.truth for b in batches])
    names: dict[int, set[str]] = {}
    for name, person in zip(records.column("name").to_pylist(), truth.column("person_id").to_pylist(), strict=True):
        names.setdefault(person, set()).add(name)
    return sum(len(v) > 1 for v in names.values())


def test_less_noise_means_fewer_errors():
    quiet = Noise(name_typo=(0, 0, 0, 0), homophone=(0, 0, 0, 0), traditional=(0, 0, 0, 0), name_format=(0, 0, 0, 0))
    assert _names_differing(quiet) * 5 < _names_differing(None)
