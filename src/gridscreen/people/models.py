"""Households (a dwelling: building + unit + room) and the persons living in them."""

from __future__ import annotations

from datetime import date, datetime
from enum import IntFlag, StrEnum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base


class HouseholdKind(StrEnum):
    family = "family"
    collective = "collective"  # dormitories, care homes: many unrelated residents


class DoorReason(IntFlag):
    """Why a person is swabbed at their door instead of at a site."""

    bedridden = 1
    very_old = 2
    disabled = 4
    infant = 8
    home_isolation = 16


class Household(Base):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    committee_id: Mapped[int] = mapped_column(Integer, index=True)
    district_id: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    room: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default=HouseholdKind.family)
    residents: Mapped[int] = mapped_column(Integer, default=0)


class LeftReason(StrEnum):
    """Why a person is no longer on the roster. They stay in the table: past rounds point at them."""

    moved_out = "moved_out"
    deceased = "deceased"
    merged = "merged"  # reconciliation found them to be another person of the roster


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    committee_id: Mapped[int] = mapped_column(Integer, index=True)
    district_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    document_type: Mapped[str] = mapped_column(String(16))
    document_number: Mapped[str | None] = mapped_column(String(32))
    registered_elsewhere: Mapped[bool] = mapped_column(Boolean, default=False)
    door_reasons: Mapped[int] = mapped_column(Integer, default=0)
    # The source record reconciliation first knew them by: every later run finds them again through it,
    # whatever it merges. None for people the roster has not (yet) placed, such as those found at a site.
    # Only reconciliation reads it, over the whole table: no index to slow the loading of a city.
    roster_record_id: Mapped[int | None] = mapped_column(Integer)
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    left_reason: Mapped[str | None] = mapped_column(String(16))  # LeftReason; rounds no longer count them

    __table_args__ = (Index(None, "document_number"),)

    @property
    def door_reason_names(self) -> list[str]:
        return [r.name for r in DoorReason if self.door_reasons & r]
