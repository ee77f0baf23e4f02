"""Notifications: written to an outbox in the same transaction as the change, sent after the commit through
a pluggable sender (the console by default; an SMS gateway behind the same interface)."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridscreen import i18n
from gridscreen.auth.models import User
from gridscreen.config import get_settings
from gridscreen.db import bulk_insert
from gridscreen.people.identity import mask_phone
from gridscreen.support.models import Notification

log = logging.getLogger("gridscreen.notify")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    username: str
    phone: str | None


class Sender(Protocol):
    def send(self, recipient: Recipient, text: str, *, urgent: bool) -> None: ...


class ConsoleSender:
    """Writes each message to the log; the duty officer's page shows the same notifications."""

    def send(self, recipient: Recipient, text: str, *, urgent: bool) -> None:
        phone = mask_phone(recipient.phone) if recipient.phone else "-"
        log.warning("%s to %s (%s): %s", "URGENT" if urgent else "notice", recipient.username, phone, text)


class SmsGatewaySender:
    """Posts {"to", "text", "priority"} as JSON to an SMS gateway; users without a phone are skipped."""

    def __init__(self, url: str, timeout: float = 5.0):
        self.url, self.timeout = url, timeout

    def send(self, recipient: Recipient, text: str, *, urgent: bool) -> None:
        if not recipient.phone:
            return
        body = json.dumps({"to": recipient.phone, "text": text, "priority": "high" if urgent else "normal"})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()


def make_sender(kind: str, *, sms_url: str | None = None) -> Sender:
    if kind == "sms":
        if not sms_url:
            raise ValueError("GRIDSCREEN_SMS_GATEWAY_URL must be set to send notifications by SMS")
        return SmsGatewaySender(sms_url)
    return ConsoleSender()


def notice(template: str, **params) -> str:
    """A notification's text in the city's language: it is stored once and read by whoever receives it."""
    return i18n.translator(get_settings().default_locale)(template).format(**params)


def queue(
    session: Session,
    user_ids: Iterable[int],
    *,
    text: str,
    now: datetime,
    ticket_id: int | None = None,
    urgent: bool = False,
) -> int:
    """Put one message per user in the outbox."""
    rows = [(uid, ticket_id, text[:300], urgent, now) for uid in sorted(set(user_ids))]
    columns = ("user_id", "ticket_id", "text", "urgent", "created_at")
    return bulk_insert(session.connection(), Notification.__tablename__, columns, rows) if rows else 0


def deliver(session: Session, sender: Sender, *, now: datetime, limit: int = 1000) -> int:
    """Claim unsent notifications (urgent first) and send them. A claim is an update that only one of several
    server processes can win, so each message goes out once; a failed send is logged and not retried."""
    pending = (
        session.execute(
            select(Notification.id)
            .where(Notification.sent_at.is_(None))
            .order_by(Notification.urgent.desc(), Notification.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if not pending:
        return 0
    claimed = session.execute(
        update(Notification)
        .where(Notification.id.in_(pending), Notification.sent_at.is_(None))
        .values(sent_at=now)
        .returning(Notification.id, Notification.user_id, Notification.text, Notification.urgent)
        .execution_options(synchronize_session=False)
    ).all()
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({c.user_id for c in claimed})))}
    for claim in claimed:
        user = users[claim.user_id]
        try:
            sender.send(Recipient(user.id, user.username, user.phone), claim.text, urgent=claim.urgent)
        except Exception:  # one gateway failure must not stop the rest of the outbox
            log.exception("could not send notification %s", claim.id)
    return len(claimed)
