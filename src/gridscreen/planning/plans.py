"""A round's site plan in the database: made from the roster's buildings and the city's candidate sites by
the pure solvers (`location`, `slots`, `queues`), stored as sites with desks and a site and arrival slots
per building, and re-made for the buildings of a site that closes mid-round.

Candidate sites are compound squares (up to `max_desks_compound` desks) and each grid's school yard at the
committee's own point (up to `max_desks_school`). Buildings only go to sites of their own subdistrict, the
decomposition that lets the whole city be planned in minutes."""

from __future__ import annotations

import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from gridscreen.areas.models import Area, Level
from gridscreen.auth.principal import Principal, inside
from gridscreen.db import bulk_insert
from gridscreen.planning import service as rounds
from gridscreen.planning.defaults import DEFAULTS
from gridscreen.planning.exceptions import RoundWithoutAreas, SiteNotFound
from gridscreen.planning.location import Instance, SitePlan, plan_sites
from gridscreen.planning.models import BuildingPlan, Site, SitePlanFigures
from gridscreen.planning.queues import arrivals, simulate_queues
from gridscreen.planning.replan import replan
from gridscreen.planning.slots import plan_slots

WINDOW_START = "07:00"  # local time the sampling window opens (DEFAULTS.window_hours long)


@dataclass(eq=False)
class RoundInstance:
    """The round's buildings and candidate sites, in a fixed order, and the solver's instance over them."""

    instance: Instance
    building: np.ndarray  # area ids
    committee: np.ndarray
    compound: np.ndarray
    door: np.ndarray  # people swabbed at their door, per building
    candidate: list[str]  # "C<compound id>" or "S<committee id>"
    site_area: np.ndarray  # the compound or committee area of each candidate
    site_committee: np.ndarray
    site_district: np.ndarray
    site_name: list[str]
    site_latlon: np.ndarray


def round_instance(session: Session, round_id: int) -> RoundInstance:
    """Everything the solvers need, read in four queries."""
    covered = [inside(Area, a.id, Level(a.level)) for a in rounds.block_areas(session, round_id)]
    if not covered:
        raise RoundWithoutAreas(round_id)
    where = or_(*covered)
    cols = (
        Area.id,
        Area.lat,
        Area.lon,
        Area.residents,
        Area.door_to_door,
        Area.subdistrict_id,
        Area.committee_id,
        Area.compound_id,
    )
    buildings = session.execute(select(*cols).where(where, Area.level == Level.building).order_by(Area.id)).all()
    compounds = session.execute(
        select(*cols, Area.name, Area.district_id).where(where, Area.level == Level.compound).order_by(Area.id)
    ).all()
    committees = session.execute(
        select(*cols, Area.name, Area.district_id).where(where, Area.level == Level.committee).order_by(Area.id)
    ).all()
    b = np.array([tuple(r) for r in buildings], dtype=float).reshape(-1, 8)
    places = [(f"C{r.id}", r, DEFAULTS.max_desks_compound, r.committee_id, f"{r.name} 采样点") for r in compounds] + [
        (f"S{r.id}", r, DEFAULTS.max_desks_school, r.id, f"{r.name} 学校操场采样点") for r in committees
    ]
    latlon = np.array([(r.lat, r.lon) for _, r, _, _, _ in places], dtype=float).reshape(-1, 2)
    lat0, lon0 = (np.nanmean(b[:, 1]), np.nanmean(b[:, 2])) if len(b) else (0.0, 0.0)
    instance = Instance.from_defaults(
        np.maximum(b[:, 3] - b[:, 4], 0).astype(np.int64),
        metres_xy(b[:, 1], b[:, 2], lat0, lon0),
        metres_xy(latlon[:, 0], latlon[:, 1], lat0, lon0),
        np.array([d for _, _, d, _, _ in places], dtype=np.int64),
        point_group=b[:, 5].astype(np.int64),
        site_group=np.array([r.subdistrict_id for _, r, _, _, _ in places], dtype=np.int64),
    )
    return RoundInstance(
        instance=instance,
        building=b[:, 0].astype(np.int64),
        committee=b[:, 6].astype(np.int64),
        compound=np.nan_to_num(b[:, 7], nan=0).astype(np.int64),
        door=b[:, 4].astype(np.int64),
        candidate=[c for c, *_ in places],
        site_area=np.array([r.id for _, r, *_ in places], dtype=np.int64),
        site_committee=np.array([c for *_, c, _ in places], dtype=np.int64),
        site_district=np.array([r.district_id for _, r, *_ in places], dtype=np.int64),
        site_name=[n for *_, n in places],
        site_latlon=latlon,
    )


def metres_xy(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Local flat coordinates: good to a few metres across a city."""
    return np.column_stack(((lon - lon0) * 111_320.0 * np.cos(np.radians(lat0)), (lat - lat0) * 110_540.0))


def make_plan(
    session: Session,
    round_id: int,
    *,
    now: datetime,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
) -> SitePlanFigures:
    """Plan the round's sites, desks and arrival slots from scratch and store them (replacing a former
    plan; sites that scans already name are kept, with no desks if not opened again)."""
    rounds.get_round(session, round_id)
    started = clock_time.perf_counter()
    ri = round_instance(session, round_id)
    step = (lambda done, total: progress("sites", done, total)) if progress else None
    plan = plan_sites(ri.instance, seed=seed, progress=step)
    site_ids = _store_sites(session, round_id, ri, plan.desks, plan.load)
    return _store(session, round_id, ri, plan, site_ids, now=now, seed=seed, started=started)


def close_site(session: Session, principal: Principal, round_id: int, site_id: int, *, now: datetime) -> list[int]:
    """A site shuts mid-round: its buildings go elsewhere, nobody else moves. Returns the moved buildings."""
    site = rounds.get_site(session, principal, site_id)
    figures = session.get(SitePlanFigures, round_id)
    if figures is None or site.round_id != round_id or site.candidate is None:
        raise SiteNotFound(site_id)
    ri = round_instance(session, round_id)
    plan = _stored_plan(session, round_id, ri)
    closed = ri.candidate.index(site.candidate)
    result = replan(ri.instance, plan, closed=[closed])
    site.closed_at = now
    site_ids = _store_sites(session, round_id, ri, result.plan.desks, result.plan.load)
    moved = set(result.moved.tolist())
    _store(
        session,
        round_id,
        ri,
        result.plan,
        site_ids,
        now=now,
        seed=figures.seed,
        started=clock_time.perf_counter(),
        moved=moved,
        previous=_stored_slots(session, round_id),
    )
    return sorted(int(ri.building[i]) for i in moved)


def _store_sites(session: Session, round_id: int, ri: RoundInstance, desks: np.ndarray, load: np.ndarray) -> dict:
    """Site ids by candidate index: existing planned sites updated, newly opened ones inserted."""
    existing = {
        s.candidate: s
        for s in session.scalars(select(Site).where(Site.round_id == round_id, Site.candidate.is_not(None)))
    }
    ids: dict[int, int] = {}
    fresh = []
    for k, key in enumerate(ri.candidate):
        site = existing.get(key)
        if site is not None:
            site.desks, site.expected = int(desks[k]), int(load[k])
            site.samplers = DEFAULTS.samplers_for(site.desks)
            ids[k] = site.id
        elif desks[k] > 0:
            fresh.append(k)
    if fresh:
        rows = [
            (
                round_id,
                f"P-{ri.candidate[k]}",
                ri.site_name[k][:100],
                int(ri.site_committee[k]),
                int(ri.site_district[k]),
                float(ri.site_latlon[k, 0]),
                float(ri.site_latlon[k, 1]),
                ri.candidate[k],
                int(desks[k]),
                DEFAULTS.samplers_for(int(desks[k])),
                int(load[k]),
            )
            for k in fresh
        ]
        columns = (
            "round_id",
            "code",
            "name",
            "committee_id",
            "district_id",
            "lat",
            "lon",
            "candidate",
            "desks",
            "samplers",
            "expected",
        )
        session.flush()
        bulk_insert(session.connection(), Site.__tablename__, columns, rows)
        found = session.execute(
            select(Site.candidate, Site.id).where(Site.round_id == round_id, Site.candidate.is_not(None))
        )
        by_key = dict(found.all())
        ids.update({k: by_key[ri.candidate[k]] for k in fresh})
    return ids


def _store(
    session,
    round_id,
    ri: RoundInstance,
    plan: SitePlan,
    site_ids: dict,
    *,
    now,
    seed,
    started,
    moved: set[int] | None = None,
    previous: dict[int, tuple[int, int]] | None = None,
) -> SitePlanFigures:
    persons = np.asarray(ri.instance.persons)
    # Buildings keep their slots when they keep their site; the moved ones queue after those already there.
    late = np.zeros(len(persons), dtype=np.int64)
    if moved:
        late[list(moved)] = 1
    slots = plan_slots(
        persons,
        plan.assignment,
        plan.desks,
        order=late * 10**12 + ri.compound * 10**6 + np.arange(len(persons)) % 10**6,
    )
    first = np.full(len(persons), -1, dtype=np.int64)
    last = np.full(len(persons), -1, dtype=np.int64)
    np.maximum.at(last, slots.point, slots.slot)
    order = np.argsort(slots.slot, kind="stable")[::-1]
    first[slots.point[order]] = slots.slot[order]
    site_of, minute = arrivals(slots, seed=seed)
    queues = simulate_queues(site_of, minute, plan.desks, seed=seed) if len(site_of) else None
    reasons = {u.point: u.reason.value for u in plan.unassigned}
    session.execute(delete(BuildingPlan).where(BuildingPlan.round_id == round_id))
    rows = []
    for i in range(len(persons)):
        k = int(plan.assignment[i])
        keep = previous is not None and moved is not None and i not in moved and int(ri.building[i]) in previous
        slot_pair = previous[int(ri.building[i])] if keep else (int(first[i]), int(last[i]))
        rows.append(
            (
                round_id,
                int(ri.building[i]),
                int(ri.committee[i]),
                site_ids.get(k) if k >= 0 else None,
                int(persons[i]),
                None if k < 0 else float(plan.walk[i]),
                None if slot_pair[0] < 0 else slot_pair[0],
                None if slot_pair[1] < 0 else slot_pair[1],
                reasons.get(i),
            )
        )
    bulk_insert(
        session.connection(),
        BuildingPlan.__tablename__,
        (
            "round_id",
            "building_id",
            "committee_id",
            "site_id",
            "persons",
            "walk_m",
            "first_slot",
            "last_slot",
            "reason",
        ),
        rows,
    )
    placed = plan.assignment >= 0
    weights = persons[placed]
    figures = session.get(SitePlanFigures, round_id) or SitePlanFigures(round_id=round_id)
    values = dict(
        made_at=now,
        seed=seed,
        window_start=WINDOW_START,
        slot_minutes=int(slots.slot_minutes),
        buildings=len(persons),
        persons=int(persons.sum()),
        persons_unassigned=plan.persons_unassigned,
        door_to_door=int(ri.door.sum()),
        sites_open=len(plan.open_sites),
        desks=int(plan.desks.sum()),
        samplers=DEFAULTS.samplers_for(int(plan.desks.sum())),
        mean_walk_m=float((plan.walk[placed] * weights).sum() / max(weights.sum(), 1)),
        max_walk_m=float(np.nanmax(plan.walk[placed], initial=0.0)),
        p95_wait_min=float(queues.overall_p95_wait) if queues else 0.0,
        max_queue=int(queues.overall_max_queue) if queues else 0,
        finish_hours=float(queues.overall_finish) / 60.0 if queues else 0.0,
        seconds=clock_time.perf_counter() - started,
    )
    for key, value in values.items():
        setattr(figures, key, value)
    session.add(figures)
    session.flush()
    return figures


def _stored_plan(session: Session, round_id: int, ri: RoundInstance) -> SitePlan:
    """The stored assignment as the solvers' plan, to re-plan from."""
    index = {int(b): i for i, b in enumerate(ri.building)}
    by_site = dict(session.execute(select(Site.id, Site.candidate).where(Site.round_id == round_id)).all())
    candidate_index = {c: k for k, c in enumerate(ri.candidate)}
    n, m = len(ri.building), len(ri.candidate)
    assignment, walk = np.full(n, -1, dtype=np.int64), np.full(n, np.nan)
    for building, site, metres in session.execute(
        select(BuildingPlan.building_id, BuildingPlan.site_id, BuildingPlan.walk_m).where(
            BuildingPlan.round_id == round_id
        )
    ):
        if building in index and site is not None:
            assignment[index[building]] = candidate_index[by_site[site]]
            walk[index[building]] = metres
    persons = np.asarray(ri.instance.persons)
    load = np.bincount(assignment[assignment >= 0], weights=persons[assignment >= 0], minlength=m)
    desks = np.zeros(m, dtype=np.int64)
    for candidate, count in session.execute(
        select(Site.candidate, Site.desks).where(Site.round_id == round_id, Site.candidate.is_not(None))
    ):
        desks[candidate_index[candidate]] = count
    return SitePlan(assignment=assignment, walk=walk, load=load, desks=desks, unassigned=(), objective=0.0, cost=0.0)


def _stored_slots(session: Session, round_id: int) -> dict[int, tuple[int, int]]:
    query = select(BuildingPlan.building_id, BuildingPlan.first_slot, BuildingPlan.last_slot).where(
        BuildingPlan.round_id == round_id, BuildingPlan.first_slot.is_not(None)
    )
    return {b: (f, last) for b, f, last in session.execute(query)}
