from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gridscreen import clock
from gridscreen.auth.deps import StaffUser, require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.http import DbSession
from gridscreen.ids import MAX_ID, PathId
from gridscreen.planning import plan_queries, plans, route_plans, schemas, service

router = APIRouter(prefix="/api/rounds", tags=["rounds"])

RoundReader = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.sampler, Role.lab))]
SitePlanner = Annotated[Principal, Depends(require(Role.district, Role.subdistrict, Role.grid))]
PolicySetter = Annotated[Principal, Depends(require(Role.command, Role.district))]
SiteReader = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.sampler))]
Commander = Annotated[Principal, Depends(require(Role.command))]


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


@router.post("/{round_id}/plan", response_model=schemas.PlanOut)
def make_plan(round_id: PathId, db: DbSession, user: Commander, seed: Annotated[int, Query(ge=0, le=2**31)] = 0):
    """(Re)plan the round's sites, desks and arrival slots for every building it covers. A city takes
    minutes: the command centre usually runs `gridscreen plan make` instead."""
    return plans.make_plan(db, round_id, now=clock.now(), seed=seed)


@router.get("/{round_id}/plan", response_model=schemas.PlanOut)
def get_plan(round_id: PathId, db: DbSession, user: StaffUser):
    """The plan's figures: sites, desks, samplers, walking, the simulated p95 wait and finish time."""
    return plan_queries.get_plan(db, round_id)


@router.get("/{round_id}/plan/buildings", response_model=list[schemas.BuildingPlanOut])
def building_plans(
    round_id: PathId, area_id: Annotated[int, Query(ge=1, le=MAX_ID)], db: DbSession, user: SiteReader
) -> list:
    """Each building of a grid (or compound): its site, walk and arrival slot, or why it has none."""
    return plan_queries.building_plans(db, user, round_id, area_id)


@router.post("/{round_id}/sites/{site_id}/close", response_model=schemas.ClosedSiteOut)
def close_site(round_id: PathId, site_id: PathId, db: DbSession, user: PolicySetter):
    """A site shuts mid-round: its buildings go to the nearest sites with room; nobody else moves."""
    moved = plans.close_site(db, user, round_id, site_id, now=clock.now())
    return schemas.ClosedSiteOut(site_id=site_id, moved_buildings=moved)


@router.get("/{round_id}/routes", response_model=list[schemas.RouteOut])
def list_routes(
    round_id: PathId, area_id: Annotated[int, Query(ge=1, le=MAX_ID)], db: DbSession, user: SiteReader
) -> list:
    """The door-to-door routes of an area, each with its households in visiting order once planned."""
    routes = service.list_routes(db, user, round_id, area_id=area_id)
    stops = route_plans.route_stops(db, [r.id for r in routes])
    return [
        schemas.RouteOut(id=r.id, round_id=r.round_id, code=r.code, committee_id=r.committee_id, stops=[
            schemas.RouteStopOut(household_id=h, arrive=f"{m // 60:02d}:{m % 60:02d}") for h, m in stops[r.id]])
        for r in routes
    ]  # fmt: skip


@router.post("/{round_id}/routes/plan", response_model=schemas.GridRoutesOut)
def plan_routes(
    round_id: PathId, area_id: Annotated[int, Query(ge=1, le=MAX_ID)], db: DbSession, user: SitePlanner,
    seed: Annotated[int, Query(ge=0, le=2**31)] = 0,
):  # fmt: skip
    """Plan (again) a grid's door-to-door routes: the immobile, the pooled positives on hold, the resamples."""
    return route_plans.plan_grid_routes(db, user, round_id, area_id, seed=seed).__dict__


@router.post("/{round_id}/routes", response_model=schemas.RouteOut, status_code=201)
def create_route(round_id: PathId, data: schemas.RouteIn, db: DbSession, user: SitePlanner):
    return service.create_route(db, user, round_id, data)
