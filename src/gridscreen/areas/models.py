"""The area hierarchy (city > district > subdistrict > committee > compound > building) and blocks."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base


class Level(StrEnum):
    city = "city"
    district = "district"
    subdistrict = "subdistrict"
    committee = "committee"  # the grid: the unit one team answers for
    compound = "compound"
    building = "building"


LEVELS: tuple[Level, ...] = tuple(Level)
# Ancestor columns kept on every area so "is X inside Y" is one comparison, not a walk up the tree.
ANCESTOR_LEVELS: tuple[Level, ...] = (Level.district, Level.subdistrict, Level.committee, Level.compound)


class Area(Base):
    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    district_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subdistrict_id: Mapped[int | None] = mapped_column(Integer, index=True)
    committee_id: Mapped[int | None] = mapped_column(Integer, index=True)
    compound_id: Mapped[int | None] = mapped_column(Integer)
    # Counts kept up to date on write so overview pages never count millions of rows.
    residents: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    buildings: Mapped[int] = mapped_column(Integer, default=0)
    door_to_door: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index(None, "level", "name"),)

    def ancestor_id(self, level: Level) -> int | None:
        if level == self.level:
            return self.id
        return getattr(self, f"{level.value}_id", None) if level in ANCESTOR_LEVELS else None


class Block(Base):
    """Areas screened together as one batch (切块), e.g. east and west of the Huangpu."""

    __tablename__ = "block"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class BlockArea(Base):
    __tablename__ = "block_area"

    block_id: Mapped[int] = mapped_column(ForeignKey("block.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
