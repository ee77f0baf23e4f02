"""A throwaway PostgreSQL server for tests and benchmarks: temp data dir, loopback port, stopped at exit.

PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


def missing_binaries() -> list[str]:
    return [b for b in SERVER_BINARIES if shutil.which(b) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def throwaway_postgres(database: str = "gridscreen") -> Iterator[str]:
    """Start a private server and yield a SQLAlchemy URL to a fresh database on it."""
    if missing := missing_binaries():
        raise RuntimeError(f"PostgreSQL server binaries not on PATH: {', '.join(missing)}")
    root = tempfile.mkdtemp(prefix="gridscreen-pg-")
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data, port = os.path.join(root, "data"), _free_port()
    run = {"check": True, "capture_output": True, "cwd": "/"}
    try:
        subprocess.run(
            _as_server_user(["initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]),
            **run,
        )
        # autovacuum_naptime: tables that start a round empty (tubes, scans) are analysed within a second
        # of filling, so cached plans stop scanning a table their statistics still call empty.
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c autovacuum_naptime=1"
        )
        subprocess.run(
            _as_server_user(["pg_ctl", "-D", data, "-o", options, "-l", os.path.join(root, "log"), "-w", "start"]),
            **run,
        )
        try:
            import psycopg

            with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
                c.execute(f'CREATE DATABASE "{database}"')
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
        finally:
            subprocess.run(_as_server_user(["pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]), **run)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(url: str, prefix: str) -> str:
    """Create another, uniquely named database on the server behind `url`; return its URL."""
    import uuid

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)
