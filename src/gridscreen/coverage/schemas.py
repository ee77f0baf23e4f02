from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from gridscreen.people.schemas import PersonOut
from gridscreen.sampling.models import MissingReason


class Figures(BaseModel):
    """Persons and tubes counted separately: pooling makes them differ."""

    expected: int
    sampled: int
    awaiting_result: int
    negative: int
    on_hold: int
    positive: int
    to_resample: int
    missing: int
    found_at_site: int
    repeats: int
    retests_open: int
    tubes: int
    tubes_resulted: int
    tubes_positive: int
    coverage: float  # sampled / expected


class AreaFigures(BaseModel):
    area_id: int
    name: str
    level: str
    figures: Figures


class CoverageOut(BaseModel):
    round_id: int
    area: AreaFigures
    children: list[AreaFigures]


class MissingPerson(BaseModel):
    person: PersonOut
    status: str
    address: str
    reason: MissingReason | None = None  # what the last door-knock found out
    noted_at: datetime | None = None


class MissingNote(BaseModel):
    reason: MissingReason | None


class MissingPage(BaseModel):
    items: list[MissingPerson]
    total: int
    limit: int
    offset: int


class PoolException(BaseModel):
    barcode: str
    committee_id: int
    members: int
    retests_open: int
    retests_overdue: int
    oldest_due: datetime | None


class RetestTask(BaseModel):
    order_id: int
    reason: str
    due_at: datetime
    overdue: bool
    person: PersonOut
    address: str


class RetestPage(BaseModel):
    items: list[RetestTask]
    total: int
    limit: int
    offset: int


class RosterEntry(BaseModel):
    """One person of a grid as a sampler's device keeps it offline: masked, with where they stand."""

    person_id: int
    name: str  # masked
    household_id: int
    address: str
    status: str
    door_reasons: list[str]
