"""Engine, sessions and metadata. SQLite (WAL) by default, PostgreSQL in production.

SQL that differs between the two lives here, one small function per difference.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, make_url, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from gridscreen.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Readers and the writer share the file; wait for a lock instead of failing at once.
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    # A writer must take SQLite's write lock when its transaction starts: a deferred transaction that read
    # first fails at once (SQLITE_BUSY_SNAPSHOT) if another writer committed in between, busy_timeout or not.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


# Sync routes run in a pool of 40 threads per server process: each may need a connection at once, or
# requests queue for the pool and time out under load instead of waiting for the database.
POOL = {"pool_size": 10, "max_overflow": 30}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # isolation_level=None hands BEGIN to us (the "begin" event), so writers can begin IMMEDIATE.
        in_memory = make_url(url).database in (None, "", ":memory:")  # one shared connection: no pool to size
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "isolation_level": None}, **({} if in_memory else POOL)
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


_write_locks: dict[int | str, AbstractContextManager] = {}


def writers_take_turns(engine: Engine) -> bool:
    """Whether writers queue for the database one at a time (SQLite): work a writer can do before joining
    the queue is best done there."""
    return not is_postgres(engine)


def write_lock(engine: Engine) -> AbstractContextManager:
    """Writers of one SQLite file queue here instead of in SQLite's busy handler, which sleeps in growing
    steps (up to 100 ms) and so gives a long tail of waits: threads of this process on a lock, and the
    server's processes on an exclusive lock on a file beside the database, which wakes the next writer the
    moment it is released. PostgreSQL needs no queue."""
    if not writers_take_turns(engine):
        return nullcontext()
    database = engine.url.database
    in_memory = database in (None, "", ":memory:") or database.startswith("file::memory:")
    # Keyed by file: every engine of this process on one database queues in the same place.
    key = id(engine) if in_memory else os.path.abspath(database)
    lock = _write_locks.get(key)
    if lock is None:
        lock = _write_locks.setdefault(key, _WriterQueue(None if in_memory else f"{key}-writers"))
    return lock


class _WriterQueue:
    def __init__(self, path: str | None) -> None:
        self.threads = threading.Lock()
        self.path = path
        self.file: int | None = None  # opened on first use: the database's folder may not exist before
        if path is not None:
            # A forked child must open the file again: a lock taken through the parent's descriptor is
            # shared with the parent, so the two would not queue for each other.
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self.threads, self.file = threading.Lock(), None

    def __enter__(self) -> None:
        self.threads.acquire()
        if self.path is None:
            return
        try:
            if self.file is None:
                self.file = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self.file, fcntl.LOCK_EX)
        except BaseException:
            self.threads.release()
            raise

    def __exit__(self, *_exc) -> None:
        try:
            if self.path is not None:
                fcntl.flock(self.file, fcntl.LOCK_UN)
        finally:
            self.threads.release()


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer (SQLite: BEGIN IMMEDIATE). Call before any query."""
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(
    engine: Engine | None = None, *, sessions: sessionmaker[Session] | None = None, write: bool = False
) -> Iterator[Session]:
    """One unit of work: commits when the block succeeds, rolls back when it raises. A writer queues for
    SQLite's one write lock first and begins as a writer. `sessions` overrides how sessions are made."""
    engine = engine or get_engine()
    with write_lock(engine) if write else nullcontext():
        session = (sessions or make_sessionmaker(engine))()
        if write:
            begin_write(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def is_postgres(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


# Below this many rows PostgreSQL takes them as arrays in one statement: COPY costs several round trips,
# which only pay off for big loads.
_SMALL = 500


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Statements whose answers nobody reads, sent together: PostgreSQL's pipeline mode spares a round trip
    each (errors surface at the end of the block); SQLite, in the same process, has no trips to spare."""
    if not is_postgres(conn):
        yield
        return
    with conn.connection.driver_connection.pipeline():
        yield


def _as_arrays(conn: Connection, rows: Sequence) -> bool:
    # Inside a pipeline COPY is not allowed: any number of rows goes as arrays.
    return len(rows) < _SMALL or conn.connection.driver_connection.pgconn.pipeline_status != 0


def bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert many rows fast: COPY (or, for a few rows, arrays) on PostgreSQL, executemany on SQLite.
    Returns rows written."""
    if is_postgres(conn):
        if isinstance(rows, list) and _as_arrays(conn, rows) and table in Base.metadata.tables:
            statement = f"INSERT INTO {table} ({', '.join(columns)}) {_from_arrays(conn, table, columns)}"
            conn.connection.driver_connection.execute(statement, _columns_of(rows, len(columns)))
            return len(rows)
        return _copy_rows(conn, table, columns, rows)
    if not conn.in_transaction():
        conn.begin()  # the driver runs in autocommit mode: without a BEGIN every row would commit on its own
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    rows = rows if isinstance(rows, list) else list(rows)
    conn.connection.driver_connection.executemany(sql, rows)
    return len(rows)


def bulk_update(
    conn: Connection, table: str, key: str | Sequence[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Set `columns` of many rows found by `key`, one column or several (each row: the key's values, then the
    columns' values). PostgreSQL: one UPDATE from arrays, or for many rows from a temporary table filled by
    COPY; SQLite: executemany. Returns rows given."""
    keys = (key,) if isinstance(key, str) else tuple(key)
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    if is_postgres(conn):
        sets = ", ".join(f"{c} = s.{c}" for c in columns)
        match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        if _as_arrays(conn, rows) and table in Base.metadata.tables:
            source = f"({_from_arrays(conn, table, (*keys, *columns))}) s"
            conn.connection.driver_connection.execute(
                f"UPDATE {table} t SET {sets} FROM {source} WHERE {match}", _columns_of(rows, len(keys) + len(columns))
            )
            return len(rows)
        staging = f"gs_update_{table}"
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                             f"SELECT {', '.join((*keys, *columns))} FROM {table} WITH NO DATA")  # fmt: skip
        _copy_rows(conn, staging, (*keys, *columns), rows)
        conn.exec_driver_sql(f"UPDATE {table} t SET {sets} FROM {staging} s WHERE {match}")
        conn.exec_driver_sql(f"DROP TABLE {staging}")
        return len(rows)
    if not conn.in_transaction():
        conn.begin()
    sets = ", ".join(f"{c} = ?" for c in columns)
    match = " AND ".join(f"{k} = ?" for k in keys)
    conn.connection.driver_connection.executemany(
        f"UPDATE {table} SET {sets} WHERE {match}", [(*r[len(keys) :], *r[: len(keys)]) for r in rows]
    )
    return len(rows)


def insert_new(
    conn: Connection, table: str, columns: Sequence[str], rows: list[Sequence[Any]], *, unique: Sequence[str],
    returning: str,
) -> list:  # fmt: skip
    """INSERT rows, skipping those that clash on `unique` with a row already there (or being added by another
    transaction, which we wait for); returns `returning` of the rows this call inserted."""
    if not rows:
        return []
    if is_postgres(conn):
        source, params = _from_arrays(conn, table, columns), _columns_of(rows, len(columns))
    else:
        one = f"({', '.join('?' * len(columns))})"
        source, params = f"VALUES {', '.join([one] * len(rows))}", [v for row in rows for v in row]
    statement = (f"INSERT INTO {table} ({', '.join(columns)}) {source} "
                 f"ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING {returning}")  # fmt: skip
    return [value for (value,) in fetch(conn, statement, params)]


def _from_arrays(conn: Connection, table: str, columns: Sequence[str]) -> str:
    """SELECT ... FROM unnest(...): one array parameter per column, typed as the column (PostgreSQL). Arrays go
    in binary (%b): as text, psycopg passes every element through a regular expression to quote it (some
    2,000 searches a scan batch)."""
    types = _array_types(conn.dialect, table, tuple(columns))
    return f"SELECT * FROM unnest({', '.join(f'%b::{t}[]' for t in types)}) AS a({', '.join(columns)})"


@lru_cache(maxsize=128)
def _array_types(dialect, table: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(Base.metadata.tables[table].c[c].type.compile(dialect=dialect) for c in columns)


def _columns_of(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    # psycopg formats rows in C and streams them while the server is still parsing the previous ones.
    count = 0
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


# The hot paths (a scan batch) speak to the driver: SQLAlchemy's per-statement and per-row work costs more
# than the database's own for the few rows each statement touches. The SQL is written once with ?
# placeholders and standard ON CONFLICT, which both databases accept.
def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """The rows of one query, through the driver."""
    return conn.connection.driver_connection.execute(_driver_sql(conn, sql), params).fetchall()


def stream(conn: Connection, sql: str, params: Sequence[Any] = (), *, size: int = 100_000) -> Iterator[list[tuple]]:
    """The rows of one query, `size` at a time, through the driver: for tables larger than memory (PostgreSQL
    keeps the result on the server, in a named cursor, until the next rows are asked for)."""
    driver = conn.connection.driver_connection
    cursor = driver.cursor(name="gs_stream") if is_postgres(conn) else driver.cursor()
    try:
        cursor.execute(_driver_sql(conn, sql), params)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """One statement for many rows, through the driver; values must already be what the driver stores (see
    `stored_time`)."""
    if not rows:
        return
    if is_postgres(conn):
        with conn.connection.driver_connection.cursor() as cursor:
            cursor.executemany(_driver_sql(conn, sql), rows)
    else:
        conn.connection.driver_connection.executemany(sql, rows)


def one_of(conn: Connection, column: str, values: Iterable[Any]) -> tuple[str, Any]:
    """`column` is one of `values`, as a condition with one parameter: the text is the same for any number of
    values, so each database keeps one prepared statement (PostgreSQL compares with an array, SQLite reads
    a JSON list). PostgreSQL's array goes in binary, as in `_from_arrays`."""
    if is_postgres(conn):
        return f"{column} = ANY(%b)", list(values)
    return f"{column} IN (SELECT value FROM json_each(?))", json.dumps(list(values))


def for_update(conn: Connection) -> str:
    """Row locks for a read that is written back: PostgreSQL's; SQLite's writer already holds the file."""
    return " FOR UPDATE" if is_postgres(conn) else ""


def _driver_sql(conn: Connection, sql: str) -> str:
    return _pg_placeholders(sql) if is_postgres(conn) else sql


@lru_cache(maxsize=512)
def _pg_placeholders(sql: str) -> str:
    return sql.replace("?", "%s")


def stored_time(bind: Engine | Connection):
    """How a moment goes to the driver so that it reads back as SQLAlchemy's DateTime wrote it: SQLite keeps
    SQLAlchemy's text form (wall-clock, no zone); PostgreSQL takes the datetime itself."""
    return _identity if is_postgres(bind) else _sqlite_time


def read_time(value: datetime | str | None) -> datetime | None:
    """A moment read through the driver, as SQLAlchemy's DateTime would hand it back (see `stored_time`)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _identity(value):
    return value


def _sqlite_time(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.isoformat(" ", "microseconds")[:26]  # the zone, if any, is dropped as SQLAlchemy drops it


def reset_sequences(conn: Connection, tables: Sequence[str]) -> None:
    """After inserting explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if not is_postgres(conn):
        return
    for table in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )
