"""Residents' needs under lockdown: tickets and their history, the deadlines per category, the volunteers
who answer them, deliveries of supplies, the grid's announcements and the notifications sent about them."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base


class Category(StrEnum):
    groceries = "groceries"
    medicine = "medicine"  # including chronic prescriptions
    garbage = "garbage"
    emergency = "emergency"  # the green channel (绿色通道)
    other = "other"


class TicketStatus(StrEnum):
    open = "open"  # filed, nobody has answered yet
    acknowledged = "acknowledged"  # someone answered and is on it
    resolved = "resolved"  # closed, always with an outcome


class Outcome(StrEnum):
    done = "done"  # delivered, collected, taken to hospital
    referred = "referred"  # handed to another service (hospital, hotline, another grid)
    not_needed = "not_needed"  # the household no longer needs it
    unreachable = "unreachable"  # nobody could be reached after trying


class Channel(StrEnum):
    resident = "resident"
    grid = "grid"  # a grid worker filed it for a caller
    open311 = "open311"  # a civic app or the city hotline


class Ticket(Base):
    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    committee_id: Mapped[int] = mapped_column(Integer)
    subdistrict_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(Text)
    people_affected: Mapped[int] = mapped_column(Integer, default=1)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))  # as the caller gave it, when no household is known
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(16))
    filed_by: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.open)
    # Who must act now: committee, subdistrict, district or city (the command centre).
    level: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledge_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolve_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When the ticket goes one level up unless somebody acts; None once resolved or at the top.
    escalate_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(None, "escalate_at"),
        Index(None, "committee_id", "status"),
        Index(None, "district_id", "status"),
        Index(None, "assignee_id", "status"),
    )


class TicketEvent(Base):
    """One step in a ticket's history: filed, acknowledged, assigned, noted, escalated, resolved."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    by_user: Mapped[int | None] = mapped_column(Integer)  # None for the escalation sweep
    level: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class TicketDeadline(Base):
    """A category's deadlines as the command centre set them (the defaults apply to a category without a row)."""

    __tablename__ = "ticket_deadline"

    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    acknowledge_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)


class Volunteer(Base):
    """Someone who answers tickets at the door: a volunteer, a cadre sent down to the grid (who takes orders
    from it) or grid staff. Their areas are their user's areas."""

    __tablename__ = "volunteer"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Categories they can take, comma-separated; empty means any (a medical emergency needs "emergency").
    skills: Mapped[str] = mapped_column(String(100), default="")
    shift_start: Mapped[time] = mapped_column(Time)
    shift_end: Mapped[time] = mapped_column(Time)  # before shift_start: the shift runs past midnight
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Notification(Base):
    """An outbox row: stored with the change that caused it, sent by the sender after the commit."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Announcement(Base):
    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    posted_by: Mapped[int] = mapped_column(Integer)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SupplyKind(StrEnum):
    food = "food"  # government food packs
    medicine = "medicine"
    group_purchase = "group_purchase"  # 团购: a compound's residents buying together


class Delivery(Base):
    """Supplies planned for a compound or a household, and whether they arrived."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(Integer, index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))  # None: the whole compound
    kind: Mapped[str] = mapped_column(String(16))
    items: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    planned_for: Mapped[date] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_quantity: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(Integer)
