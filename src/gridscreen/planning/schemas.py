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


class RouteIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    committee_id: BodyId


class RouteOut(BaseModel):
    id: int
    round_id: int
    code: str
    committee_id: int


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
