"""The sweep that escalates what nobody answered in time: each overdue ticket one level up (grid, then
subdistrict, district, command centre), its history noted and that level's officers told."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridscreen.areas.models import Level
from gridscreen.auth.models import User, UserArea
from gridscreen.db import bulk_insert
from gridscreen.support import notify
from gridscreen.support.models import Category, Ticket, TicketEvent, TicketStatus
from gridscreen.support.rules import next_level
from gridscreen.support.service import LEVEL_ROLE, deadlines


def escalate_due(session: Session, *, now: datetime) -> int:
    """Move every ticket whose escalation time has passed one level up, note why, and alert that level.
    Each update only takes tickets still at the level it read, so sweeps running at once escalate once."""
    due = session.execute(
        select(Ticket.id, Ticket.level, Ticket.category, Ticket.status).where(
            Ticket.escalate_at <= now, Ticket.status != TicketStatus.resolved
        )
    ).all()
    groups: dict[tuple[str, str, bool], list[int]] = defaultdict(list)
    for row in due:
        groups[(row.level, row.category, row.status == TicketStatus.open)].append(row.id)
    steps = deadlines(session)
    escalated = 0
    for (level, category, unanswered), ids in groups.items():
        up = next_level(Level(level))
        if up is None:
            continue
        until = None if next_level(up) is None else now + timedelta(minutes=steps[Category(category)][0])
        reason = "not acknowledged in time" if unanswered else "not resolved in time"
        for start in range(0, len(ids), 5000):
            moved = session.execute(
                update(Ticket)
                .where(Ticket.id.in_(ids[start : start + 5000]), Ticket.level == level, Ticket.escalate_at <= now)
                .values(level=up, escalate_at=until, updated_at=now)
                .returning(Ticket.id, Ticket.committee_id, Ticket.subdistrict_id, Ticket.district_id)
                .execution_options(synchronize_session=False)  # loaded tickets are refreshed by their readers
            ).all()
            _record_escalations(session, moved, up, reason, Category(category), now)
            escalated += len(moved)
    return escalated


def _record_escalations(session: Session, moved, level: Level, reason: str, category: Category, now: datetime):
    if not moved:
        return
    conn = session.connection()
    bulk_insert(
        conn,
        TicketEvent.__tablename__,
        ("ticket_id", "at", "kind", "level", "note"),
        [(m.id, now, "escalated", level.value, reason) for m in moved],
    )
    role = LEVEL_ROLE[level]
    officers: dict[int | None, list[int]] = defaultdict(list)
    query = select(UserArea.area_id, User.id).join(User, User.id == UserArea.user_id).where(User.role == role)
    for area_id, user_id in session.execute(query):
        officers[area_id if level != Level.city else None].append(user_id)
    key = {Level.subdistrict: "subdistrict_id", Level.district: "district_id", Level.city: None}[level]
    urgent = category == Category.emergency
    rows = []
    for m in moved:
        text = notify.notice("Ticket {ticket} escalated to you: {reason}", ticket=m.id, reason=notify.notice(reason))
        for user_id in officers.get(getattr(m, key) if key else None, ()):
            rows.append((user_id, m.id, text, urgent, now))
    if rows:
        bulk_insert(
            conn, notify.Notification.__tablename__, ("user_id", "ticket_id", "text", "urgent", "created_at"), rows
        )
