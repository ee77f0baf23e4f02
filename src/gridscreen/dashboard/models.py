"""The five key supports the command centre watches every day (testing, beds, supplies, medical staff,
frontline staff): the figures districts report, and the thresholds that turn them red, amber or green."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base


class SupportKind(StrEnum):
    testing = "testing"  # tubes the labs can test in a day / tubes to test; worked out live from the round
    beds = "beds"  # treatment and isolation beds free / people waiting for one
    supplies = "supplies"  # food and medicine deliveries made / requested
    medical_staff = "medical_staff"  # medical staff on duty / planned
    frontline_staff = "frontline_staff"  # grid workers and volunteers on duty / planned


REPORTED = (SupportKind.beds, SupportKind.supplies, SupportKind.medical_staff, SupportKind.frontline_staff)


class SupportReport(Base):
    """One day's figure for one area; reporting the same day again replaces it."""

    __tablename__ = "support_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(Integer)  # None for the city's own figure
    day: Mapped[date] = mapped_column(Date)
    have: Mapped[int] = mapped_column(Integer)
    need: Mapped[int] = mapped_column(Integer)
    reported_by: Mapped[int] = mapped_column(Integer)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("kind", "area_id", "day"),)


class SupportThreshold(Base):
    """Where a support turns amber and red, as the share of the need that is met (have / need)."""

    __tablename__ = "support_threshold"

    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    amber_below: Mapped[float] = mapped_column(Float)
    red_below: Mapped[float] = mapped_column(Float)
    set_by: Mapped[int] = mapped_column(Integer)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
