"""Devices racing for the same tubes, on a committed database shared by real connections."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gridscreen.areas.models import Area, Block, Level
from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.config import get_settings
from gridscreen.db import begin_write, make_sessionmaker, transaction
from gridscreen.people.models import Person
from gridscreen.planning import service as planning
from gridscreen.planning.schemas import AreaPolicyIn, RoundBlockIn, RoundIn, SiteIn
from gridscreen.sampling import ingest
from gridscreen.sampling import service as sampling
from gridscreen.sampling.barcode import make_barcode
from gridscreen.sampling.models import Scan, Tube
from gridscreen.sampling.resident_code import sign_resident_code
from gridscreen.sampling.schemas import ScanIn
from tests.conftest import fresh_database


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared(request, tmp_path_factory):
    engine = fresh_database(request, tmp_path_factory, "race", people=2_000, seed=9)
    with transaction(engine) as session:
        grid = session.scalar(select(Area).where(Area.level == Level.committee).order_by(Area.code).limit(1))
        blocks = session.scalars(select(Block.id)).all()
        now = datetime.now(UTC)
        round_ = sampling.open_round(
            session,
            RoundIn(
                code="RACE",
                name="race",
                blocks=[RoundBlockIn(block_id=b, sample_date=date(2022, 4, 4)) for b in blocks],
                policies=[AreaPolicyIn(area_id=grid.id, zone="precaution", pooling="pooled", pool_size=5)],
            ),
            now=now,
        )
        principal = Principal(1, "s", "s", Role.sampler, (AreaGrant(grid.id, Level.committee),))
        site = planning.create_site(session, principal, round_.id, SiteIn(code="S", name="s", committee_id=grid.id))
        persons = session.scalars(select(Person.id).where(Person.committee_id == grid.id).order_by(Person.id)).all()
        ids = (round_.id, site.id)
    yield engine, principal, ids, persons
    engine.dispose()


def test_concurrent_devices_filling_the_same_tubes_never_overfill_them(shared):
    engine, principal, (round_id, site_id), persons = shared
    secret = get_settings().resident_code_key
    barcodes = [make_barcode("RC", i) for i in range(1, 4)]  # 3 tubes of 5 for 8 devices x 6 scans = 48 tries
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def device(n: int) -> None:
        try:
            start.wait()
            for k in range(6):
                person = persons[(n * 6 + k) % len(persons)]
                scan = ScanIn(
                    device_seq=k,
                    resident_code=sign_resident_code(person, secret=secret),
                    tube=barcodes[(n + k) % 3],
                    site_id=site_id,
                    scanned_at=datetime.now(UTC) - timedelta(minutes=1),
                )
                session = make_sessionmaker(engine)()
                try:
                    begin_write(session)
                    ingest.record_scans(
                        session,
                        principal,
                        round_id=round_id,
                        device_id=f"race-{n}",
                        scans=[scan],
                        now=datetime.now(UTC),
                        secret=secret,
                    )
                    session.commit()
                finally:
                    session.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=device, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with transaction(engine) as session:
        tubes = session.scalars(select(Tube).where(Tube.barcode.in_(barcodes))).all()
        assert [t.members for t in tubes] == [5, 5, 5] and {t.status for t in tubes} == {"sealed"}
        for tube in tubes:
            stored = session.scalar(select(func.count()).select_from(Scan).where(Scan.tube_id == tube.id))
            assert stored == tube.members
