"""Labs, shipments (sealed boxes of tubes with a manifest) and staged results."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base


class ShipmentStatus(StrEnum):
    packed = "packed"
    received = "received"


class ResultValue(StrEnum):
    negative = "negative"
    positive = "positive"
    invalid = "invalid"


class StagedStatus(StrEnum):
    accepted = "accepted"
    duplicate = "duplicate"  # the same result again: acknowledged, nothing changes
    rejected = "rejected"  # unknown or not-yet-received tube, malformed row
    conflict = "conflict"  # disagrees with an accepted result: held for review


class Lab(Base):
    __tablename__ = "lab"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))  # where it stands; lab users are granted it
    tubes_per_day: Mapped[int] = mapped_column(Integer)


class Shipment(Base):
    __tablename__ = "shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id"), index=True)
    committee_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=ShipmentStatus.packed)
    tubes: Mapped[int] = mapped_column(Integer, default=0)  # on the manifest
    # Kept on write for the lab backlog: tubes that arrived in this box, and how many have a result.
    arrived: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resulted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    packed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the last arrived tube resulted


class ShipmentTube(Base):
    """The manifest; after receipt, each line says whether the tube was in the box."""

    __tablename__ = "shipment_tube"

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"), primary_key=True)
    barcode: Mapped[str] = mapped_column(String(20), primary_key=True)
    tube_id: Mapped[int | None] = mapped_column(Integer)
    check: Mapped[str | None] = mapped_column(String(16))  # on receipt: present | missing | unexpected


class StagedResult(Base):
    """Every result row a lab sent, with what became of it (nothing a lab uploads is silently dropped)."""

    __tablename__ = "staged_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id"), index=True)
    upload: Mapped[str] = mapped_column(String(64))
    row: Mapped[int] = mapped_column(Integer)
    barcode: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(16))
    ct_orf1ab: Mapped[float | None] = mapped_column(Float)
    ct_n: Mapped[float | None] = mapped_column(Float)
    run: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("lab_id", "upload", "row"),)
