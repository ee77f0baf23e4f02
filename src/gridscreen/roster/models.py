"""The roster's inputs and what reconciliation makes of them: imported source lists and their records (each
placed in the city when its address names a building), the clerks' link decisions, the pairs waiting for
one, each run, and the door-knock tasks the runs hand to the grids."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base


class TaskKind(StrEnum):
    not_at_door = "not_at_door"  # on some list, but the sweep did not find them
    not_on_list = "not_on_list"  # found at the door, on no list: to verify and register
    empty_household = "empty_household"  # a dwelling the lists name where the sweep found nobody


class TaskOutcome(StrEnum):
    found = "found"
    moved_out = "moved_out"
    deceased = "deceased"
    refused = "refused"
    not_there = "not_there"


class Source(Base):
    """One imported list: a registry extract, a rental list, a telecom extract or a door-to-door sweep."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)  # bad rows left out at the user's request
    flagged: Mapped[int] = mapped_column(Integer)  # kept, with an ID number a clerk should check
    unplaced: Mapped[int] = mapped_column(Integer)  # records whose address names no building of the city


class SourceRecord(Base):
    __tablename__ = "source_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    row: Mapped[int] = mapped_column(Integer)  # as the user sees it in the file
    name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_number: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(40))
    birth_date: Mapped[str | None] = mapped_column(String(32))
    sex: Mapped[str | None] = mapped_column(String(1))
    address: Mapped[str | None] = mapped_column(String(200))
    compound: Mapped[str | None] = mapped_column(String(200))
    building: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(50))
    room: Mapped[str | None] = mapped_column(String(50))
    building_id: Mapped[int | None] = mapped_column(Integer)
    committee_id: Mapped[int | None] = mapped_column(Integer)
    district_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))  # what a clerk should check about its ID number
    # Set by reconciliation: the person (the smallest record id among their records), and whether this
    # record is the one that says where the person lives now.
    person_key: Mapped[int | None] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index(None, "committee_id", "is_current"), Index(None, "person_key"))


class LinkDecision(Base):
    """A clerk's answer about two records (record_a < record_b); every later run respects it."""

    __tablename__ = "link_decision"

    record_a: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_b: Mapped[int] = mapped_column(Integer, primary_key=True)
    same: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewPair(Base):
    """Two records the model is unsure about (or would link against a rule): waiting for a clerk."""

    __tablename__ = "review_pair"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_a: Mapped[int] = mapped_column(Integer)
    record_b: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(16))  # uncertain / conflict
    linked: Mapped[bool] = mapped_column(Boolean)  # what the run did with the pair meanwhile
    committee_id: Mapped[int | None] = mapped_column(Integer)  # the grid whose clerk looks at it
    skipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # put back in the queue

    __table_args__ = (UniqueConstraint("record_a", "record_b"), Index(None, "committee_id"))


class ReconcileRun(Base):
    __tablename__ = "reconcile_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float] = mapped_column(Float)
    records: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer)
    not_at_door: Mapped[int] = mapped_column(Integer)
    review_pairs: Mapped[int] = mapped_column(Integer)
    tasks_opened: Mapped[int] = mapped_column(Integer)
    tasks_closed: Mapped[int] = mapped_column(Integer)  # by the run: the sweep has since found them
    # What the run changed in the persons rounds count (None: runs before the roster was written there).
    persons_joined: Mapped[int | None] = mapped_column(Integer)
    persons_moved: Mapped[int | None] = mapped_column(Integer)
    persons_left: Mapped[int | None] = mapped_column(Integer)


class DoorKnockTask(Base):
    """Somebody a grid worker must go and look for (or a dwelling to check), closed with an outcome."""

    __tablename__ = "door_knock_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    # The record the task began with: later runs find the person again through it, whatever they merge.
    record_id: Mapped[int] = mapped_column(Integer)
    person_key: Mapped[int | None] = mapped_column(Integer)
    building_id: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(300))
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / closed
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[int | None] = mapped_column(Integer)  # None: closed by a run (the sweep found them)

    __table_args__ = (UniqueConstraint("kind", "record_id"), Index(None, "committee_id", "status"))
