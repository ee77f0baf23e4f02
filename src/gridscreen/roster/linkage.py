"""Roster reconciliation: which source records are one person. Pure: DuckDB in-process, no gridscreen database.

1. `normalise_records` puts every record in comparable form (names through pinyin, documents validated,
   repaired or un-Excelled, phones, birth dates, addresses).
2. Deterministic passes: records with the same valid document of a checked kind (one with a check
   character, so two valid numbers are two persons) are one person, an "anchor" group; records agreeing on
   phone, name and birth date are linked.
3. Splink (DuckDB) scores the candidate pairs that can still change the answer: one side without a valid
   checked document, or two kinds of document. Blocking is city-wide (half the residents live away from where they
   are registered) on keys specific enough to keep the pairs a small multiple of those records.
4. Clustering takes links strongest first and never puts two different documents of one kind, or a pair a
   clerk rejected, into one person; pairs a clerk accepted are linked first. Uncertain pairs go to review.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from gridscreen.roster.normalise import FieldSpec, normalise_records, write_arrow

__all__ = ["Decision", "FieldSpec", "LevelWeight", "LinkageConfig", "Reconciliation", "reconcile"]


@dataclass(frozen=True, slots=True)
class LinkageConfig:
    link_threshold: float = 0.9  # a scored pair at or above this links, unless a constraint forbids it
    review_low: float = 0.2  # pairs scored in [review_low, review_high) go to the review queue
    review_high: float = 0.99
    u_max_pairs: float = 5e6  # random pairs sampled to estimate u
    em_max_pairs: float = 5e5  # blocked pairs per EM session
    # Every level keeps at least this m: lists have errors training never shows (EM on records sharing an ID
    # finds no birth date disagreeing, and would make one such disagreement outweigh everything else).
    min_m: float = 1e-3
    seed: int = 2022
    today: date | None = None  # for "birth date in the future"; default today


@dataclass(frozen=True, slots=True)
class Decision:
    """A clerk's answer about two records: `same` True forces a link, False forbids one."""

    record_a: int
    record_b: int
    same: bool


@dataclass(frozen=True, slots=True)
class LevelWeight:
    comparison: str
    level: str
    m: float
    u: float
    weight: float  # log2(m / u)
    adjusted: str = ""  # what guard_weights changed, and why


@dataclass
class Reconciliation:
    """Left in `con`: table gs_cluster (record_id, person_key: the smallest record_id of the person) and view
    gs_person (person_key, record_ids, sources, at_door). `review`: pairs for a clerk."""

    con: duckdb.DuckDBPyConnection
    review: pa.Table  # record_a, record_b, probability, linked, reason ("uncertain" / "conflict")
    weights: list[LevelWeight] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)

    def clusters(self) -> pa.Table:
        return self.con.sql("SELECT record_id, person_key FROM gs_cluster ORDER BY record_id").to_arrow_table()

    def persons(self) -> pa.Table:
        return self.con.sql("SELECT * FROM gs_person ORDER BY person_key").to_arrow_table()

    def not_at_door(self) -> pa.Table:
        """Persons on some list whom no door-to-door record found: the door-knock list."""
        return self.con.sql("SELECT * FROM gs_person WHERE NOT at_door ORDER BY person_key").to_arrow_table()


def reconcile(
    records: pa.Table | duckdb.DuckDBPyRelation | str,
    *,
    spec: FieldSpec | None = None,
    decisions: Iterable[Decision] = (),
    config: LinkageConfig | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Reconciliation:
    """Link source records into persons. `records`: an Arrow table, a DuckDB relation (read through Arrow),
    or the name of a table in `con` (the way for lists larger than memory). Work tables (gs_*) go to `con`'s
    default database: in memory is fastest, and DuckDB spills to its temp_directory beyond memory_limit."""
    spec, config = spec or FieldSpec(), config or LinkageConfig()
    con = con or duckdb.connect()
    source = records if isinstance(records, str) else "gs_input"
    if not isinstance(records, str):
        con.register("gs_input", records if isinstance(records, pa.Table) else records.to_arrow_table())
    clock = [time.perf_counter()]

    def lap() -> float:
        clock.append(time.perf_counter())
        return clock[-1] - clock[-2]

    normalise_records(con, source, spec, today=config.today)
    seconds = {"normalise_s": lap()}
    pairs = block(con)
    seconds["block_s"] = lap()
    weights = score(con, config, pairs)
    seconds["score_s"] = lap()
    _decisions(con, list(decisions))
    cluster(con, spec, config)
    review = _review(con, config)
    seconds["cluster_s"] = lap()
    names = ("records", "anchored_records", "candidate_pairs", "scored_pairs", "persons", "not_at_door")
    row = con.execute("""SELECT (SELECT count(*) FROM gs_rec), (SELECT count(*) FROM gs_rec WHERE doc_key IS NOT NULL),
        (SELECT count(*) FROM gs_pairs), (SELECT count(*) FROM gs_scored), (SELECT persons FROM gs_door),
        (SELECT not_at_door FROM gs_door)""").fetchall()[0]
    return Reconciliation(con, review, weights, dict(zip(names, map(float, row), strict=True)) | seconds)


# Candidate pairs: the left side is only records that may still join someone (no valid checked document),
# pairs inside one anchor group are left out (already one person), and the keys are specific: a block is a
# person's few records and the odd namesake.
_RULES = (
    "a.birth8 = b.birth8 AND a.name_key = b.name_key",
    "a.birth8 = b.birth8 AND a.phone = b.phone",
    "a.name_key = b.name_key AND a.phone = b.phone",
    "a.family_key = b.family_key AND a.phone = b.phone",
    "a.birth8 = b.birth8 AND a.family_key = b.family_key AND a.building_key = b.building_key",
    "a.name_key = b.name_key AND a.building_key = b.building_key",
    "a.doc_prefix = b.doc_head",  # Excel kept 15 digits: region, birth date and one more
    "a.doc_any = b.doc_any",  # the same invalid number on two lists
    "a.repair = b.doc_key",  # a one-character repair of an invalid ID is someone's valid ID
)


def block(con: duckdb.DuckDBPyConnection) -> str:
    """gs_pairs(match_key, join_key_l, join_key_r): each candidate pair once, lower idx on the left."""
    con.execute("CREATE OR REPLACE TABLE gs_left AS SELECT * FROM gs_rec WHERE anchor IS NULL")
    con.execute("""CREATE OR REPLACE TABLE gs_repair AS
                   SELECT *, unnest(repairs) AS repair FROM gs_left WHERE repairs IS NOT NULL""")
    selects = [
        f"""SELECT least(a.idx, b.idx) AS l, greatest(a.idx, b.idx) AS r, {k} AS rule
            FROM {"gs_repair" if "repair" in on else "gs_left"} a JOIN gs_rec b ON {on}
            WHERE a.idx <> b.idx AND NOT coalesce(a.anchor = b.anchor AND a.doc_key = b.doc_key, false)
              AND (a.anchor IS NULL OR b.anchor IS NULL OR a.anchor <> b.anchor)"""
        for k, on in enumerate(_RULES)
    ]
    con.execute(f"""CREATE OR REPLACE TABLE gs_pairs AS
        SELECT CAST(min(rule) AS VARCHAR) AS match_key, l AS join_key_l, r AS join_key_r
        FROM ({" UNION ALL ".join(selects)}) GROUP BY l, r""")
    con.execute("DROP TABLE gs_left; DROP TABLE gs_repair")
    return "gs_pairs"


def _level(sql: str, label: str, near: bool = False) -> dict:
    return {"sql_condition": sql, "label_for_charts": label + (" *" if near else "")}


def _null(*columns: str) -> dict:
    either = " OR ".join(" AND ".join(f"{c}_{side} IS NULL" for c in columns) for side in "lr")
    return {"sql_condition": either, "label_for_charts": "missing", "is_null_level": True}


def _else() -> dict:
    return _level("ELSE", "different")


def _one_typo(column: str) -> str:
    # One substituted character. DuckDB's damerau_levenshtein costs ~10 us a pair, hamming 0.1 us; the CASE
    # keeps hamming away from strings of unequal length, which it refuses.
    return f"CASE WHEN length({column}_l) = length({column}_r) THEN hamming({column}_l, {column}_r) <= 1 ELSE false END"


def comparisons(n_areas: int) -> list[dict]:
    """The model's comparisons; levels marked " *" are agreement or near-agreement and may never weigh
    against a link (see guard_weights)."""
    areas = [_level(f"area{k}_l = area{k}_r", f"same area{k}") for k in range(1, n_areas)]
    swap = "left(birth8_l, 4) = left(birth8_r, 4) AND substr(birth8_l, 5, 2) = substr(birth8_r, 7, 2)"
    swap += " AND substr(birth8_l, 7, 2) = substr(birth8_r, 5, 2)"  # day and month the other way round

    def repaired(a: str, b: str) -> str:
        return f"list_contains(repairs_{a}, doc_key_{b})"

    levels = {
        "name": [_null("name_key"), _level("name_text_l = name_text_r", "same", True),
                 _level("name_key_l = name_key_r", "same reading", True),
                 _level("jaro_winkler_similarity(name_key_l, name_key_r) >= 0.92", "similar reading", True),
                 _level("family_key_l = family_key_r OR given_key_l = given_key_r", "one part the same"), _else()],
        "birth": [_null("birth8"), _level("birth8_l = birth8_r", "same", True),
                  _level(f"hamming(birth8_l, birth8_r) <= 1 OR ({swap})", "one typo", True),
                  _level("left(birth8_l, 4) = left(birth8_r, 4)", "same year"), _else()],
        "document": [_null("doc_any"), _level("doc_any_l = doc_any_r", "same", True),
                     _level(f"{repaired('l', 'r')} OR {repaired('r', 'l')}", "repairs to", True),
                     _level("doc_prefix_l = doc_head_r OR doc_prefix_r = doc_head_l", "Excel-mangled", True),
                     _level(_one_typo("doc_any"), "one typo", True), _else()],
        "phone": [_null("phone"), _level("phone_l = phone_r", "same", True),
                  _level(_one_typo("phone"), "one typo", True), _else()],
        "sex": [_null("sex"), _level("sex_l = sex_r", "same", True), _else()],
        "address": [_null("building_key", *(f"area{k}" for k in range(n_areas))),
                    _level("building_key_l = building_key_r AND room_l = room_r AND coalesce(unit_l = unit_r, true)",
                           "same flat", True),
                    _level("building_key_l = building_key_r OR area0_l = area0_r", "same building", True),
                    *areas, _else()],
    }  # fmt: skip
    return [{"output_column_name": name, "comparison_levels": lv} for name, lv in levels.items()]


def score(con: duckdb.DuckDBPyConnection, config: LinkageConfig, pairs: str) -> list[LevelWeight]:
    """Train the Splink model on all records, guard its weights, score `pairs` into gs_scored(l, r, p)."""
    n_areas = len([c for c in con.sql("SELECT * FROM gs_rec LIMIT 0").columns if c.startswith("area")])
    columns = "idx, name_text, name_key, family_key, given_key, doc_key, doc_any, repairs, doc_prefix, doc_head, "
    columns += "phone, birth8, sex, building_key, unit, room" + "".join(f", area{k}" for k in range(n_areas))
    con.execute(f"CREATE OR REPLACE VIEW gs_model_input AS SELECT {columns} FROM gs_rec")
    # The prior from the anchors: pairs sharing a valid document, scaled up for records without one.
    n, anchored, same = con.execute("""SELECT sum(n), sum(n) FILTER (WHERE doc_key IS NOT NULL),
        sum(n * (n - 1) / 2) FILTER (WHERE doc_key IS NOT NULL)
        FROM (SELECT doc_key, count(*) AS n FROM gs_rec
              GROUP BY doc_type, doc_key, CASE WHEN doc_key IS NULL THEN idx END)""").fetchall()[0]
    prior = min(max((same or 1) / max(anchored or 1, 1) ** 2 * n**2 / max(n * (n - 1) / 2, 1), 1e-9), 0.5)
    db_api = DuckDBAPI(con)
    settings = SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="idx", comparisons=comparisons(n_areas),
        probability_two_random_records_match=prior, retain_matching_columns=False,
    )  # fmt: skip
    linker = Linker(db_api.register("gs_model_input"), settings, log_level=None)
    # Splink warns about every level EM never met; guard_weights deals with those and reports them.
    splink_log, level = logging.getLogger("splink"), logging.getLogger("splink").level
    splink_log.setLevel(logging.ERROR)
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
        for rule in (block_on("doc_key"), block_on("birth8", "family_key")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=config.em_max_pairs)
    finally:
        splink_log.setLevel(level)
    trained = linker.misc.save_model_to_json()
    model, weights = guard_weights(trained, sample_pairs=config.u_max_pairs, min_m=config.min_m)
    linker = Linker(db_api.register("gs_model_input", table_name="gs_model_input_trained"), model, log_level=None)
    linker.table_management.register_blocked_pairs_for_predict(db_api.register(pairs, table_name="gs_pairs_in"))
    predicted = linker.inference.predict(threshold_match_probability=config.review_low, warning_mode="never")
    con.execute(f"""CREATE OR REPLACE TABLE gs_scored AS
                    SELECT idx_l AS l, idx_r AS r, match_probability AS p FROM {predicted.physical_name}""")
    predicted.drop_table_from_database_and_remove_from_cache()
    _drop_splink_tables(con)
    return weights


def _drop_splink_tables(con: duckdb.DuckDBPyConnection) -> None:
    # Training leaves its blocked pairs and comparison vectors behind: memory the later stages can use.
    leftovers = con.execute("""SELECT schema_name, table_name FROM duckdb_tables()
        WHERE database_name = current_database() AND starts_with(table_name, '__splink__')""").fetchall()
    for schema, table in leftovers:
        con.execute(f'DROP TABLE "{schema}"."{table}"')


def guard_weights(model: dict, *, sample_pairs: float, min_m: float = 1e-3) -> tuple[dict, list[LevelWeight]]:
    """Repair what Splink's training can leave wrong. A level never met in the random sample gets no u and
    Splink then falls back to a default u, which can make a near-match count against a link: such a u is
    set from the data instead (below 1 in `sample_pairs`). No m stays below `min_m`. Then, level by level
    from the least similar up, a more similar level never weighs less than a less similar one, and
    agreement levels (" *") never weigh below zero. Returns the model and a report, least similar first."""
    report = []
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        notes = [""] * len(levels)
        observed_m = [lv["m_probability"] for lv in levels if lv.get("m_probability")] or [0.5]
        for k, lv in enumerate(levels):
            if not lv.get("u_probability"):
                lv["u_probability"], notes[k] = 1.0 / sample_pairs, "u: never in the random sample"
            if not lv.get("m_probability"):
                lv["m_probability"] = min(observed_m)
                notes[k] = (notes[k] + "; " if notes[k] else "") + "m: never in training"
            if lv["m_probability"] < min_m:
                notes[k] = (notes[k] + "; " if notes[k] else "") + f"m {lv['m_probability']:.1e} raised to {min_m:g}"
                lv["m_probability"] = min_m
        floor = -math.inf
        for k in range(len(levels) - 1, -1, -1):
            lv = levels[k]
            weight = math.log2(lv["m_probability"] / lv["u_probability"])
            bound = max(floor, 0.0) if lv["label_for_charts"].endswith(" *") else floor
            if weight < bound:
                lv["u_probability"] = lv["m_probability"] / 2**bound
                notes[k] = (notes[k] + "; " if notes[k] else "") + f"u raised weight {weight:.2f} -> {bound:.2f}"
                weight = bound
            floor = max(floor, weight)
            report.append(LevelWeight(comparison["output_column_name"], lv["label_for_charts"],
                                      lv["m_probability"], lv["u_probability"], weight, notes[k]))  # fmt: skip
    return model, report


def _decisions(con: duckdb.DuckDBPyConnection, decisions: list[Decision]) -> None:
    schema = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("same", pa.bool_())])
    columns = [[d.record_a for d in decisions], [d.record_b for d in decisions], [d.same for d in decisions]]
    write_arrow(con, "gs_decision_in", pa.table(columns, schema=schema), create=True)
    # A pair decided both ways keeps "not the same": a wrong merge hides a person, a wrong split does not.
    con.execute("""CREATE OR REPLACE TABLE gs_decision AS
        SELECT least(x.idx, y.idx) AS l, greatest(x.idx, y.idx) AS r, bool_and(d.same) AS same
        FROM gs_decision_in d JOIN gs_rec x ON x.record_id = d.a JOIN gs_rec y ON y.record_id = d.b
        WHERE x.idx <> y.idx GROUP BY 1, 2""")


def cluster(con: duckdb.DuckDBPyConnection, spec: FieldSpec, config: LinkageConfig) -> None:
    """gs_cluster and gs_person from the anchor groups, the phone + name + birth date pass, the scored pairs
    and the decisions: union-find over the groups and records that have any link, strongest link first."""
    # A rejected pair inside one document group (an ID written on someone else's record) splits the group:
    # its records become nodes of their own, joined back by edges that the rejection can refuse.
    con.execute("""CREATE OR REPLACE TABLE gs_split AS SELECT DISTINCT x.anchor AS doc_type, x.doc_key
        FROM gs_decision d JOIN gs_rec x ON x.idx = d.l JOIN gs_rec y ON y.idx = d.r
        WHERE NOT d.same AND x.doc_key = y.doc_key AND x.anchor = y.anchor""")
    # Only the records at the end of some link need their node; those sharing a phone, name and birth date
    # matter only where they are not already one document group.
    con.execute(f"""CREATE OR REPLACE TABLE gs_edge AS
        SELECT 0 AS kind, l, r, 1.0 AS p FROM gs_decision WHERE same
        UNION ALL SELECT 1, min(r.idx) OVER (PARTITION BY r.anchor, r.doc_key), r.idx, 1.0
            FROM gs_rec r SEMI JOIN gs_split s ON s.doc_type = r.anchor AND s.doc_key = r.doc_key
        UNION ALL SELECT 1, first, idx, 1.0 FROM (
            SELECT idx, min(idx) OVER (PARTITION BY phone, name_text, birth8) AS first FROM gs_rec
            SEMI JOIN (SELECT phone, name_text, birth8 FROM gs_rec
                       WHERE phone IS NOT NULL AND name_text IS NOT NULL AND birth8 IS NOT NULL GROUP BY ALL
                       HAVING count(DISTINCT coalesce(anchor || chr(31) || doc_key, CAST(idx AS VARCHAR))) > 1) k
            USING (phone, name_text, birth8)) WHERE first <> idx
        UNION ALL SELECT 2, s.l, s.r, s.p FROM gs_scored s ANTI JOIN gs_decision d ON d.l = s.l AND d.r = s.r
            WHERE s.p >= {config.link_threshold}""")
    _nodes(con, spec)
    # The union-find works on dense numbers of the nodes at the end of some link or decision (gs_end), so
    # its arrays are sized by the links, not by the city.
    con.execute("""CREATE OR REPLACE TABLE gs_end AS SELECT idx, node, doc, doc_kind FROM gs_node
        SEMI JOIN (SELECT l AS idx FROM gs_edge UNION SELECT r FROM gs_edge UNION SELECT l FROM gs_decision
                   UNION SELECT r FROM gs_decision) e USING (idx)""")
    con.execute("""CREATE OR REPLACE TABLE gs_end_node AS SELECT node, doc, doc_kind,
        row_number() OVER (ORDER BY node) - 1 AS k FROM (SELECT DISTINCT node, doc, doc_kind FROM gs_end)""")
    con.execute("""CREATE OR REPLACE TABLE gs_end AS SELECT e.idx, n.k FROM gs_end e JOIN gs_end_node n USING (node)""")
    # 32-bit (an idx beyond 2^31 would fail the cast, not wrap): these arrays are the union-find's memory.
    ends = con.sql("SELECT doc::INTEGER AS doc, doc_kind::TINYINT AS doc_kind FROM gs_end_node ORDER BY k").fetchnumpy()
    apart = con.execute("""SELECT x.k, y.k FROM gs_decision d JOIN gs_end x ON x.idx = d.l
                           JOIN gs_end y ON y.idx = d.r WHERE NOT d.same""").fetchall()
    sql = """SELECT e.kind, x.k, y.k, e.l, e.r, e.p FROM gs_edge e JOIN gs_end x ON x.idx = e.l
             JOIN gs_end y ON y.idx = e.r WHERE x.k <> y.k ORDER BY e.kind, e.p DESC, e.l, e.r"""
    edges = con.cursor().sql(sql).to_arrow_reader(200_000)
    roots, refused = link_strongest_first(ends["doc"], ends["doc_kind"], edges, apart)
    del ends
    write_arrow(con, "gs_root_k", pa.table({"k": np.arange(len(roots), dtype=np.int32), "root": roots}), create=True)
    del roots
    con.execute("""CREATE OR REPLACE TABLE gs_root AS SELECT n.node, r.node AS root
        FROM gs_root_k m JOIN gs_end_node n ON n.k = m.k JOIN gs_end_node r ON r.k = m.root WHERE m.k <> m.root""")
    pairs = pa.schema([("l", pa.int64()), ("r", pa.int64()), ("p", pa.float64())])
    columns = [[e[k] for e in refused] for k in range(3)]
    write_arrow(con, "gs_refused", pa.table(columns, schema=pairs), create=True)
    con.execute("""CREATE OR REPLACE TABLE gs_cluster AS SELECT idx, record_id, source_kind,
        min(record_id) OVER (PARTITION BY person) AS person_key
        FROM (SELECT n.idx, n.record_id, n.source_kind, coalesce(m.root, n.node) AS person
              FROM gs_node n LEFT JOIN gs_root m USING (node))""")
    door = ", ".join(map(_sql_text, spec.door_sources)) or "NULL"
    # A view: the lists cost more than the clustering at city scale, and most callers want a few persons.
    con.execute(f"""CREATE OR REPLACE VIEW gs_person AS SELECT person_key,
        list(record_id ORDER BY record_id) AS record_ids, list(DISTINCT source_kind ORDER BY source_kind) AS sources,
        bool_or(source_kind IN ({door})) AS at_door FROM gs_cluster GROUP BY person_key""")
    con.execute(f"""CREATE OR REPLACE TABLE gs_door AS SELECT count(*) AS persons,
        count(*) FILTER (WHERE NOT at_door) AS not_at_door
        FROM (SELECT bool_or(source_kind IN ({door})) AS at_door FROM gs_cluster GROUP BY person_key)""")
    for table in ("gs_node", "gs_end", "gs_end_node", "gs_edge", "gs_root_k", "gs_root", "gs_split"):
        con.execute(f"DROP TABLE {table}")


def _nodes(con: duckdb.DuckDBPyConnection, spec: FieldSpec) -> None:
    """gs_node(idx, record_id, source_kind, node, doc, doc_kind): every record's node as an integer. `doc`
    names a valid checked document by the first idx that has it (-1 for none), `doc_kind` its kind (1-based
    place in spec.checked_document_types, 0 for none). A node is its document group (`doc`), or the record
    alone (`idx`) when it has no such document or its group was split. Integers, not text keys: at city
    scale these tables and the union-find hold tens of millions of them."""
    kinds = ", ".join(map(_sql_text, spec.checked_document_types))
    con.execute(f"""CREATE OR REPLACE TABLE gs_node AS
        SELECT r.idx, r.record_id, r.source_kind,
            CASE WHEN g.doc IS NULL OR s.doc_key IS NOT NULL THEN r.idx ELSE g.doc END AS node,
            coalesce(g.doc, -1) AS doc, coalesce(list_position([{kinds}]::VARCHAR[], r.anchor), 0) AS doc_kind
        FROM gs_rec r
        LEFT JOIN (SELECT anchor, doc_key, min(idx) AS doc FROM gs_rec WHERE anchor IS NOT NULL GROUP BY ALL) g
            ON g.anchor = r.anchor AND g.doc_key = r.doc_key
        LEFT JOIN gs_split s ON s.doc_type = r.anchor AND s.doc_key = r.doc_key""")


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def link_strongest_first(
    docs: np.ndarray, doc_kinds: np.ndarray, edges: Iterable[pa.RecordBatch], apart: Iterable[tuple[int, int]]
) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Union-find over nodes 0..n-1. `docs`, `doc_kinds`: each node's valid checked document (kind 0: none).
    `edges`: batches of (kind, a, b, l, r, p), strongest first; kind 0 is a clerk's link, which may join two
    documents of one kind; a machine link never does. `apart`: node pairs a clerk rejected, never joined.
    Returns every node's root, and the refused links as (l, r, p)."""
    parent_array = np.arange(len(docs), dtype=np.int32)
    # A root's documents: the one (kind, doc) in these arrays for nearly every root; only a root that a
    # clerk's links gave several documents keeps them in `several`. Memoryviews give Python ints fast.
    root_doc_array, root_kind_array = docs.astype(np.int32), doc_kinds.astype(np.int8)
    parent, root_doc, root_kind = memoryview(parent_array), memoryview(root_doc_array), memoryview(root_kind_array)
    several: dict[int, tuple[tuple[int, int], ...]] = {}
    cannot: dict[int, set[int]] = {}  # root -> nodes it must not join (clerks' rejections)
    for a, b in apart:
        cannot.setdefault(a, set()).add(b)
        cannot.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = x = parent[parent[x]]
        return x

    def documents(root: int) -> tuple[tuple[int, int], ...]:
        return several.get(root) or (((root_kind[root], root_doc[root]),) if root_kind[root] else ())

    refused = []
    for batch in edges:
        for kind, na, nb, left, right, p in zip(*(c.to_pylist() for c in batch.columns), strict=True):
            a, b = find(na), find(nb)
            if a == b:
                continue
            docs_a, docs_b = documents(a), documents(b)
            # Clerks' rejections always hold; two documents of one checked kind only bind machine links.
            conflict = kind and any(t == u and g != h for t, g in docs_a for u, h in docs_b)
            if conflict or any(find(x) == b for x in cannot.get(a, ())):
                refused.append((left, right, p))
                continue
            parent[b] = a
            joined = tuple(dict.fromkeys(docs_a + docs_b))
            several.pop(b, None)
            if len(joined) > 1:
                several[a] = joined
            elif joined:
                root_kind[a], root_doc[a] = joined[0]
            cannot.setdefault(a, set()).update(cannot.pop(b, ()))
    # Every node straight to its root: pointer jumping, a few passes over the array.
    roots = parent_array
    while not np.array_equal(jumped := roots[roots], roots):
        roots = jumped
    return roots, refused


def _review(con: duckdb.DuckDBPyConnection, config: LinkageConfig) -> pa.Table:
    return con.sql(f"""
        SELECT x.record_id AS record_a, y.record_id AS record_b, e.p AS probability,
               x.person_key = y.person_key AS linked, e.reason
        FROM (SELECT l, r, p, 'uncertain' AS reason FROM gs_scored WHERE p < {config.review_high}
              UNION ALL SELECT l, r, p, 'conflict' FROM gs_refused) e
        JOIN gs_cluster x ON x.idx = e.l JOIN gs_cluster y ON y.idx = e.r
        ANTI JOIN gs_decision d ON d.l = e.l AND d.r = e.r
        ORDER BY abs(e.p - 0.5), record_a, record_b""").to_arrow_table()
