from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

from sqlalchemy.orm import Session

from gridscreen.areas.models import Block, BlockArea
from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.config import get_settings
from gridscreen.planning import service as planning
from gridscreen.planning.models import Round
from gridscreen.planning.schemas import AreaPolicyIn, RoundBlockIn, RoundIn, RouteIn, SiteIn
from gridscreen.sampling import service
from gridscreen.sampling.barcode import make_barcode
from gridscreen.sampling.resident_code import sign_resident_code
from gridscreen.sampling.schemas import ScanIn

NOW = datetime(2022, 4, 4, 8, 0, tzinfo=UTC)
_serials = count(1)
_codes = count(1)


def new_barcode() -> str:
    return make_barcode("SH", next(_serials))


def code_for(person) -> str:
    return sign_resident_code(person.id, secret=get_settings().resident_code_key)


def sampler_of(area) -> Principal:
    return Principal(9, "sampler", "sampler", Role.sampler, (AreaGrant(area.id, area.level),))


def open_round(session: Session, tiny, *, policies: list[AreaPolicyIn] = ()) -> Round:
    n = next(_codes)
    block = Block(code=f"test-{n}", name="全市", start_date=date(2022, 4, 4))
    session.add(block)
    session.flush()
    session.add_all(BlockArea(block_id=block.id, area_id=g.district.id) for g in (tiny.a, tiny.b))
    session.flush()
    data = RoundIn(
        code=f"R{n}",
        name="第一轮",
        blocks=[RoundBlockIn(block_id=block.id, sample_date=date(2022, 4, 4))],
        policies=list(policies),
    )
    return service.open_round(session, data, now=NOW)


def site_in(session: Session, round_, grid, code: str = "S1"):
    principal = Principal(8, "g", "g", Role.grid, (AreaGrant(grid.committee.id, grid.committee.level),))
    return planning.create_site(
        session, principal, round_.id, SiteIn(code=code, name="核酸点", committee_id=grid.committee.id)
    )


def route_in(session: Session, round_, grid, code: str = "R1"):
    principal = Principal(8, "g", "g", Role.grid, (AreaGrant(grid.committee.id, grid.committee.level),))
    return planning.create_route(session, principal, round_.id, RouteIn(code=code, committee_id=grid.committee.id))


_seqs = count(1)


def scan(person=None, tube: str = "", *, site=None, route=None, seq: int | None = None, at=None, **extra) -> ScanIn:
    fields = {
        "device_seq": seq if seq is not None else next(_seqs),
        "tube": tube,
        "site_id": site.id if site else None,
        "route_id": route.id if route else None,
        "scanned_at": at or NOW + timedelta(minutes=1),
    }
    if person is not None:
        fields["resident_code"] = code_for(person)
    fields.update(extra)
    return ScanIn(**fields)
