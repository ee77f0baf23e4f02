from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from gridscreen.ids import BodyId
from gridscreen.people.identity import DocumentType


class ScanIn(BaseModel):
    device_seq: int = Field(ge=0, le=2**62, description="per-device sequence number: the idempotency key")
    resident_code: str | None = Field(default=None, max_length=100, description="the signed code from a QR")
    document_type: DocumentType | None = None
    document_number: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=64, description="for people not on the roster")
    tube: str = Field(min_length=1, max_length=32, description="tube barcode (with its check digit)")
    site_id: BodyId | None = None
    route_id: BodyId | None = None
    scanned_at: AwareDatetime
    close_tube: bool = Field(default=False, description="the sampler closes the tube after this swab")


class ScanBatchIn(BaseModel):
    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    round_id: BodyId
    scans: list[ScanIn] = Field(min_length=1, max_length=1000)
    pending: int = Field(default=0, ge=0, le=10_000_000, description="scans the device still holds after these")


class ScanOutcome(BaseModel):
    device_seq: int
    status: Literal["stored", "duplicate", "rejected"]
    reason: str | None = None
    person_id: int | None = None
    tube_status: str | None = None
    flags: list[str] = []


class ScanBatchOut(BaseModel):
    stored: int
    duplicates: int
    rejected: int
    outcomes: list[ScanOutcome]


class TubeOut(BaseModel):
    id: int
    barcode: str
    round_id: int
    committee_id: int
    pool_size: int
    members: int
    status: str
    result: str | None
    retest: bool
    opened_at: datetime
    sealed_at: datetime | None


class TubeCancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class GridCountOut(BaseModel):
    persons: int
    not_sampled: int
    sampled: int
    negative: int
    hold: int
    positive: int
    to_resample: int
    found_at_site: int
    repeats: int
    retests_open: int
    tubes: int
    tubes_resulted: int
    tubes_positive: int


class DeviceOut(BaseModel):
    device_id: str
    last_seen: datetime
    last_seq: int
    pending: int
    behind: bool  # still holding scans, or silent for a while


class SiteToday(BaseModel):
    """A site lead's live count: today's swabs and tubes, the pace, and the devices working there."""

    site_id: int
    name: str
    swabs_today: int
    tubes_today: int
    swabs_per_hour: float  # over the current hour and the one before
    still_expected: int  # people of the site's grid not yet sampled
    minutes_to_clear: float | None  # at that pace; None when nobody was swabbed lately
    devices: list[DeviceOut]
