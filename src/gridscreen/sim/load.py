"""Write the synthetic city into an empty database: bulk inserts per chunk, a progress bar, kept counts.

For speed the loader drops the secondary indexes (and, on PostgreSQL, the foreign keys) of household and
person, loads, and recreates them exactly as they were (their definitions are read from the database, so
the schema stays what Alembic made). Per-area counts are computed by the generator while streaming.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from queue import Full, Queue

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import Connection, Engine, text

from gridscreen.areas.models import LEVELS
from gridscreen.db import bulk_insert, is_postgres, reset_sequences
from gridscreen.errors import Conflict
from gridscreen.sim.city import (
    AREA_COLUMNS,
    BLOCK_AREA_COLUMNS,
    BLOCK_COLUMNS,
    COUNT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    PERSON_COLUMNS,
    Chunk,
    generate_city,
)
from gridscreen.sim.plan import check_city_size

BULK_TABLES = ("household", "person")
_LEVEL = AREA_COLUMNS.index("level")


class CityNotEmpty(Conflict):
    def __init__(self, areas: int):
        super().__init__(
            "the database already has {areas} areas; a city can only be generated into an empty database "
            "(use a new database file or drop this one first)",
            areas=areas,
        )


@dataclass(frozen=True)
class CitySummary:
    areas: dict[str, int]  # per level, city to building
    households: int
    persons: int
    blocks: int
    seconds: float

    @property
    def persons_per_second(self) -> float:
        return self.persons / self.seconds if self.seconds else 0.0

    def __rich__(self) -> Table:
        table = Table(title=f"city: {self.seconds:.1f} s, {self.persons_per_second:,.0f} persons/s")
        table.add_column("what")
        table.add_column("count", justify="right")
        for level, count in self.areas.items():
            table.add_row(level, f"{count:,}")
        for what, count in (
            ("households", self.households),
            ("persons", self.persons),
            ("blocks", self.blocks),
        ):
            table.add_row(what, f"{count:,}")
        return table


def load_city(engine: Engine, *, people: int, seed: int, progress: bool = True) -> CitySummary:
    """Generate a city of `people` residents (same seed, same rows) into an empty, migrated database."""
    check_city_size(people)
    started = time.perf_counter()
    levels: Counter[str] = Counter()
    households = persons = blocks = 0
    with engine.connect() as conn:
        existing = conn.execute(text("SELECT COUNT(*) FROM area")).scalar_one()
        if existing:
            raise CityNotEmpty(existing)
        conn.rollback()
        with _progress(progress) as bar, _no_gc():
            task = bar.add_task("generating the city", total=people)
            with _bulk_load(conn):
                try:
                    chunks = generate_city(people, seed)
                    for chunk in _ahead(chunks) if _generate_alongside(conn) else chunks:
                        # One transaction per chunk keeps SQLite's WAL small (one big transaction
                        # grew a WAL as large as the database) and commits are cheap with fast writes.
                        with conn.begin():
                            _write(conn, chunk)
                        levels.update(row[_LEVEL] for row in chunk.areas)
                        households += len(chunk.households)
                        persons += len(chunk.persons)
                        blocks += len(chunk.blocks)
                        bar.advance(task, len(chunk.persons))
                except BaseException:
                    _remove_partial_city(conn)
                    raise
                bar.update(task, description="building indexes")
            reset_sequences(conn, ("area", "block", "household", "person"))
            _analyse(conn)
            conn.commit()
            bar.update(task, description="done")
    return CitySummary(
        areas={level.value: levels[level.value] for level in LEVELS},
        households=households,
        persons=persons,
        blocks=blocks,
        seconds=time.perf_counter() - started,
    )


def _write(conn: Connection, chunk: Chunk) -> None:
    # Parents before children: the foreign keys that stay in place are checked as rows arrive.
    for table, columns, rows in (
        ("block", BLOCK_COLUMNS, chunk.blocks),
        ("area", AREA_COLUMNS, chunk.areas),
        ("block_area", BLOCK_AREA_COLUMNS, chunk.block_areas),
        ("household", HOUSEHOLD_COLUMNS, chunk.households),
        ("person", PERSON_COLUMNS, chunk.persons),
    ):
        if rows:
            bulk_insert(conn, table, columns, rows)
    if chunk.area_counts:
        conn.execute(
            text(
                "UPDATE area SET residents = :residents, households = :households, buildings = :buildings, "
                "door_to_door = :door_to_door WHERE id = :id"
            ),
            [dict(zip(COUNT_COLUMNS, row, strict=True)) for row in chunk.area_counts],
        )


def _remove_partial_city(conn: Connection) -> None:
    for table in ("person", "household", "block_area", "block", "area"):
        conn.execute(text(f"DELETE FROM {table}"))
    conn.commit()


def _ahead(chunks: Iterator[Chunk], depth: int = 2) -> Iterator[Chunk]:
    """The same chunks, generated in a thread up to `depth` ahead of the consumer."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False  # the consumer has gone

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)

    thread = threading.Thread(target=produce, name="city-generator", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


@contextmanager
def _progress(show: bool) -> Iterator[Progress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("persons"),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not show) as bar:
        yield bar


@contextmanager
def _no_gc() -> Iterator[None]:
    # Millions of short-lived row tuples make the cyclic collector run constantly (3-5x slower) while
    # nothing here creates cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _bulk_load(conn: Connection) -> Iterator[None]:
    """Drop household/person secondary indexes (and foreign keys on PostgreSQL), restore them at exit."""
    indexes = _secondary_indexes(conn, BULK_TABLES)
    foreign_keys = _foreign_keys(conn, BULK_TABLES)
    restore = _fast_writes(conn)
    try:
        for table, name, _ in foreign_keys:
            conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
        for name, _ in indexes:
            conn.execute(text(f"DROP INDEX {name}"))
        conn.commit()
        yield
    finally:
        conn.rollback()
        for _, create in indexes:
            conn.execute(text(create))
        for table, name, definition in foreign_keys:
            conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
        conn.commit()
        restore()


# One small function per difference between SQLite and PostgreSQL.


def _secondary_indexes(conn: Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the plain indexes on the tables (not primary keys or uniques)."""
    if is_postgres(conn):
        rows = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(:tables) "
                "AND i.schemaname = current_schema() AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY i.indexname"
            ),
            {"tables": list(tables)},
        )
    else:
        marks = ", ".join(f"'{t}'" for t in tables)
        rows = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks}) ORDER BY name"
            )
        )
    return [(name, sql) for name, sql in rows]


def _foreign_keys(conn: Connection, tables: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the foreign keys to drop for the load: PostgreSQL checks each COPY row
    with a trigger, while one ADD CONSTRAINT at the end checks them all in a single join. SQLite's checks
    are switched off for the loading connection instead (see _fast_writes)."""
    if not is_postgres(conn):
        return []
    rows = conn.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(:tables) ORDER BY c.conname"
        ),
        {"tables": list(tables)},
    )
    return [tuple(row) for row in rows]


def _fast_writes(conn: Connection):
    """Session settings for a bulk load; returns the function that puts the previous ones back."""
    if is_postgres(conn):
        conn.execute(text("SET synchronous_commit = off"))
        conn.execute(text("SET maintenance_work_mem = '256MB'"))
        conn.commit()

        def restore_postgres() -> None:
            conn.execute(text("RESET synchronous_commit"))
            conn.execute(text("RESET maintenance_work_mem"))
            conn.commit()

        return restore_postgres
    conn.commit()
    driver = conn.connection.driver_connection
    pragmas = ("foreign_keys", "synchronous", "cache_size", "threads")
    before = {p: driver.execute(f"PRAGMA {p}").fetchone()[0] for p in pragmas}
    # A failed load is deleted and the database was empty: no need to survive a power cut mid-load.
    for pragma, value in (("foreign_keys", 0), ("synchronous", 0), ("cache_size", -131072), ("threads", 2)):
        driver.execute(f"PRAGMA {pragma} = {value}")

    def restore_sqlite() -> None:
        for pragma, value in before.items():
            driver.execute(f"PRAGMA {pragma} = {value}")

    return restore_sqlite


def _generate_alongside(conn: Connection) -> bool:
    # PostgreSQL parses COPY data in its own process while the generator thread builds the next chunk.
    # SQLite's executemany needs the GIL for every row: measured, a generator thread gains nothing there.
    return is_postgres(conn)


def _analyse(conn: Connection) -> None:
    # Fresh statistics so the planner knows the tables are big; SQLite's ANALYZE reads every index and
    # is left to `PRAGMA optimize`.
    if is_postgres(conn):
        conn.execute(text("ANALYZE area, household, person"))
    else:
        conn.execute(text("PRAGMA optimize"))
