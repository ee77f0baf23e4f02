"""Rounds (one all-resident screening of some blocks), the zone and pooling policy of each area in a round,
sampling sites and door-to-door routes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
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
    # Filled by the site plan: the candidate it was opened at, its desks and samplers, the people it expects.
    candidate: Mapped[str | None] = mapped_column(String(24))
    desks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    samplers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("round_id", "code"),)


class SitePlanFigures(Base):
    """A round's site plan as a whole: when it was made and what it promises (its KPIs)."""

    __tablename__ = "site_plan"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seed: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[str] = mapped_column(String(5))  # local "HH:MM" the sampling window opens
    slot_minutes: Mapped[int] = mapped_column(Integer)
    buildings: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer)  # going to a site
    persons_unassigned: Mapped[int] = mapped_column(Integer)
    door_to_door: Mapped[int] = mapped_column(Integer)
    sites_open: Mapped[int] = mapped_column(Integer)
    desks: Mapped[int] = mapped_column(Integer)
    samplers: Mapped[int] = mapped_column(Integer)
    mean_walk_m: Mapped[float] = mapped_column(Float)
    max_walk_m: Mapped[float] = mapped_column(Float)
    p95_wait_min: Mapped[float] = mapped_column(Float)
    max_queue: Mapped[int] = mapped_column(Integer)
    finish_hours: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)


class BuildingPlan(Base):
    """Where and when a building's people go in a round; no site (and a reason) when none could take them."""

    __tablename__ = "building_plan"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    committee_id: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    persons: Mapped[int] = mapped_column(Integer)
    walk_m: Mapped[float | None] = mapped_column(Float)
    first_slot: Mapped[int | None] = mapped_column(Integer)  # slot numbers from the window start
    last_slot: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (Index(None, "round_id", "committee_id"),)


class Route(Base):
    """An ordered door-to-door list for a sampling team (the planning issue fills in the stops)."""

    __tablename__ = "route"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    committee_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    district_id: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("round_id", "code"),)


class RouteStop(Base):
    """A household on a door-to-door route, in visiting order, with the planned arrival (local minutes)."""

    __tablename__ = "route_stop"

    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    arrive_minute: Mapped[int] = mapped_column(Integer)
