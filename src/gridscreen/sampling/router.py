from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from gridscreen import clock
from gridscreen.auth.deps import require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.config import get_settings
from gridscreen.db import transaction, writers_take_turns
from gridscreen.http import DbSession, ReadSession, request_translator
from gridscreen.ids import MAX_ID, PathId
from gridscreen.planning import schemas as planning_schemas
from gridscreen.sampling import ingest, schemas, service

router = APIRouter(prefix="/api", tags=["sampling"])

Commander = Annotated[Principal, Depends(require(Role.command))]
Sampler = Annotated[Principal, Depends(require(Role.sampler, Role.grid))]
Scanner = Annotated[Principal, Depends(require(Role.sampler, Role.grid, reading=True))]
TubeReader = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.sampler))]
Barcode = Annotated[str, Path(min_length=1, max_length=32)]


@router.post("/rounds", response_model=planning_schemas.RoundOut, status_code=201)
def open_round(data: planning_schemas.RoundIn, db: DbSession, user: Commander):
    return service.open_round(db, data, now=clock.now())


@router.get("/rounds/{round_id}/pool-advice", response_model=planning_schemas.PoolAdviceOut)
def pool_advice(
    round_id: PathId, area_id: Annotated[int, Query(ge=1, le=MAX_ID)], db: DbSession, user: TubeReader
) -> planning_schemas.PoolAdviceOut:
    """The pooling policy in force for an area (samplers' devices size their tubes by it) and the advice."""
    advice, policy = service.pool_advice(db, user, round_id, area_id)
    return planning_schemas.PoolAdviceOut(
        area_id=area_id,
        advice=planning_schemas.AdviceOut.model_validate(advice, from_attributes=True) if advice else None,
        current=planning_schemas.PolicyOut.model_validate(policy, from_attributes=True) if policy else None,
    )


@router.get("/rounds/{round_id}/sites/{site_id}/today", response_model=schemas.SiteToday)
def site_today(round_id: PathId, site_id: PathId, db: DbSession, user: TubeReader) -> schemas.SiteToday:
    """The site lead's live count: swabs and tubes today, the pace, and which devices are behind."""
    now = clock.now()
    return service.site_today(
        db, user, round_id, site_id, now=now, day_start=clock.day_start(now, get_settings().timezone)
    )


@router.post("/scans", response_model=schemas.ScanBatchOut)
def post_scans(request: Request, batch: schemas.ScanBatchIn, db: ReadSession, user: Scanner) -> Response:
    state, now = request.app.state, clock.now()

    def prepare(session: Session) -> ingest.PreparedBatch:
        secret, translate = get_settings().resident_code_key, request_translator(request)
        return ingest.prepare_scans(
            session, user, round_id=batch.round_id, scans=batch.scans, now=now, secret=secret, translate=translate
        )

    # Where writers take turns (SQLite, every server process's), what no other batch changes is read before
    # queueing. PostgreSQL has no queue, and one transaction for both halves measured faster there.
    prepared = prepare(db) if writers_take_turns(state.engine) else None
    with transaction(state.engine, sessions=state.sessionmaker, write=True) as session:
        outcomes = ingest.store_scans(
            session, user, prepared or prepare(session), device_id=batch.device_id, now=now, pending=batch.pending
        )
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("stored", "duplicate", "rejected")}
    answer = schemas.ScanBatchOut(
        stored=counts["stored"], duplicates=counts["duplicate"], rejected=counts["rejected"], outcomes=outcomes
    )
    # Written by the model itself: FastAPI would validate the answer again first, in another thread.
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("/tubes/{barcode}", response_model=schemas.TubeOut)
def get_tube(barcode: Barcode, db: DbSession, user: TubeReader):
    return service.get_tube(db, user, barcode)


@router.post("/tubes/{barcode}/close", response_model=schemas.TubeOut)
def close_tube(barcode: Barcode, db: DbSession, user: Sampler):
    return service.close_tube(db, user, barcode, now=clock.now())


@router.post("/tubes/{barcode}/cancel", response_model=schemas.TubeOut)
def cancel_tube(barcode: Barcode, db: DbSession, user: Sampler):
    return service.cancel_tube(db, user, barcode, now=clock.now())
