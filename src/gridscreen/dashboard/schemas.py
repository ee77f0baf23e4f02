from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from gridscreen.coverage.schemas import CoverageOut
from gridscreen.dashboard.models import SupportKind
from gridscreen.ids import BodyId


class ProgressPoint(BaseModel):
    """One hour of a round in an area; the running totals are what a progress chart draws."""

    hour: datetime
    scans: int
    persons: int
    tubes: int
    tubes_resulted: int
    persons_resulted: int
    persons_total: int
    tubes_total: int
    tubes_resulted_total: int
    persons_resulted_total: int


class LabBacklog(BaseModel):
    """A lab's share of the tubes from an area: in boxes on the way, waiting at the lab, resulted."""

    lab_id: int
    code: str
    name: str
    tubes_per_day: int
    in_transit: int
    arrived: int
    resulted: int
    waiting: int
    oldest_waiting_since: datetime | None
    backlog_hours: float  # waiting tubes at the lab's daily capacity
    turnaround_hours: float | None  # median, box received to its last result, over recent finished boxes


class GridPoint(BaseModel):
    area_id: int
    name: str
    lat: float
    lon: float
    expected: int
    sampled: int


class Overview(BaseModel):
    round_id: int
    coverage: CoverageOut
    progress: list[ProgressPoint]
    labs: list[LabBacklog]
    pools_overdue: int  # positive pools with a member's retest overdue
    retests_overdue: int
    grids: list[GridPoint]
    at: datetime


RED_OVER_AMBER = "the red line must not be above the amber line: red is the worse state"


class ThresholdsIn(BaseModel):
    """Shares of the need met (have / need) under which a support turns amber and red."""

    amber_below: float = Field(gt=0, le=5)
    red_below: float = Field(gt=0, le=5)

    @model_validator(mode="after")
    def _red_under_amber(self) -> ThresholdsIn:
        if self.red_below > self.amber_below:
            raise ValueError(RED_OVER_AMBER)
        return self


class SupportReportIn(BaseModel):
    area_id: BodyId
    day: date
    have: int = Field(ge=0, le=100_000_000)
    need: int = Field(ge=0, le=100_000_000)


class TrendPoint(BaseModel):
    day: date
    have: int
    need: int


class SupportOut(BaseModel):
    kind: SupportKind
    have: int | None  # None: nothing reported yet
    need: int | None
    day: date | None  # the day the figure is for (today, live, for testing)
    state: str  # green | amber | red | unknown
    amber_below: float
    red_below: float
    trend: list[TrendPoint]  # the last days reported, oldest first
