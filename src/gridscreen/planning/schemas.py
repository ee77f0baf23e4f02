from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from gridscreen.ids import BodyId
from gridscreen.planning.models import Pooling, RoundStatus, Zone


class RoundBlockIn(BaseModel):
    block_id: BodyId
    sample_date: date


class AreaPolicyIn(BaseModel):
    area_id: BodyId
    zone: Zone
    pooling: Pooling
    pool_size: int = Field(default=10, ge=1, le=20)


class RoundIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)
    blocks: list[RoundBlockIn] = Field(min_length=1, max_length=50)
    policies: list[AreaPolicyIn] = Field(default=[], max_length=20_000)
    previous_round_id: BodyId | None = None


class RoundOut(BaseModel):
    id: int
    code: str
    name: str
    status: RoundStatus
    created_at: datetime
    previous_round_id: int | None


class SiteIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    committee_id: BodyId
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class SiteOut(BaseModel):
    id: int
    round_id: int
    code: str
    name: str
    committee_id: int
    desks: int = 0
    samplers: int = 0
    expected: int = 0
    closed_at: datetime | None = None


class PlanOut(BaseModel):
    """A round's site plan and what it promises."""

    round_id: int
    made_at: datetime
    window_start: str
    slot_minutes: int
    buildings: int
    persons: int
    persons_unassigned: int
    door_to_door: int
    sites_open: int
    desks: int
    samplers: int
    mean_walk_m: float
    max_walk_m: float
    p95_wait_min: float
    max_queue: int
    finish_hours: float
    seconds: float


class BuildingPlanOut(BaseModel):
    building_id: int
    name: str
    site_id: int | None
    site: str | None
    persons: int
    walk_m: float | None
    slot: str | None
    reason: str | None


class ClosedSiteOut(BaseModel):
    site_id: int
    moved_buildings: list[int]


class RouteIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    committee_id: BodyId


class RouteStopOut(BaseModel):
    household_id: int
    arrive: str  # local clock time the team is planned to knock


class RouteOut(BaseModel):
    id: int
    round_id: int
    code: str
    committee_id: int
    stops: list[RouteStopOut] = Field(default=[], description="households in visiting order, once planned")


class GridRoutesOut(BaseModel):
    grid_id: int
    households: int
    visited: int
    routes: int
    unvisited: list[tuple[int, str]] = Field(description="(household id, why no team can visit it)")


class PolicyOut(BaseModel):
    area_id: int
    zone: Zone
    pooling: Pooling
    pool_size: int


class AdviceOut(BaseModel):
    """Dorfman-optimal pool size from the previous round's positives, beside the fixed 10-in-1."""

    prevalence: float
    recommended_size: int
    tubes_per_person: float
    fixed_size: int
    fixed_tubes_per_person: float


class PoolAdviceOut(BaseModel):
    area_id: int
    advice: AdviceOut | None  # None when the round has no previous round to learn from
    current: PolicyOut | None
