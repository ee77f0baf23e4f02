"""What the ticket, volunteer, delivery and announcement APIs take and return."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, Field, model_validator

from gridscreen.ids import BodyId
from gridscreen.support.models import Category, Outcome, SupplyKind


class TicketIn(BaseModel):
    """A need. A resident's ticket is always for their own household; staff name the household, or the grid
    when a caller's household is not known."""

    category: Category
    details: str = Field(min_length=1, max_length=2000)
    people_affected: int = Field(default=1, ge=1, le=500)
    contact_phone: str | None = Field(default=None, max_length=32)
    household_id: BodyId | None = None
    grid_id: BodyId | None = None
    address: str | None = Field(default=None, max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class TicketEventOut(BaseModel):
    at: datetime
    kind: str
    by_user: int | None
    level: str
    note: str | None


class TicketOut(BaseModel):
    id: int
    household_id: int | None
    address: str | None
    committee_id: int
    category: Category
    details: str
    people_affected: int
    contact_phone: str | None = Field(description="masked unless the caller's role needs to call back")
    channel: str
    status: str
    level: str
    assignee_id: int | None
    assignee: str | None
    created_at: datetime
    acknowledge_by: datetime
    resolve_by: datetime
    escalate_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    outcome: Outcome | None
    outcome_note: str | None
    overdue: bool
    events: list[TicketEventOut] = []


class TicketPage(BaseModel):
    tickets: list[TicketOut]
    total: int


class AssignIn(BaseModel):
    """A volunteer by user id, or nobody to let gridscreen choose by area, shift and load."""

    volunteer_id: BodyId | None = None


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


class ResolveIn(BaseModel):
    outcome: Outcome
    note: str = Field(min_length=1, max_length=2000, description="what was done: nothing is closed without it")


class DeadlineIn(BaseModel):
    acknowledge_minutes: int = Field(ge=1, le=7 * 24 * 60)
    resolve_minutes: int = Field(ge=1, le=30 * 24 * 60)

    @model_validator(mode="after")
    def _resolve_after_acknowledge(self):
        if self.resolve_minutes < self.acknowledge_minutes:
            raise ValueError("a ticket cannot have to be resolved before it has to be acknowledged")
        return self


class DeadlineOut(DeadlineIn):
    category: Category


class VolunteerIn(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=200)
    display_name: str = Field(min_length=1, max_length=100)
    kind: str = Field(default="volunteer", pattern="^(volunteer|cadre|staff)$")
    grid_ids: list[BodyId] = Field(min_length=1, max_length=20)
    skills: list[Category] = []
    shift_start: time = time(8)
    shift_end: time = time(20)


class VolunteerOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    kind: str
    grid_ids: list[int]
    skills: list[str]
    shift_start: time
    shift_end: time
    active: bool
    load: int


class AnnouncementIn(BaseModel):
    area_id: BodyId
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=4000)


class AnnouncementOut(BaseModel):
    id: int
    area_id: int
    title: str
    body: str
    posted_at: datetime


class NotificationOut(BaseModel):
    id: int
    ticket_id: int | None
    text: str
    urgent: bool
    created_at: datetime
    read_at: datetime | None


class DeliveryIn(BaseModel):
    compound_id: BodyId
    household_id: BodyId | None = None
    kind: SupplyKind
    items: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=100_000)
    planned_for: date


class DeliveredIn(BaseModel):
    quantity: int = Field(ge=0, le=100_000)


class DeliveryOut(BaseModel):
    id: int
    compound_id: int
    compound: str
    household_id: int | None
    kind: SupplyKind
    items: str
    quantity: int
    planned_for: date
    delivered_at: datetime | None
    delivered_quantity: int | None


class UnreachedOut(BaseModel):
    """Households of a grid that no food delivery has reached since a day (theirs or their compound's)."""

    since: date
    households: int
    unreached: int
    compounds: list[tuple[int, str, int]] = Field(description="(compound id, name, households not reached)")
