"""Site plan pages: a round's plan for an area (its figures, the map of sites and catchments, the sites
with their desks), a printable schedule per site, and closing a site mid-round."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.areas.models import Level
from gridscreen.auth.deps import StaffUser
from gridscreen.auth.models import Role
from gridscreen.dashboard import charts
from gridscreen.http import DbSession
from gridscreen.ids import MAX_ID, PathId
from gridscreen.planning import plan_queries, plans
from gridscreen.planning import service as rounds
from gridscreen.planning.router import PolicySetter, SiteReader
from gridscreen.web.pages import render

router = APIRouter(include_in_schema=False)
MAPPED = (Level.subdistrict, Level.committee, Level.compound, Level.building)


@router.get("/rounds/{round_id}/plan", response_class=HTMLResponse)
def plan_page(
    request: Request,
    round_id: PathId,
    db: DbSession,
    user: StaffUser,
    area_id: Annotated[int, Query(alias="area", ge=1, le=MAX_ID)],
):
    figures = plan_queries.get_plan(db, round_id)
    area = areas.get_area(db, user, area_id)
    drawn = None
    if area.level in MAPPED:
        found = plan_queries.catchments(db, user, round_id, area.id)
        drawn = charts.catchment_map(found.buildings, found.sites)
    sites = sorted(rounds.list_sites(db, user, round_id, area_id=area.id), key=lambda s: (-s.desks, s.code))
    return render(
        request, "plan.html", round=rounds.get_round(db, round_id), figures=figures, area=area,
        ancestors=areas.visible_ancestors(db, user, area), drawn=drawn, sites=sites[:200], more=len(sites) > 200,
        can_close=user.role in (Role.command, Role.district),
    )  # fmt: skip


@router.get("/sites/{site_id}/plan", response_class=HTMLResponse)
def site_plan_page(request: Request, site_id: PathId, db: DbSession, user: SiteReader):
    site, schedule = plan_queries.site_schedule(db, user, site_id)
    figures = plan_queries.get_plan(db, site.round_id)
    return render(request, "site_plan.html", site=site, schedule=schedule, figures=figures)


@router.post("/rounds/{round_id}/sites/{site_id}/close")
def close_site(round_id: PathId, site_id: PathId, db: DbSession, user: PolicySetter, area: int | None = None):
    plans.close_site(db, user, round_id, site_id, now=clock.now())
    site = rounds.get_site(db, user, site_id)
    return RedirectResponse(f"/rounds/{round_id}/plan?area={area or site.committee_id}", status_code=303)
