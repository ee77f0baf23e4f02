"""What the roster APIs take and return. ID numbers and phones are masked for callers who do not need them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gridscreen.auth.principal import Principal
from gridscreen.people.identity import mask_document, mask_phone
from gridscreen.roster.models import SourceRecord, TaskOutcome


class RowProblemOut(BaseModel):
    row: int
    reason: str


class SourceOut(BaseModel):
    id: int
    source_kind: str
    file_name: str
    imported_at: datetime
    records: int
    skipped: int
    flagged: int
    unplaced: int


class ImportOut(SourceOut):
    skipped_rows: list[RowProblemOut] = []
    flagged_rows: list[RowProblemOut] = []


class RecordOut(BaseModel):
    id: int
    source_kind: str
    row: int
    name: str | None
    document_type: str | None
    document_number: str | None
    phone: str | None
    birth_date: str | None
    sex: str | None
    address: str | None
    building_id: int | None
    committee_id: int | None
    note: str | None
    person_key: int | None
    sources: list[str] = []  # the person's source kinds, for lists of persons
    left_reason: str | None = None  # in the list of those who left the roster: moved_out or deceased

    @classmethod
    def of(
        cls, principal: Principal, record: SourceRecord, sources: list[str] | None = None,
        left_reason: str | None = None,
    ) -> RecordOut:  # fmt: skip
        number, phone = record.document_number, record.phone
        if not principal.sees_pii:
            number = mask_document(number) if number else None
            phone = mask_phone(phone) if phone else None
        parts = " ".join(p for p in (record.compound, record.building, record.unit, record.room) if p)
        return cls(
            id=record.id, source_kind=record.source_kind, row=record.row,
            name=f"{record.family_name or ''}{record.name or ''}" or None, document_type=record.document_type,
            document_number=number, phone=phone, birth_date=record.birth_date, sex=record.sex,
            address=record.address or parts or None, building_id=record.building_id,
            committee_id=record.committee_id, note=record.note, person_key=record.person_key, sources=sources or [],
            left_reason=left_reason,
        )  # fmt: skip


class RecordPage(BaseModel):
    items: list[RecordOut]
    total: int


class ReviewPairOut(BaseModel):
    id: int
    probability: float
    reason: str
    linked: bool  # what the last run did with the pair meanwhile
    skipped: bool
    a: RecordOut
    b: RecordOut


class ReviewQueueOut(BaseModel):
    items: list[ReviewPairOut]
    total: int


class DecisionIn(BaseModel):
    decision: Literal["same", "different", "skip"]


class TaskOut(BaseModel):
    id: int
    committee_id: int
    kind: str
    person_key: int | None
    building_id: int | None
    address: str | None
    name: str | None
    status: str
    outcome: str | None
    note: str | None
    created_at: datetime
    closed_at: datetime | None

    model_config = {"from_attributes": True}


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int


class TaskCloseIn(BaseModel):
    outcome: TaskOutcome
    note: str = Field(default="", max_length=1000)


class RunOut(BaseModel):
    id: int
    started_at: datetime
    seconds: float
    records: int
    persons: int
    not_at_door: int
    review_pairs: int
    tasks_opened: int
    tasks_closed: int
    # Persons rounds count: brought in (or back), moved to another dwelling, gone (moved out, deceased, merged).
    persons_joined: int | None
    persons_moved: int | None
    persons_left: int | None

    model_config = {"from_attributes": True}
