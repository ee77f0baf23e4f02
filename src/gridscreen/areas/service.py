"""Reading the area hierarchy within a caller's scope, and keeping its counts up to date."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from gridscreen.areas.exceptions import AreaNotFound, NotAGrid
from gridscreen.areas.models import Area, Block, BlockArea, Level
from gridscreen.auth.principal import Principal


def get_area(session: Session, principal: Principal, area_id: int) -> Area:
    area = session.get(Area, area_id)
    if area is None or not principal.covers(area):
        raise AreaNotFound(area_id)
    return area


def get_grid(session: Session, principal: Principal, area_id: int) -> Area:
    """A committee (grid) inside the caller's areas."""
    grid = get_area(session, principal, area_id)
    if grid.level != Level.committee:
        raise NotAGrid(area_id)
    return grid


def top_areas(session: Session, principal: Principal) -> list[Area]:
    """The caller's own areas: where browsing starts."""
    ids = [g.area_id for g in principal.grants]
    return list(session.scalars(select(Area).where(Area.id.in_(ids)).order_by(Area.code))) if ids else []


def list_areas(
    session: Session,
    principal: Principal,
    *,
    parent_id: int | None = None,
    level: Level | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Area], int]:
    """Areas inside the caller's scope, filtered; returns one page and the total."""
    query = select(Area).where(principal.area_clause(Area))
    if parent_id is not None:
        get_area(session, principal, parent_id)
        query = query.where(Area.parent_id == parent_id)
    if level is not None:
        query = query.where(Area.level == level)
    if q:
        query = query.where(Area.name.contains(q, autoescape=True) | (Area.code == q))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Area.code).limit(limit).offset(offset))
    return list(items), total


def ancestors(session: Session, area: Area) -> list[Area]:
    """From the city down to the area's parent."""
    chain: list[Area] = []
    parent_id = area.parent_id
    while parent_id is not None:
        parent = session.get(Area, parent_id)
        if parent is None:
            break
        chain.append(parent)
        parent_id = parent.parent_id
    return chain[::-1]


def visible_ancestors(session: Session, principal: Principal, area: Area) -> list[Area]:
    return [a for a in ancestors(session, area) if principal.covers(a)]


def adjust_counts(
    session: Session, building: Area, *, residents: int = 0, households: int = 0, door_to_door: int = 0
) -> None:
    """Add to the counts of a building and every area above it (kept on write; pages never count rows)."""
    if building.level != Level.building:
        raise ValueError("counts are adjusted from a building")
    add_to_counts(session, {building.id: (residents, households, door_to_door)})


def add_to_counts(session: Session, changes: dict[int, tuple[int, int, int]]) -> None:
    """Many buildings' (residents, households, door_to_door) changes at once, added up the tree: batch work
    moves thousands of people. Areas the session has loaded read the new counts."""
    parent_of: dict[int, int | None] = {}
    wanted = set(changes)
    while wanted:
        rows = session.execute(select(Area.id, Area.parent_id).where(Area.id.in_(wanted))).all()
        parent_of.update(rows)
        wanted = {p for _, p in rows if p is not None and p not in parent_of}
    totals: dict[int, list[int]] = {}
    for building, change in changes.items():
        area: int | None = building
        while area is not None:
            total = totals.setdefault(area, [0, 0, 0])
            for k in range(3):
                total[k] += change[k]
            area = parent_of.get(area)
    rows = [dict(id=a, r=t[0], h=t[1], d=t[2]) for a, t in sorted(totals.items()) if any(t)]
    if rows:
        session.execute(
            text("UPDATE area SET residents = residents + :r, households = households + :h, "
                 "door_to_door = door_to_door + :d WHERE id = :id"),
            rows,
        )  # fmt: skip
    for row in rows:
        if (loaded := session.identity_map.get(identity_key(Area, row["id"]))) is not None:
            session.expire(loaded, ["residents", "households", "door_to_door"])


def list_blocks(session: Session) -> list[tuple[Block, list[int]]]:
    blocks = list(session.scalars(select(Block).order_by(Block.start_date, Block.code)))
    members: dict[int, list[int]] = {b.id: [] for b in blocks}
    for block_id, area_id in session.execute(select(BlockArea.block_id, BlockArea.area_id)):
        members[block_id].append(area_id)
    return [(b, sorted(members[b.id])) for b in blocks]
