"""Rounds, their per-area zone and pooling policy, sampling sites and door-to-door routes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Block, BlockArea, Level
from gridscreen.auth.principal import Principal, inside
from gridscreen.db import fetch, one_of
from gridscreen.errors import NotFound
from gridscreen.planning.exceptions import (
    RoundCodeTaken,
    RoundNotFound,
    RoundNotRunning,
    RouteNotFound,
    SiteNotFound,
)
from gridscreen.planning.models import (
    BuildingPlan,
    Pooling,
    Round,
    RoundArea,
    RoundBlock,
    RoundStatus,
    Route,
    Site,
    SitePlanFigures,
    Zone,
)
from gridscreen.planning.schemas import AreaPolicyIn, RoundIn, RouteIn, SiteIn

DEFAULT_POLICY = (Zone.precaution, Pooling.pooled, 10)


def get_round(session: Session, round_id: int) -> Round:
    found = session.get(Round, round_id)
    if found is None:
        raise RoundNotFound(round_id)
    return found


def ensure_running(session: Session, round_id: int) -> None:
    """RoundNotFound or RoundNotRunning unless the round takes work now (one driver query: every scan batch asks)."""
    session.flush()  # the driver does not flush the session's pending changes for itself
    row = next(iter(fetch(session.connection(), "SELECT code, status FROM round WHERE id = ?", (round_id,))), None)
    if row is None:
        raise RoundNotFound(round_id)
    if row[1] != RoundStatus.running:
        raise RoundNotRunning(row[0])


def list_rounds(session: Session) -> list[Round]:
    return list(session.scalars(select(Round).order_by(Round.created_at.desc(), Round.id.desc())))


def create_round(session: Session, data: RoundIn, *, now: datetime) -> Round:
    """A new running round over some blocks, each block area with the default policy unless one is given."""
    if session.scalar(select(Round.id).where(Round.code == data.code)) is not None:
        raise RoundCodeTaken(data.code)
    if data.previous_round_id is not None:
        get_round(session, data.previous_round_id)
    new = Round(
        code=data.code,
        name=data.name,
        status=RoundStatus.running,
        previous_round_id=data.previous_round_id,
        created_at=now,
    )
    session.add(new)
    session.flush()
    members: list[Area] = []
    for item in data.blocks:
        if session.get(Block, item.block_id) is None:
            raise NotFound("block {block_id} does not exist", block_id=item.block_id)
        session.add(RoundBlock(round_id=new.id, block_id=item.block_id, sample_date=item.sample_date))
        member_ids = session.scalars(select(BlockArea.area_id).where(BlockArea.block_id == item.block_id))
        members.extend(session.get(Area, area_id) for area_id in member_ids)
    zone, pool, size = DEFAULT_POLICY
    policies = {a.id: AreaPolicyIn(area_id=a.id, zone=zone, pooling=pool, pool_size=size) for a in members}
    for policy in data.policies:
        if session.get(Area, policy.area_id) is None:
            raise NotFound("area {area_id} does not exist", area_id=policy.area_id)
        policies[policy.area_id] = policy
    session.add_all(RoundArea(round_id=new.id, **p.model_dump()) for p in policies.values())
    session.flush()
    return new


def block_areas(session: Session, round_id: int) -> list[Area]:
    """The areas of every block the round covers."""
    return list(
        session.scalars(
            select(Area)
            .join(BlockArea, BlockArea.area_id == Area.id)
            .join(RoundBlock, RoundBlock.block_id == BlockArea.block_id)
            .where(RoundBlock.round_id == round_id)
        )
    )


def notice_for(session: Session, building: Area) -> tuple[Round, date | None, list[Site], str | None] | None:
    """For a household's notice: the newest running round covering its building, the day its block is
    sampled, where to go (the planned site, or the grid's sites before there is a plan) and the arrival
    slot ("07:30–08:00") when planned. None when no running round covers it. The caller has checked access."""
    chain = {building.id, building.district_id, building.subdistrict_id, building.committee_id, building.compound_id}
    rows = session.execute(
        select(Round, RoundBlock.sample_date)
        .join(RoundBlock, RoundBlock.round_id == Round.id)
        .join(BlockArea, BlockArea.block_id == RoundBlock.block_id)
        .where(Round.status == RoundStatus.running, BlockArea.area_id.in_([a for a in chain if a]))
        .order_by(Round.created_at.desc(), Round.id.desc())
        .limit(1)
    ).first()
    if rows is None:
        return None
    found, day = rows
    planned = session.get(BuildingPlan, (found.id, building.id))
    if planned is not None and planned.site_id is not None:
        figures = session.get(SitePlanFigures, found.id)
        return (
            found,
            day,
            [session.get(Site, planned.site_id)],
            slot_text(figures, planned.first_slot, planned.last_slot),
        )
    sites = session.scalars(
        select(Site).where(Site.round_id == found.id, Site.committee_id == building.committee_id).order_by(Site.code)
    )
    return found, day, list(sites), None


def slot_text(figures: SitePlanFigures, first: int | None, last: int | None) -> str | None:
    """A building's arrival slot as local clock times, e.g. "07:30–08:30"."""
    if first is None or figures is None:
        return None
    hours, minutes = (int(x) for x in figures.window_start.split(":"))
    start = hours * 60 + minutes + first * figures.slot_minutes
    end = hours * 60 + minutes + ((last if last is not None else first) + 1) * figures.slot_minutes
    return f"{start // 60 % 24:02d}:{start % 60:02d}–{end // 60 % 24:02d}:{end % 60:02d}"


def policies_for(session: Session, round_id: int, buildings: Iterable[Area]) -> dict[int, RoundArea]:
    """The policy that applies in each building: the most specific area of the round covering it.

    Every scan batch asks, so the rows come through the driver, the city's row with the others."""
    chains: dict[int, list[int]] = {}
    for b in buildings:
        chain = [b.id, b.compound_id, b.committee_id, b.subdistrict_id, b.district_id]
        chains[b.id] = [i for i in chain if i is not None]
    wanted = {i for chain in chains.values() for i in chain}
    conn = session.connection()
    condition, values = one_of(conn, "area_id", wanted)
    rows = fetch(
        conn,
        f"SELECT area_id, zone, pooling, pool_size, 0 FROM round_area WHERE round_id = ? AND {condition} UNION ALL "
        "SELECT r.area_id, r.zone, r.pooling, r.pool_size, 1 FROM round_area r JOIN area a ON a.id = r.area_id "
        "WHERE r.round_id = ? AND a.level = ?",
        (round_id, values, round_id, Level.city.value),
    )
    found = {
        area_id: RoundArea(round_id=round_id, area_id=area_id, zone=zone, pooling=pooling, pool_size=size)
        for area_id, zone, pooling, size, _city in rows
    }
    city = next((found[r[0]] for r in rows if r[4]), None) or _default_policy(round_id)
    return {building: next((found[i] for i in chain if i in found), city) for building, chain in chains.items()}


def _default_policy(round_id: int) -> RoundArea:
    """What applies where the round sets nothing (area_id 0: not stored)."""
    zone, pooling, size = DEFAULT_POLICY
    return RoundArea(round_id=round_id, area_id=0, zone=zone, pooling=pooling, pool_size=size)


def policy_of_area(session: Session, round_id: int, area: Area) -> RoundArea | None:
    """The policy set for an area or the nearest area above it; None when only the city default applies."""
    policy = policies_for(session, round_id, [area])[area.id]
    return policy if policy.area_id else None


def set_policy(session: Session, principal: Principal, round_id: int, data: AreaPolicyIn) -> RoundArea:
    get_round(session, round_id)
    areas.get_area(session, principal, data.area_id)
    row = session.get(RoundArea, (round_id, data.area_id))
    if row is None:
        row = RoundArea(round_id=round_id, area_id=data.area_id)
        session.add(row)
    row.zone, row.pooling, row.pool_size = data.zone, data.pooling, data.pool_size
    session.flush()
    return row


def create_site(session: Session, principal: Principal, round_id: int, data: SiteIn) -> Site:
    return _place_in_grid(session, principal, round_id, Site, data)


def create_route(session: Session, principal: Principal, round_id: int, data: RouteIn) -> Route:
    return _place_in_grid(session, principal, round_id, Route, data)


def _place_in_grid(session: Session, principal: Principal, round_id: int, model, data):
    """A site or route of a running round, in a grid of the caller's."""
    ensure_running(session, round_id)
    grid = areas.get_grid(session, principal, data.committee_id)
    place = model(round_id=round_id, district_id=grid.district_id, **data.model_dump())
    session.add(place)
    session.flush()
    return place


def get_site(session: Session, principal: Principal, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None or not principal.covers(session.get(Area, site.committee_id)):
        raise SiteNotFound(site_id)
    return site


def get_route(session: Session, principal: Principal, route_id: int) -> Route:
    route = session.get(Route, route_id)
    if route is None or not principal.covers(session.get(Area, route.committee_id)):
        raise RouteNotFound(route_id)
    return route


def place_grids(
    session: Session, principal: Principal, *, site_ids: Iterable[int], route_ids: Iterable[int]
) -> dict[tuple[str, int], Area]:
    """The grid of each site and route, keyed ("site", id) and ("route", id), in one query (every scan batch
    asks). As in get_site and get_route, a place outside the caller's areas is one that does not exist."""
    site_ids, route_ids = set(site_ids), set(route_ids)
    if not site_ids and not route_ids:
        return {}
    conn = session.connection()
    sites, site_values = one_of(conn, "p.id", site_ids)
    routes, route_values = one_of(conn, "p.id", route_ids)
    columns = "a.id, a.level, a.district_id, a.subdistrict_id, a.committee_id, a.compound_id"
    rows = fetch(
        conn,
        f"SELECT 'site', p.id, {columns} FROM site p JOIN area a ON a.id = p.committee_id WHERE {sites} UNION ALL "
        f"SELECT 'route', p.id, {columns} FROM route p JOIN area a ON a.id = p.committee_id WHERE {routes}",
        (site_values, route_values),
    )
    grids = {
        (kind, place): Area(id=i, level=level, district_id=d, subdistrict_id=sd, committee_id=c, compound_id=cp)
        for kind, place, i, level, d, sd, c, cp in rows
    }
    for kind, ids, missing in (("site", site_ids, SiteNotFound), ("route", route_ids, RouteNotFound)):
        for place in sorted(ids):
            grid = grids.get((kind, place))
            if grid is None or not principal.covers(grid):
                raise missing(place)
    return grids


def list_sites(session: Session, principal: Principal, round_id: int, *, area_id: int) -> list[Site]:
    """The round's sites inside an area of the caller's."""
    return _places_in(session, principal, Site, round_id, area_id)


def list_routes(session: Session, principal: Principal, round_id: int, *, area_id: int) -> list[Route]:
    """The round's door-to-door routes inside an area of the caller's."""
    return _places_in(session, principal, Route, round_id, area_id)


def _places_in(session: Session, principal: Principal, model, round_id: int, area_id: int) -> list:
    get_round(session, round_id)
    area = areas.get_area(session, principal, area_id)
    grids = aliased(Area)
    return list(
        session.scalars(
            select(model)
            .join(grids, grids.id == model.committee_id)
            .where(model.round_id == round_id, inside(grids, area.id, Level(area.level)))
            .order_by(model.code)
        )
    )
