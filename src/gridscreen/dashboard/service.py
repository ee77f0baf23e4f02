"""The command centre's overview of a round in an area: coverage, progress over time, lab backlog, retests
and a map of the grids. Every figure is read from counts kept on write (grid, hour, box), never by counting
scans or tubes per request."""

from __future__ import annotations

import statistics
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session, aliased

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth.principal import Principal, inside
from gridscreen.coverage import service as coverage
from gridscreen.dashboard.exceptions import LiveSupport, NotADistrictOrCity
from gridscreen.dashboard.models import REPORTED, SupportKind, SupportReport, SupportThreshold
from gridscreen.dashboard.schemas import (
    GridPoint,
    LabBacklog,
    Overview,
    ProgressPoint,
    SupportOut,
    SupportReportIn,
    ThresholdsIn,
    TrendPoint,
)
from gridscreen.lab.models import Lab, Shipment, ShipmentStatus
from gridscreen.planning import service as planning
from gridscreen.sampling.models import GridCount, ProgressCount, RetestOrder

Grid = aliased(Area, name="grid")
RECENT_BOXES = 500  # finished boxes the turnaround is taken over
DASHBOARD_LEVELS = (Level.city, Level.district, Level.subdistrict, Level.committee)


def overview(session: Session, principal: Principal, round_id: int, area_id: int, *, now: datetime) -> Overview:
    planning.get_round(session, round_id)
    area = areas.get_area(session, principal, area_id)
    within = inside(Grid, area.id, Level(area.level))
    return Overview(
        round_id=round_id,
        coverage=coverage.coverage(session, principal, round_id, area.id),
        progress=progress(session, round_id, within),
        labs=lab_backlog(session, round_id, within, now=now),
        pools_overdue=_overdue(session, round_id, within, now, distinct(RetestOrder.source_tube_id), pooled=True),
        retests_overdue=_overdue(session, round_id, within, now, RetestOrder.id, pooled=False),
        grids=grid_points(session, round_id, within),
        at=now,
    )


def progress(session: Session, round_id: int, within) -> list[ProgressPoint]:
    columns = ("scans", "persons", "tubes", "tubes_resulted", "persons_resulted")
    rows = session.execute(
        select(ProgressCount.hour, *(func.sum(getattr(ProgressCount, c)) for c in columns))
        .join(Grid, Grid.id == ProgressCount.committee_id)
        .where(ProgressCount.round_id == round_id, within)
        .group_by(ProgressCount.hour)
        .order_by(ProgressCount.hour)
    ).all()
    points, totals = [], dict.fromkeys(columns, 0)
    for hour, *sums in rows:
        counts = dict(zip(columns, (int(s or 0) for s in sums), strict=True))
        for c in columns:
            totals[c] += counts[c]
        points.append(
            ProgressPoint(
                hour=clock.aware(hour),
                **counts,
                persons_total=totals["persons"],
                tubes_total=totals["tubes"],
                tubes_resulted_total=totals["tubes_resulted"],
                persons_resulted_total=totals["persons_resulted"],
            )
        )
    return points


def lab_backlog(session: Session, round_id: int, within, *, now: datetime) -> list[LabBacklog]:
    """Per lab, the boxes that came from the area: tubes on the way, waiting, resulted; busiest first."""
    packed = Shipment.status == ShipmentStatus.packed
    open_box = (Shipment.status == ShipmentStatus.received) & (Shipment.resulted < Shipment.arrived)
    rows = session.execute(
        select(
            Lab,
            func.sum(case((packed, Shipment.tubes), else_=0)),
            func.sum(Shipment.arrived),
            func.sum(Shipment.resulted),
            func.min(case((open_box, Shipment.received_at))),
        )
        .join(Shipment, Shipment.lab_id == Lab.id)
        .join(Grid, Grid.id == Shipment.committee_id)
        .where(Shipment.round_id == round_id, within)
        .group_by(Lab.id)
    ).all()
    turnaround = _turnarounds(session, round_id, within)
    found = []
    for lab, in_transit, arrived, resulted, oldest in rows:
        waiting = int(arrived or 0) - int(resulted or 0)
        found.append(
            LabBacklog(
                lab_id=lab.id,
                code=lab.code,
                name=lab.name,
                tubes_per_day=lab.tubes_per_day,
                in_transit=int(in_transit or 0),
                arrived=int(arrived or 0),
                resulted=int(resulted or 0),
                waiting=waiting,
                oldest_waiting_since=clock.aware(oldest),
                backlog_hours=round(waiting * 24 / lab.tubes_per_day, 1) if lab.tubes_per_day else 0.0,
                turnaround_hours=turnaround.get(lab.id),
            )
        )
    return sorted(found, key=lambda b: (-b.waiting, -b.in_transit, b.code))


def _turnarounds(session: Session, round_id: int, within) -> dict[int, float]:
    """Per lab, the median hours from a box's arrival to its last result, over its latest finished boxes
    (one query: a round has some thousands of boxes)."""
    done = session.execute(
        select(Shipment.lab_id, Shipment.received_at, Shipment.done_at)
        .join(Grid, Grid.id == Shipment.committee_id)
        .where(Shipment.round_id == round_id, Shipment.done_at.is_not(None), Shipment.received_at.is_not(None), within)
        .order_by(Shipment.done_at.desc())
    ).all()
    hours: dict[int, list[float]] = {}
    for lab_id, start, end in done:
        recent = hours.setdefault(lab_id, [])
        if len(recent) < RECENT_BOXES:
            recent.append((clock.aware(end) - clock.aware(start)).total_seconds() / 3600)
    return {lab_id: round(statistics.median(h), 2) for lab_id, h in hours.items()}


def _overdue(session: Session, round_id: int, within, now: datetime, counted, *, pooled: bool) -> int:
    query = (
        select(func.count(counted))
        .join(Grid, Grid.id == RetestOrder.committee_id)
        .where(RetestOrder.round_id == round_id, RetestOrder.done_at.is_(None), RetestOrder.due_at < now, within)
    )
    if pooled:
        query = query.where(RetestOrder.reason == "pooled_positive")
    return session.scalar(query) or 0


def grid_points(session: Session, round_id: int, within) -> list[GridPoint]:
    """Every grid in the area with a place on the map, and its persons expected and sampled."""
    sampled = GridCount.persons - GridCount.not_sampled - GridCount.to_resample
    rows = session.execute(
        select(Grid.id, Grid.name, Grid.lat, Grid.lon, GridCount.persons, sampled)
        .join(GridCount, GridCount.committee_id == Grid.id)
        .where(GridCount.round_id == round_id, within, Grid.lat.is_not(None), Grid.lon.is_not(None))
    ).all()
    return [GridPoint(area_id=i, name=n, lat=la, lon=lo, expected=e, sampled=s) for i, n, la, lo, e, s in rows]


# Until the command centre sets its own: amber when less than the whole need is met, red under 80%.
DEFAULT_THRESHOLDS = ThresholdsIn(amber_below=1.0, red_below=0.8)
TREND_DAYS = 7


def support_state(have: int, need: int, thresholds: ThresholdsIn) -> str:
    """Red, amber or green by the share of the need that is met; no need at all is green."""
    if need <= 0:
        return "green"
    met = have / need
    return "red" if met < thresholds.red_below else "amber" if met < thresholds.amber_below else "green"


def thresholds(session: Session) -> dict[SupportKind, ThresholdsIn]:
    stored = {t.kind: t for t in session.scalars(select(SupportThreshold))}
    return {
        kind: ThresholdsIn(amber_below=stored[kind].amber_below, red_below=stored[kind].red_below)
        if kind in stored
        else DEFAULT_THRESHOLDS
        for kind in SupportKind
    }


def set_thresholds(
    session: Session, principal: Principal, kind: SupportKind, data: ThresholdsIn, *, now: datetime
) -> SupportThreshold:
    row = session.get(SupportThreshold, kind.value, with_for_update=True)
    if row is None:
        row = SupportThreshold(kind=kind.value)
        session.add(row)
    row.amber_below, row.red_below, row.set_by, row.set_at = data.amber_below, data.red_below, principal.user_id, now
    session.flush()
    return row


def report_support(
    session: Session, principal: Principal, kind: SupportKind, data: SupportReportIn, *, now: datetime
) -> SupportReport:
    """A district's (or the city's) figure for a day; the same day again replaces it."""
    if kind not in REPORTED:
        raise LiveSupport(kind.value)
    area = areas.get_area(session, principal, data.area_id)
    if area.level not in (Level.city, Level.district):
        raise NotADistrictOrCity(area.id)
    row = session.scalar(
        select(SupportReport)
        .where(SupportReport.kind == kind.value, SupportReport.area_id == area.id, SupportReport.day == data.day)
        .with_for_update()
    )
    if row is None:
        district_id = area.ancestor_id(Level.district)
        row = SupportReport(kind=kind.value, area_id=area.id, district_id=district_id, day=data.day)
        session.add(row)
    row.have, row.need, row.reported_by, row.reported_at = data.have, data.need, principal.user_id, now
    session.flush()
    return row


def support_area(session: Session, principal: Principal, area_id: int) -> Area:
    """Supports are kept for the city and per district: an area below a district answers with its district
    (district-wide figures, nothing personal, so a grid may see its own district's)."""
    area = areas.get_area(session, principal, area_id)
    if area.level in (Level.city, Level.district):
        return area
    return session.get(Area, area.district_id)


def supports(
    session: Session,
    principal: Principal,
    area_id: int,
    *,
    round_id: int | None,
    now: datetime,
    overview: Overview | None = None,
) -> list[SupportOut]:
    """The five key supports of an area (the city or a district; below that, its district's). A page that
    has the area's overview for the round already passes it, so its labs and figures are not read twice."""
    area = support_area(session, principal, area_id)
    limits = thresholds(session)
    if overview is not None and (overview.round_id, overview.coverage.area.area_id) != (round_id, area.id):
        overview = None
    found = [_testing(session, area, round_id, now, limits[SupportKind.testing], overview)]
    for kind in REPORTED:
        trend = _reported(session, area, kind)
        last = trend[-1] if trend else None
        found.append(
            SupportOut(
                kind=kind,
                have=last.have if last else None,
                need=last.need if last else None,
                day=last.day if last else None,
                state=support_state(last.have, last.need, limits[kind]) if last else "unknown",
                amber_below=limits[kind].amber_below,
                red_below=limits[kind].red_below,
                trend=trend,
            )
        )
    return found


def _reported(session: Session, area: Area, kind: SupportKind) -> list[TrendPoint]:
    """The latest TREND_DAYS days of an area's figures, oldest first. The city's day is its own report when it
    made one, else the sum of its districts' reports."""
    of_kind = SupportReport.kind == kind.value
    own = {
        day: (have, need)
        for day, have, need in session.execute(
            select(SupportReport.day, SupportReport.have, SupportReport.need)
            .where(of_kind, SupportReport.area_id == area.id)
            .order_by(SupportReport.day.desc())
            .limit(TREND_DAYS)
        )
    }
    days = dict(own)
    if area.level == Level.city:
        summed = session.execute(
            select(SupportReport.day, func.sum(SupportReport.have), func.sum(SupportReport.need))
            .where(of_kind, SupportReport.district_id.is_not(None))
            .group_by(SupportReport.day)
            .order_by(SupportReport.day.desc())
            .limit(TREND_DAYS)
        )
        for day, have, need in summed:
            days.setdefault(day, (int(have), int(need)))
    latest = sorted(days)[-TREND_DAYS:]
    return [TrendPoint(day=d, have=days[d][0], need=days[d][1]) for d in latest]


def _testing(session, area: Area, round_id: int | None, now: datetime, limits, overview) -> SupportOut:
    """Tubes the labs can test in a day against the tubes still to test: waiting, on the way, and the tubes
    the people still missing will fill (at the round's own tubes per person so far)."""
    within = inside(Grid, area.id, Level(area.level))
    if overview is not None:
        labs = overview.labs
    else:
        labs = lab_backlog(session, round_id, within, now=now) if round_id else []
    serving = {lab.lab_id for lab in labs}
    # Labs standing in the area count before their first box arrives.
    standing = session.execute(select(Lab.id, Lab.tubes_per_day).join(Grid, Grid.id == Lab.area_id).where(within)).all()
    have = sum(lab.tubes_per_day for lab in labs) + sum(n for i, n in standing if i not in serving)
    need = None
    if round_id is not None:
        f = overview.coverage.area.figures if overview else coverage.area_figures(session, round_id, area)
        per_person = f.tubes / f.sampled if f.sampled else 0.1
        need = sum(lab.waiting + lab.in_transit for lab in labs) + round(f.missing * per_person)
    return SupportOut(
        kind=SupportKind.testing,
        have=have if round_id else None,
        need=need,
        day=now.date() if round_id else None,
        state=support_state(have, need, limits) if need is not None else "unknown",
        amber_below=limits.amber_below,
        red_below=limits.red_below,
        trend=[],
    )
