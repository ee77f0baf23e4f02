from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gridscreen.ids import BodyId
from gridscreen.lab.models import ResultValue


class LabIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    area_id: BodyId
    tubes_per_day: int = Field(ge=1, le=10_000_000)


class LabOut(BaseModel):
    id: int
    code: str
    name: str
    area_id: int
    tubes_per_day: int


class ShipmentIn(BaseModel):
    round_id: BodyId
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    lab_id: BodyId
    barcodes: list[str] = Field(min_length=1, max_length=5000)


class ShipmentOut(BaseModel):
    id: int
    code: str
    round_id: int
    lab_id: int
    status: str
    tubes: int
    packed_at: datetime
    received_at: datetime | None


class ReceiveIn(BaseModel):
    barcodes: list[str] = Field(max_length=5000, description="every tube found in the box")


class ReceiptOut(BaseModel):
    shipment: ShipmentOut
    present: int
    missing: list[str]
    unexpected: list[str]


class ResultIn(BaseModel):
    barcode: str = Field(min_length=1, max_length=32)
    result: ResultValue
    ct_orf1ab: float | None = Field(default=None, ge=0, le=50, description="Ct of the ORF1ab target")
    ct_n: float | None = Field(default=None, ge=0, le=50, description="Ct of the N target")
    run: str | None = Field(default=None, max_length=64)


class ResultBatchIn(BaseModel):
    lab_id: BodyId
    upload: str = Field(min_length=1, max_length=64, description="the lab's name for this upload (idempotency)")
    results: list[ResultIn] = Field(min_length=1, max_length=20_000)


class ResultOutcome(BaseModel):
    row: int
    barcode: str
    status: Literal["accepted", "duplicate", "rejected", "conflict"]
    reason: str | None = None


class ResultBatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    conflicts: int
    outcomes: list[ResultOutcome]


class StagedOut(BaseModel):
    model_config = {"from_attributes": True}

    upload: str
    row: int
    barcode: str
    result: str
    ct_orf1ab: float | None
    ct_n: float | None
    status: str
    reason: str | None
    received_at: datetime
