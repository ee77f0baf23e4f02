"""Rounds (one all-resident screening of some blocks), the zone and pooling policy of each area in a round,
sampling sites and door-to-door routes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base


class RoundStatus(StrEnum):
    planned = "planned"
    running = "running"
    closed = "closed"


class Zone(StrEnum):
    sealed = "sealed"  # 封控区
    controlled = "controlled"  # 管控区
    precaution = "precaution"  # 防范区


class Pooling(StrEnum):
    single = "single"
    household = "household"  # one tube per household: China's rule for sealed compounds
    pooled = "pooled"  # N-in-1


class Round(Base):
    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.running)
    previous_round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoundBlock(Base):
    __tablename__ = "round_block"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("block.id"), primary_key=True)
    sample_date: Mapped[date] = mapped_column(Date)


class RoundArea(Base):
    """The zone and pooling policy of an area in a round; the most specific area covering a person wins."""

    __tablename__ = "round_area"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    zone: Mapped[str] = mapped_column(String(16))
    pooling: Mapped[str] = mapped_column(String(16))
    pool_size: Mapped[int] = mapped_column(Integer)


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    committee_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    district_id: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("round_id", "code"),)


class Route(Base):
    """An ordered door-to-door list for a sampling team (the planning issue fills in the stops)."""

    __tablename__ = "route"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    committee_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    district_id: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("round_id", "code"),)
