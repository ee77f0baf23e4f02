from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from gridscreen.ids import BodyId
from gridscreen.people.identity import DocumentType
from gridscreen.people.models import DoorReason, HouseholdKind, LeftReason

DoorReasonName = Literal[tuple(r.name for r in DoorReason)]  # type: ignore[valid-type]


class HouseholdIn(BaseModel):
    building_id: BodyId
    unit: str = Field(min_length=1, max_length=16)
    room: str = Field(min_length=1, max_length=16)
    kind: HouseholdKind = HouseholdKind.family


class HouseholdOut(BaseModel):
    id: int
    building_id: int
    committee_id: int
    unit: str
    room: str
    kind: HouseholdKind
    residents: int
    address: str


class PersonIn(BaseModel):
    household_id: BodyId
    name: str = Field(min_length=1, max_length=64)
    sex: Literal["M", "F"]
    birth_date: date | None = None
    phone: str | None = Field(default=None, max_length=32)
    document_type: DocumentType
    document_number: str | None = Field(default=None, max_length=32)
    door_reasons: list[DoorReasonName] = []  # type: ignore[valid-type]


class MoveIn(BaseModel):
    household_id: BodyId


class PersonOut(BaseModel):
    id: int
    household_id: int
    committee_id: int
    name: str
    sex: str
    birth_date: date | None
    phone: str | None
    document_type: DocumentType
    document_number: str | None
    registered_elsewhere: bool
    door_reasons: list[str]
    left_reason: LeftReason | None = Field(default=None, description="set when the person left the roster")
    masked: bool = Field(description="true when ID number and phone are masked for the caller's role")


class HouseholdDetail(HouseholdOut):
    persons: list[PersonOut]


class PersonPage(BaseModel):
    items: list[PersonOut]
    total: int
    limit: int
    offset: int


class HouseholdPage(BaseModel):
    items: list[HouseholdOut]
    total: int
    limit: int
    offset: int
