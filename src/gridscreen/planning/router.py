from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gridscreen.auth.deps import require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.http import DbSession
from gridscreen.ids import MAX_ID, PathId
from gridscreen.planning import schemas, service

router = APIRouter(prefix="/api/rounds", tags=["rounds"])

RoundReader = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.sampler, Role.lab))]
SitePlanner = Annotated[Principal, Depends(require(Role.district, Role.subdistrict, Role.grid))]
PolicySetter = Annotated[Principal, Depends(require(Role.command, Role.district))]
SiteReader = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.sampler))]


@router.get("", response_model=list[schemas.RoundOut])
def list_rounds(db: DbSession, user: RoundReader) -> list:
    return service.list_rounds(db)


@router.get("/{round_id}", response_model=schemas.RoundOut)
def get_round(round_id: PathId, db: DbSession, user: RoundReader):
    return service.get_round(db, round_id)


@router.put("/{round_id}/policies", response_model=schemas.PolicyOut)
def set_policy(round_id: PathId, data: schemas.AreaPolicyIn, db: DbSession, user: PolicySetter):
    return service.set_policy(db, user, round_id, data)


@router.post("/{round_id}/sites", response_model=schemas.SiteOut, status_code=201)
def create_site(round_id: PathId, data: schemas.SiteIn, db: DbSession, user: SitePlanner):
    return service.create_site(db, user, round_id, data)


@router.get("/{round_id}/sites", response_model=list[schemas.SiteOut])
def list_sites(
    round_id: PathId, area_id: Annotated[int, Query(ge=1, le=MAX_ID)], db: DbSession, user: SiteReader
) -> list:
    return service.list_sites(db, user, round_id, area_id=area_id)


@router.get("/{round_id}/routes", response_model=list[schemas.RouteOut])
def list_routes(
    round_id: PathId, area_id: Annotated[int, Query(ge=1, le=MAX_ID)], db: DbSession, user: SiteReader
) -> list:
    return service.list_routes(db, user, round_id, area_id=area_id)


@router.post("/{round_id}/routes", response_model=schemas.RouteOut, status_code=201)
def create_route(round_id: PathId, data: schemas.RouteIn, db: DbSession, user: SitePlanner):
    return service.create_route(db, user, round_id, data)
