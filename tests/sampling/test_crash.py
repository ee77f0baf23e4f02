"""The server killed with SIGKILL in the middle of ingest and restarted, the device retrying: every
acknowledged scan is stored exactly once, and tubes agree with their scans."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from gridscreen.areas.models import Area, Block, Level
from gridscreen.auth import service as auth
from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.config import get_settings
from gridscreen.db import transaction
from gridscreen.people.models import Person
from gridscreen.planning import service as planning
from gridscreen.planning.schemas import RoundBlockIn, RoundIn, SiteIn
from gridscreen.sampling import service as sampling
from gridscreen.sampling.barcode import make_barcode
from gridscreen.sampling.models import Scan, Tube
from gridscreen.sampling.resident_code import sign_resident_code
from tests.conftest import fresh_database

BATCHES, KILL_AT = 12, 5


@pytest.fixture(params=["sqlite", "postgres"])
def prepared(request, tmp_path_factory):
    engine = fresh_database(request, tmp_path_factory, "crash", people=3_000, seed=2)
    with transaction(engine) as session:
        city = session.scalar(select(Area).where(Area.level == Level.city))
        blocks = [RoundBlockIn(block_id=b, sample_date=date(2022, 4, 4)) for b in session.scalars(select(Block.id))]
        round_ = sampling.open_round(session, RoundIn(code="CRASH", name="c", blocks=blocks), now=datetime.now(UTC))
        grid = session.scalar(select(Area).where(Area.level == Level.committee).order_by(Area.code).limit(1))
        grant = Principal(0, "c", "c", Role.command, (AreaGrant(city.id, Level.city),))
        site = planning.create_site(session, grant, round_.id, SiteIn(code="S", name="s", committee_id=grid.id))
        auth.create_user(session, username="dev", password="dev-password", role=Role.sampler, display_name="d",
                         area_ids=[city.id])  # fmt: skip
        persons = session.scalars(select(Person.id).order_by(Person.id).limit(BATCHES * 100)).all()
        ids = (round_.id, site.id)
    secret = get_settings().resident_code_key
    at = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    batches = [
        {"device_id": "crash-dev", "round_id": ids[0], "scans": [
            {"device_seq": b * 100 + i, "tube": make_barcode("KL", b * 10 + i // 10), "site_id": ids[1],
             "scanned_at": at, "resident_code": sign_resident_code(persons[b * 100 + i], secret=secret)}
            for i in range(100)
        ]}
        for b in range(BATCHES)
    ]  # fmt: skip
    yield engine.url.render_as_string(hide_password=False), engine, batches
    engine.dispose()


def _start(url: str, listener: socket.socket) -> subprocess.Popen:
    # The test owns the listening socket: while no server runs, connections wait in its backlog.
    command = [sys.executable, "-m", "uvicorn", "gridscreen.app:create_app", "--factory",
               "--fd", str(listener.fileno()), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    return subprocess.Popen(command, env={**os.environ, "GRIDSCREEN_DATABASE_URL": url}, pass_fds=[listener.fileno()])


def test_every_acknowledged_scan_survives_a_sigkill_exactly_once(prepared):
    url, engine, batches = prepared
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    server = _start(url, listener)
    in_flight = threading.Event()
    acknowledged: set[int] = set()
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            token = http.post("/api/auth/token", json={"username": "dev", "password": "dev-password"}).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}

            def kill_mid_batch() -> None:
                in_flight.wait()
                os.kill(server.pid, signal.SIGKILL)

            killer = threading.Thread(target=kill_mid_batch)
            killer.start()
            restarted = False
            for number, batch in enumerate(batches):
                while True:
                    if number == KILL_AT:
                        in_flight.set()
                    try:
                        response = http.post("/api/scans", json=batch, headers=headers)
                    except httpx.TransportError:
                        killer.join()
                        if not restarted:
                            server.wait()
                            server, restarted = _start(url, listener), True
                        continue  # the device sends the same batch again
                    if response.status_code >= 500:
                        continue
                    break
                assert response.status_code == 200, response.text
                for outcome in response.json()["outcomes"]:
                    assert outcome["status"] in ("stored", "duplicate"), outcome
                    acknowledged.add(outcome["device_seq"])
            assert restarted, "the server was never killed mid-ingest"
    finally:
        server.kill()
        server.wait()
        listener.close()
    with transaction(engine) as session:
        seqs = session.scalars(select(Scan.device_seq).where(Scan.device_id == "crash-dev")).all()
        assert sorted(seqs) == sorted(acknowledged) == list(range(BATCHES * 100))
        members = dict(session.execute(select(Tube.id, Tube.members)).all())
        per_tube = dict(session.execute(select(Scan.tube_id, func.count()).group_by(Scan.tube_id)).all())
        assert members == per_tube
