from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gridscreen import clock
from gridscreen.auth.deps import StaffUser, require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import Principal
from gridscreen.coverage.router import AreaParam
from gridscreen.dashboard import schemas, service
from gridscreen.dashboard.models import SupportKind
from gridscreen.http import DbSession
from gridscreen.ids import MAX_ID, PathId

router = APIRouter(prefix="/api/rounds", tags=["dashboard"])
supports_router = APIRouter(prefix="/api/supports", tags=["dashboard"])
Commander = Annotated[Principal, Depends(require(Role.command))]
Reporter = Annotated[Principal, Depends(require(Role.command, Role.district))]


@router.get("/{round_id}/overview", response_model=schemas.Overview)
def overview(round_id: PathId, area_id: AreaParam, db: DbSession, user: StaffUser):
    """Coverage, progress per hour, lab backlog, overdue retests and the grids' map points for an area."""
    return service.overview(db, user, round_id, area_id, now=clock.now())


@supports_router.get("", response_model=list[schemas.SupportOut])
def supports(
    area_id: AreaParam,
    db: DbSession,
    user: StaffUser,
    round_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
):
    """The five key supports of the city or a district: testing (live, from the round), beds, supplies,
    medical and frontline staff (as reported), each red, amber or green, with its trend."""
    return service.supports(db, user, area_id, round_id=round_id, now=clock.now())


@supports_router.put("/{kind}/reports", response_model=schemas.TrendPoint)
def report_support(kind: SupportKind, data: schemas.SupportReportIn, db: DbSession, user: Reporter):
    """A district's (or the city's) figure for one day: what it has and what it needs."""
    row = service.report_support(db, user, kind, data, now=clock.now())
    return schemas.TrendPoint(day=row.day, have=row.have, need=row.need)


@supports_router.put("/{kind}/thresholds", response_model=schemas.ThresholdsIn)
def set_thresholds(kind: SupportKind, data: schemas.ThresholdsIn, db: DbSession, user: Commander):
    """Where the command centre wants this support to turn amber and red."""
    row = service.set_thresholds(db, user, kind, data, now=clock.now())
    return schemas.ThresholdsIn(amber_below=row.amber_below, red_below=row.red_below)
