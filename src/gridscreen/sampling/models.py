"""Tubes, scans (one person swabbed into one tube) and each person's state in a round, with the per-grid
counts kept on write (persons and tubes counted separately: pooling makes them differ)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base
from gridscreen.sampling.tube_state import PersonStatus, TubeStatus


class Tube(Base):
    __tablename__ = "tube"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    barcode: Mapped[str] = mapped_column(String(20), unique=True)
    district_id: Mapped[int] = mapped_column(Integer)
    committee_id: Mapped[int] = mapped_column(Integer, index=True)
    pool_size: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=TubeStatus.open)
    household_id: Mapped[int | None] = mapped_column(Integer)  # set when the policy is one tube per household
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    route_id: Mapped[int | None] = mapped_column(ForeignKey("route.id"))
    retest: Mapped[bool] = mapped_column(Boolean, default=False)  # a single-tube retest of a pooled positive
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    result: Mapped[str | None] = mapped_column(String(16))
    # Cycle thresholds of the two gene targets Chinese kits report (lower: more virus).
    ct_orf1ab: Mapped[float | None] = mapped_column(Float)
    ct_n: Mapped[float | None] = mapped_column(Float)
    resulted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Scan(Base):
    """Append-only; (device_id, device_seq) makes a resent scan a no-op."""

    __tablename__ = "scan"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(Integer)
    committee_id: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(64))
    device_seq: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    tube_id: Mapped[int] = mapped_column(Integer, index=True)
    site_id: Mapped[int | None] = mapped_column(Integer)
    route_id: Mapped[int | None] = mapped_column(Integer)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)  # the person was already sampled this round

    __table_args__ = (UniqueConstraint("device_id", "device_seq"),)


class MissingReason(StrEnum):
    """What the grid found out about someone not yet sampled (the door-knock's outcome)."""

    nobody_home = "nobody_home"
    refused = "refused"
    in_hospital = "in_hospital"
    moved_out = "moved_out"
    away = "away"  # quarantined or staying elsewhere
    other = "other"


class PersonRound(Base):
    """One person in one round: where they stand, and the tube that decided it."""

    __tablename__ = "person_round"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer)
    committee_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=PersonStatus.expected)
    tube_id: Mapped[int | None] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    found_at_site: Mapped[bool] = mapped_column(Boolean, default=False)  # not on the roster before the scan
    sampled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    missing_reason: Mapped[str | None] = mapped_column(String(16))
    noted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index(None, "round_id", "committee_id", "status"),)


class RetestOrder(Base):
    """A single-tube resample for one person, routed to the grid's door-to-door team."""

    __tablename__ = "retest_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(Integer)
    committee_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(24))  # pooled_positive | invalid | cancelled
    source_tube_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("round_id", "person_id", "source_tube_id"),
        Index(None, "round_id", "committee_id", "done_at"),
    )


class GridCount(Base):
    """Per round and grid, kept on write: the dashboard and coverage never count scans per request."""

    __tablename__ = "grid_count"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer, default=0)  # on the roster for this round
    # One column per PersonStatus (status "expected" is counted as not_sampled); they add up to persons.
    not_sampled: Mapped[int] = mapped_column(Integer, default=0)
    sampled: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    hold: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    to_resample: Mapped[int] = mapped_column(Integer, default=0)
    found_at_site: Mapped[int] = mapped_column(Integer, default=0)
    retests_open: Mapped[int] = mapped_column(Integer, default=0)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    tubes: Mapped[int] = mapped_column(Integer, default=0)
    tubes_resulted: Mapped[int] = mapped_column(Integer, default=0)
    tubes_positive: Mapped[int] = mapped_column(Integer, default=0)


class ProgressCount(Base):
    """Per round, grid and hour, kept on write: the round's progress over time without counting scans."""

    __tablename__ = "progress_count"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True)
    committee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)  # UTC, on the hour
    district_id: Mapped[int] = mapped_column(Integer)
    scans: Mapped[int] = mapped_column(Integer, default=0)  # swabs stored (by the time they were taken)
    persons: Mapped[int] = mapped_column(Integer, default=0)  # first swab of a person this round
    tubes: Mapped[int] = mapped_column(Integer, default=0)  # tubes opened
    tubes_resulted: Mapped[int] = mapped_column(Integer, default=0)  # by the time the result was accepted
    persons_resulted: Mapped[int] = mapped_column(Integer, default=0)


class SiteCount(Base):
    """Per site and hour, kept on write: the site lead's live count without counting scans."""

    __tablename__ = "site_count"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)  # UTC, on the hour
    swabs: Mapped[int] = mapped_column(Integer, default=0)
    tubes: Mapped[int] = mapped_column(Integer, default=0)


class Device(Base):
    """A sampling device as its last batch left it: where it works and how many scans it still holds."""

    __tablename__ = "device"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(Integer, index=True)
    route_id: Mapped[int | None] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    pending: Mapped[int] = mapped_column(Integer)  # scans the device said it still had to send
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


STATUS_COLUMN = {
    PersonStatus.expected: "not_sampled",
    PersonStatus.sampled: "sampled",
    PersonStatus.negative: "negative",
    PersonStatus.hold: "hold",
    PersonStatus.positive: "positive",
    PersonStatus.to_resample: "to_resample",
}
