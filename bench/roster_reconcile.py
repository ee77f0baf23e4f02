"""Benchmark roster reconciliation on the synthetic city's noisy source lists, scored against the truth.

    uv run python bench/roster_reconcile.py --quick                  # 30,000 people, under a minute
    uv run python bench/roster_reconcile.py --people 100000,1000000  # the sizes to report scaling on
    uv run python bench/roster_reconcile.py --people 24870895        # the full city (target: < 30 min, < 16 GB)

For each size: one process draws the registry, rental, telecom and sweep lists (`sim.sources`, default
noise) into a DuckDB file with the truth kept aside; a second, fresh process attaches that file read-only to
an in-memory DuckDB (memory_limit --memory-limit, spilling to a temp directory) and runs
`roster.linkage.reconcile` (so `seconds` and `peak_rss_mb` are the reconciliation's own), then scores it:

- link_precision / link_recall / link_f1: pairwise over clusters. A pair of records is predicted linked when
  both land in one person, truly linked when both are one resident; precision = true linked pairs among
  predicted ones, recall = predicted among true ones.
- missing_recall: the door-knock list ("on a list, not found at the door"). Truth: residents with a record
  on the registry, rental or telecom list and none from the sweep. One of them is found when every person
  the reconciliation made of their records is on its not-at-door list, i.e. no wrong merge hid them behind
  someone else's sweep record. missing_recall = found / truth; missing_precision = the share of the
  predicted list that is truly not at the door (a split person inflates it).
- door_only_recall: the same for residents found only by the sweep (on no list: new registrations).

Writes bench/results/roster_reconcile.json: one row per size with people, records, link_precision,
link_recall, link_f1, missing_recall, missing_precision, door_only_recall, review_pairs, seconds,
records_per_s, peak_rss_mb, and the stage seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from city_generate import write_results  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "roster_reconcile.json"
QUICK_PEOPLE = 30_000
console = Console()
if not console.is_terminal:
    console.width = 140  # the results table has nine columns


def draw(db: str, people: int, seed: int) -> dict:
    """Child 1: the source lists and the truth into a DuckDB file."""
    import duckdb

    from gridscreen.sim.sources import PERSON_SCHEMA, RECORD_SCHEMA, TRUTH_SCHEMA, generate_sources

    con = duckdb.connect(db)
    for name, schema in (("records", RECORD_SCHEMA), ("truth", TRUTH_SCHEMA), ("persons", PERSON_SCHEMA)):
        con.register("empty_rows", schema.empty_table())
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM empty_rows")
        con.unregister("empty_rows")
    started = time.perf_counter()
    for batch in generate_sources(people, seed):
        for name, table in (("records", batch.records), ("truth", batch.truth), ("persons", batch.persons)):
            con.register("batch_rows", table)
            con.execute(f"INSERT INTO {name} SELECT * FROM batch_rows")
            con.unregister("batch_rows")
    seconds = time.perf_counter() - started
    records = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
    con.close()
    return {"sim_seconds": seconds, "records": records}


def reconcile(db: str, workdir: str, memory_limit: str) -> dict:
    """Child 2: reconcile the file's records, then score against the truth."""
    import duckdb

    from gridscreen.roster.linkage import reconcile as run

    # Work tables in memory (a file database spends more time compressing them than reconciling); DuckDB
    # spills to temp_directory beyond memory_limit. The lists are read from the file, attached read-only.
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'; SET temp_directory = '{workdir}/spill'")
    con.execute(f"ATTACH '{db}' AS sources (READ_ONLY)")
    started = time.perf_counter()
    result = run("sources.records", con=con)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = score(con) | {"seconds": seconds, "peak_rss_mb": peak_mb, "review_pairs": result.review.num_rows}
    return figures | {k: v for k, v in result.stats.items() if k.endswith("_s") or k == "candidate_pairs"}


def score(con) -> dict:
    """Pairwise precision / recall over clusters, and the door-knock lists, against the truth."""
    tp, predicted, true = con.execute("""
        WITH j AS (SELECT c.person_key, t.person_id FROM gs_cluster c JOIN sources.truth t USING (record_id)),
        cells AS (SELECT count(*) AS n FROM j GROUP BY person_key, person_id),
        p AS (SELECT count(*) AS n FROM j GROUP BY person_key),
        t AS (SELECT count(*) AS n FROM j GROUP BY person_id)
        SELECT (SELECT sum(n * (n - 1) / 2) FROM cells), (SELECT sum(n * (n - 1) / 2) FROM p),
               (SELECT sum(n * (n - 1) / 2) FROM t)""").fetchall()[0]
    precision, recall = tp / max(predicted, 1), tp / max(true, 1)
    lists = {}
    for label, truth_rule, predicted_rule in (
        ("missing", "bool_or(source_kind <> 'sweep') AND NOT bool_or(source_kind = 'sweep')", "NOT p.at_door"),
        ("door_only", "bool_and(source_kind = 'sweep')", "p.sources = ['sweep']"),
    ):
        found, wanted, flagged, right = con.execute(f"""
            WITH r AS (SELECT t.person_id, c.person_key, c.source_kind
                       FROM sources.truth t JOIN gs_cluster c USING (record_id)),
            truly AS (SELECT person_id FROM r GROUP BY person_id HAVING {truth_rule}),
            hit AS (SELECT r.person_id, bool_and({predicted_rule}) AS ok FROM r JOIN truly USING (person_id)
                    JOIN gs_person p USING (person_key) GROUP BY r.person_id),
            flagged AS (SELECT p.person_key FROM gs_person p WHERE {predicted_rule}),
            right_ AS (SELECT DISTINCT f.person_key FROM flagged f JOIN r USING (person_key)
                       JOIN truly USING (person_id))
            SELECT (SELECT count(*) FROM hit WHERE ok), (SELECT count(*) FROM truly),
                   (SELECT count(*) FROM flagged), (SELECT count(*) FROM right_)""").fetchall()[0]
        lists[f"{label}_recall"] = found / max(wanted, 1)
        lists[f"{label}_precision"] = right / max(flagged, 1)
        lists[f"{label}_truth"] = wanted
    return {
        "link_precision": precision,
        "link_recall": recall,
        "link_f1": 2 * precision * recall / max(precision + recall, 1e-12),
    } | lists


def child(mode: str, db: str, people: int, seed: int, workdir: str, memory_limit: str, out: str) -> None:
    figures = draw(db, people, seed) if mode == "draw" else reconcile(db, workdir, memory_limit)
    Path(out).write_text(json.dumps(figures))


def run_child(mode: str, db: str, args, people: int, workdir: str) -> dict:
    out = os.path.join(workdir, f"{mode}.json")
    command = [sys.executable, __file__, "--child", mode, "--db", db, "--people", str(people), "--seed", str(args.seed)]
    command += ["--workdir", workdir, "--memory-limit", args.memory_limit, "--out", out]
    subprocess.run(command, check=True)
    return json.loads(Path(out).read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PEOPLE:,} people")
    parser.add_argument("--people", default="100000", help="comma-separated city sizes")
    parser.add_argument("--seed", type=int, default=2022)
    # DuckDB keeps its work tables in memory up to the limit and spills beyond it: below the limit peak RSS
    # grows with the city, above it stays near the limit + what DuckDB does not manage (~0.26 GB + ~45 MB per
    # million people: 1M at 1GB peaked at 1.28 GB, 5M at 2GB at 2.48 GB), so 10GB keeps the full city < 16 GB.
    parser.add_argument("--memory-limit", default="10GB", help="DuckDB's memory limit for the reconciliation")
    parser.add_argument("--child", choices=("draw", "reconcile"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, int(args.people), args.seed, args.workdir, args.memory_limit, args.out)
        return

    sizes = [QUICK_PEOPLE] if args.quick else [int(p) for p in args.people.split(",") if p.strip()]
    rows = []
    for people in sizes:
        with tempfile.TemporaryDirectory(prefix="gridscreen-roster-") as workdir:
            db = os.path.join(workdir, "sources.duckdb")
            console.print(f"[bold]{people:,}[/bold] people: drawing the source lists")
            drawn = run_child("draw", db, args, people, workdir)
            console.print(f"{drawn['records']:,} records; reconciling")
            figures = run_child("reconcile", db, args, people, workdir)
        row = {"people": people, "records": drawn["records"]} | figures
        row["records_per_s"] = round(drawn["records"] / figures["seconds"])
        rows.append({k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()})

    table = Table(title=f"roster reconciliation (seed {args.seed}, default noise)")
    columns = ("people", "records", "precision", "recall", "F1", "missing recall", "seconds", "records/s", "peak MB")
    for column in columns:
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            f"{r['people']:,}", f"{r['records']:,}", f"{r['link_precision']:.5f}", f"{r['link_recall']:.5f}",
            f"{r['link_f1']:.5f}", f"{r['missing_recall']:.5f}", f"{r['seconds']:.1f}", f"{r['records_per_s']:,}",
            f"{r['peak_rss_mb']:,.0f}",
        )  # fmt: skip
    console.print(table)
    for r in rows:
        stages = ", ".join(f"{s[:-2]} {r[s]:.1f} s" for s in ("normalise_s", "block_s", "score_s", "cluster_s"))
        console.print(
            f"{r['people']:,} people: {stages}; door-only recall {r['door_only_recall']:.5f}, "
            f"missing precision {r['missing_precision']:.5f}, {r['review_pairs']:,} pairs for review"
        )
    write_results(RESULTS, rows)


if __name__ == "__main__":
    main()
