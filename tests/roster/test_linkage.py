"""Reconciliation end to end on a small synthetic city and on a non-Chinese list: what a user relies on."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from gridscreen.errors import Invalid
from gridscreen.roster.linkage import (
    Decision,
    FieldSpec,
    LinkageConfig,
    guard_weights,
    link_strongest_first,
    reconcile,
)
from gridscreen.sim.sources import RECORD_SCHEMA, generate_sources

TODAY = date(2022, 4, 1)
CONFIG = LinkageConfig(today=TODAY, u_max_pairs=1e6)


def _city(people: int, seed: int) -> tuple[pa.Table, pa.Table]:
    batches = list(generate_sources(people, seed))
    return pa.concat_tables([b.records for b in batches]), pa.concat_tables([b.truth for b in batches])


def _f1(clusters: pa.Table, truth: pa.Table) -> float:
    con = duckdb.connect()
    con.register("c", clusters)
    con.register("t", truth)
    tp, predicted, true = con.execute("""
        WITH j AS (SELECT person_key, person_id FROM c JOIN t USING (record_id))
        SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY person_key, person_id)),
               (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY person_key)),
               (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY person_id))""").fetchall()[0]
    return 2 * tp / (predicted + true)


def _extra(records: pa.Table, rows: list[dict]) -> pa.Table:
    first = max(records.column("record_id").to_pylist()) + 1
    for k, row in enumerate(rows):
        row.setdefault("record_id", first + k)
    return pa.concat_tables([records, pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)])


@pytest.fixture(scope="module")
def city():
    records, truth = _city(4_000, 5)
    registry = records.filter(pa.compute.equal(records.column("source_kind"), "registry")).to_pylist()
    han = [r for r in registry if r["document_type"] == "resident_id" and len(r["name"]) == 3 and r["phone"]]
    twin = next(r for r in han if _traditional(r["name"]) != r["name"])
    typo, excel = han[20], next(r for r in han[30:] if not r["document_number"].endswith("000"))
    number = typo["document_number"]
    wrong = number[:12] + str((int(number[12]) + 5) % 10) + number[13:]
    extra = [
        # a sweep record of `twin` in traditional characters, no ID number, the same phone and birth date
        {**twin, "source_kind": "sweep", "name": _traditional(twin["name"]), "document_number": None},
        # a rental record of `typo` with one wrong digit in the ID and nothing else to go by but the name
        {**typo, "source_kind": "rental", "document_number": wrong, "phone": None, "birth_date": None,
         "address": None, "building_id": None, "committee_id": None, "district_id": None},
        # a sweep record of `excel` whose ID went through Excel
        {**excel, "source_kind": "sweep", "document_number": excel["document_number"][:15] + "000", "phone": None,
         "birth_date": None},
    ]  # fmt: skip
    records = _extra(records, [{k: v for k, v in e.items() if k != "record_id"} for e in extra])
    added = records.column("record_id").to_pylist()[-3:]
    result = reconcile(records, config=CONFIG)
    key = _keys(result)
    return {"records": records, "truth": truth, "result": result, "key": key, "added": added,
            "originals": [twin["record_id"], typo["record_id"], excel["record_id"]]}  # fmt: skip


def _keys(result) -> dict[int, int]:
    clusters = result.clusters()
    return dict(zip(clusters.column("record_id").to_pylist(), clusters.column("person_key").to_pylist(), strict=True))


def _traditional(name: str) -> str:
    from opencc import OpenCC

    return OpenCC("s2t").convert(name)


def test_the_synthetic_city_reconciles_almost_perfectly(city):
    assert _f1(city["result"].clusters(), city["truth"]) > 0.998


def test_a_traditional_character_name_links_to_its_simplified_twin(city):
    twin, original = city["added"][0], city["originals"][0]
    assert city["key"][twin] == city["key"][original]


def test_an_id_with_one_wrong_digit_links_through_its_repair(city):
    assert city["key"][city["added"][1]] == city["key"][city["originals"][1]]


def test_an_excel_mangled_id_links_to_the_person(city):
    assert city["key"][city["added"][2]] == city["key"][city["originals"][2]]


def test_every_record_belongs_to_exactly_one_person_who_keeps_its_id(city):
    persons = city["result"].persons().to_pylist()
    ids = [r for p in persons for r in p["record_ids"]]
    assert sorted(ids) == sorted(city["records"].column("record_id").to_pylist())
    assert all(p["person_key"] == min(p["record_ids"]) for p in persons)


def test_near_matches_never_get_negative_weight(city):
    weights = city["result"].weights
    assert weights, "the model reports its weights"
    for w in weights:
        if w.level.endswith(" *"):
            assert w.weight >= 0, w
    by_comparison: dict[str, list[float]] = {}
    for w in weights:  # reported least similar first
        by_comparison.setdefault(w.comparison, []).append(w.weight)
    for comparison, levels in by_comparison.items():
        assert levels == sorted(levels), comparison


def test_a_level_splink_never_saw_gets_its_u_from_the_data_not_a_default():
    model = {"comparisons": [{"output_column_name": "phone", "comparison_levels": [
        {"sql_condition": "phone_l IS NULL", "is_null_level": True, "label_for_charts": "missing"},
        {"sql_condition": "phone_l = phone_r", "label_for_charts": "same *", "m_probability": 0.9,
         "u_probability": 1e-5},
        # what Splink leaves for a level absent from its random sample: no u (it would then use a default)
        {"sql_condition": "hamming(phone_l, phone_r) <= 1", "label_for_charts": "one typo *", "m_probability": 0.01},
        {"sql_condition": "ELSE", "label_for_charts": "different", "m_probability": 0.09, "u_probability": 0.99},
    ]}]}  # fmt: skip
    fixed, report = guard_weights(model, sample_pairs=1e6)
    typo = next(w for w in report if w.level == "one typo *")
    assert typo.u == pytest.approx(1e-6) and typo.weight > 0 and "random sample" in typo.adjusted


def _edges(*rows: tuple[int, int, int, float]) -> list[pa.RecordBatch]:
    kind, a, b, p = zip(*rows, strict=True)
    return [pa.record_batch([list(kind), list(a), list(b), list(a), list(b), list(p)],
                            names=["kind", "a", "b", "l", "r", "p"])]  # fmt: skip


def test_linking_never_joins_two_documents_of_one_kind_unless_a_clerk_says_so():
    # Nodes 0 and 1 hold two resident IDs, node 2 none, nodes 3 and 4 two more IDs.
    docs, kinds = np.array([10, 11, -1, 12, 13]), np.array([1, 1, 0, 1, 1])
    roots, refused = link_strongest_first(
        docs, kinds, _edges((0, 3, 4, 1.0), (2, 0, 2, 0.99), (2, 2, 1, 0.95), (2, 3, 2, 0.91)), apart=[]
    )
    assert roots[3] == roots[4]  # the clerk's link holds both IDs
    assert roots[0] == roots[2] != roots[1]  # 2 went with the stronger link; 1 would bring a second ID
    assert roots[3] != roots[0]
    assert refused == [(2, 1, 0.95), (3, 2, 0.91)]


def test_linking_respects_a_clerks_rejection_through_other_links():
    docs, kinds = np.full(3, -1), np.zeros(3, dtype=np.int8)
    roots, refused = link_strongest_first(docs, kinds, _edges((2, 0, 1, 0.99), (2, 1, 2, 0.98)), apart=[(0, 2)])
    assert roots[0] == roots[1] != roots[2]
    assert refused == [(1, 2, 0.98)]


def test_review_queue_holds_the_uncertain_pairs(city):
    review = city["result"].review.to_pylist()
    for pair in review:
        assert pair["reason"] in ("uncertain", "conflict")
        if pair["reason"] == "uncertain":
            assert CONFIG.review_low <= pair["probability"] < CONFIG.review_high


def test_clerks_decisions_are_respected():
    records, _ = _city(2_500, 9)
    first = reconcile(records, config=CONFIG)
    persons = [p for p in first.persons().to_pylist() if len(p["record_ids"]) >= 3]
    split_a, split_b = persons[0]["record_ids"][:2]
    join_a, join_b = persons[1]["record_ids"][0], persons[2]["record_ids"][0]
    decisions = [Decision(split_a, split_b, same=False), Decision(join_a, join_b, same=True)]
    second = reconcile(records, decisions=decisions, config=CONFIG)
    key = _keys(second)
    assert key[split_a] != key[split_b]
    assert key[join_a] == key[join_b]
    decided = {(d.record_a, d.record_b) for d in decisions}
    assert not decided & {(p["record_a"], p["record_b"]) for p in second.review.to_pylist()}


def test_repeated_record_ids_are_refused():
    rows = [
        {"record_id": 1, "source_kind": "sweep", "name": "张伟"},
        {"record_id": 1, "source_kind": "sweep", "name": "李娜"},
    ]
    with pytest.raises(Invalid):
        reconcile(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA), config=CONFIG)


FORENAMES = ["Anna", "Lukas", "Marie", "Jonas", "Sophie", "Felix", "Emma", "Paul", "Lena", "Max", "Mia", "Leon",
             "Hannah", "Noah", "Lea", "Elias", "Clara", "Ben"]  # fmt: skip
SURNAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
            "Koch", "Richter", "Wolf"]  # fmt: skip


def test_a_non_chinese_field_spec_works():
    rng = random.Random(3)
    people, rows = [], []
    for _ in range(900):
        people.append((rng.choice(FORENAMES), rng.choice(SURNAMES), f"C{rng.randrange(10**8):08d}",
                       date(1940 + rng.randrange(70), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                       f"+49 30 {rng.randrange(10**7):07d}"))  # fmt: skip
    for pid, (fore, sur, passport, born, tel) in enumerate(people):
        rows.append({"id": len(rows), "pid": pid, "src": "register", "surname": sur, "forename": fore,
                     "passport": passport, "dob": born.isoformat(), "tel": tel})  # fmt: skip
        if rng.random() < 0.8:
            fore2 = fore[:-1] if rng.random() < 0.1 else fore.upper()  # a dropped letter, or capitals
            sur2 = sur.replace("ü", "ue") if rng.random() < 0.1 else sur
            tel2 = tel.replace(" ", "") if rng.random() < 0.7 else None
            rows.append({"id": len(rows), "pid": pid, "src": "survey", "surname": sur2, "forename": fore2,
                         "passport": None if rng.random() < 0.4 else passport, "dob": born.strftime("%Y/%m/%d"),
                         "tel": tel2})  # fmt: skip
    table = pa.Table.from_pylist(rows)
    spec = FieldSpec(
        record_id="id", source_kind="src", name="forename", family_name="surname", document_type=None,
        document_number="passport", phone="tel", birth_date="dob", sex=None, address=None, address_parts=None,
        areas=(), door_sources=("survey",), default_document_type="passport", checked_document_types=(),
    )  # fmt: skip
    result = reconcile(table.drop_columns(["pid"]), spec=spec, config=CONFIG)
    truth = pa.table({"record_id": table.column("id"), "person_id": table.column("pid")})
    assert _f1(result.clusters(), truth) > 0.99
