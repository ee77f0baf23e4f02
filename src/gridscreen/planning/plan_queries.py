"""Reading a round's site plan: its figures, each building's site and slot, a site's schedule, the map."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen.areas import service as areas
from gridscreen.areas.exceptions import NotAGrid
from gridscreen.areas.models import Area, Level
from gridscreen.auth.principal import Principal, inside
from gridscreen.planning import service as rounds
from gridscreen.planning.exceptions import NoPlan
from gridscreen.planning.models import BuildingPlan, Site, SitePlanFigures
from gridscreen.planning.schemas import BuildingPlanOut


def get_plan(session: Session, round_id: int) -> SitePlanFigures:
    rounds.get_round(session, round_id)
    figures = session.get(SitePlanFigures, round_id)
    if figures is None:
        raise NoPlan(round_id)
    return figures


def building_plans(session: Session, principal: Principal, round_id: int, area_id: int) -> list[BuildingPlanOut]:
    """Where and when each building of a grid (or smaller area) goes, for its notices and its grid worker."""
    figures = get_plan(session, round_id)
    area = areas.get_area(session, principal, area_id)
    if area.level not in (Level.committee, Level.compound, Level.building):
        raise NotAGrid(area_id)
    grid_id = area.committee_id if area.level != Level.committee else area.id
    rows = session.execute(
        select(BuildingPlan, Area.name, Site.name)
        .join(Area, Area.id == BuildingPlan.building_id)
        .outerjoin(Site, Site.id == BuildingPlan.site_id)
        .where(BuildingPlan.round_id == round_id, BuildingPlan.committee_id == grid_id, inside(Area, area.id,
               Level(area.level)))
        .order_by(BuildingPlan.first_slot, Area.code)
    ).all()  # fmt: skip
    return [
        BuildingPlanOut(building_id=b.building_id, name=name, site_id=b.site_id, site=site, persons=b.persons,
                        walk_m=b.walk_m, slot=rounds.slot_text(figures, b.first_slot, b.last_slot), reason=b.reason)
        for b, name, site in rows
    ]  # fmt: skip


def site_schedule(session: Session, principal: Principal, site_id: int) -> tuple[Site, list[tuple[str, list, int]]]:
    """A site's slots in order: (clock times, its buildings, persons expected)."""
    site = rounds.get_site(session, principal, site_id)
    figures = get_plan(session, site.round_id)
    rows = session.execute(
        select(BuildingPlan, Area.name).join(Area, Area.id == BuildingPlan.building_id)
        .where(BuildingPlan.round_id == site.round_id, BuildingPlan.site_id == site.id)
        .order_by(BuildingPlan.first_slot, Area.code)
    ).all()  # fmt: skip
    slots: dict[int, tuple[list, int]] = {}
    for plan, name in rows:
        buildings, persons = slots.get(plan.first_slot, ([], 0))
        buildings.append(name)
        slots[plan.first_slot] = (buildings, persons + plan.persons)
    return site, [(rounds.slot_text(figures, k, k), b, n) for k, (b, n) in sorted(slots.items(), key=lambda i: i[0])]


@dataclass(frozen=True)
class Catchments:
    """What the plan map of an area draws: each building and its site, in (lat, lon)."""

    buildings: list[tuple[float, float, int | None, int]]  # lat, lon, site id, persons
    sites: list[tuple[int, str, float, float, int, int, bool]]  # id, name, lat, lon, desks, expected, closed


def catchments(session: Session, principal: Principal, round_id: int, area_id: int, limit: int = 20_000) -> Catchments:
    """The buildings of an area (a subdistrict or smaller) with their sites, for the plan map."""
    get_plan(session, round_id)
    area = areas.get_area(session, principal, area_id)
    rows = session.execute(
        select(Area.lat, Area.lon, BuildingPlan.site_id, BuildingPlan.persons)
        .join(Area, Area.id == BuildingPlan.building_id)
        .where(BuildingPlan.round_id == round_id, inside(Area, area.id, Level(area.level)))
        .limit(limit)
    ).all()
    site_ids = {r.site_id for r in rows if r.site_id is not None}
    sites = session.execute(
        select(Site.id, Site.name, Site.lat, Site.lon, Site.desks, Site.expected, Site.closed_at).where(
            Site.id.in_(site_ids))
    ).all() if site_ids else []  # fmt: skip
    return Catchments(
        buildings=[(r.lat, r.lon, r.site_id, r.persons) for r in rows if r.lat is not None],
        sites=[(s.id, s.name, s.lat, s.lon, s.desks, s.expected, s.closed_at is not None) for s in sites],
    )
