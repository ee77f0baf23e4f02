"""The periodic work of residents' support: escalate what nobody answered in time, then send what the
outbox holds. Every server process runs it (the escalation and the claims are safe to run at once), or a
scheduler runs `gridscreen support sweep` instead."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from gridscreen import clock
from gridscreen.config import get_settings
from gridscreen.db import transaction
from gridscreen.support import escalation, notify

log = logging.getLogger("gridscreen.support")


@dataclass(frozen=True)
class Swept:
    escalated: int
    sent: int


def sweep(engine: Engine, *, now: datetime, sender: notify.Sender | None = None,
          sessions: sessionmaker[Session] | None = None) -> Swept:  # fmt: skip
    """One pass, in two transactions: escalations are stored before anyone is told about them."""
    settings = get_settings()
    sender = sender or notify.make_sender(settings.notify_sender, sms_url=settings.sms_gateway_url)
    with transaction(engine, sessions=sessions, write=True) as session:
        escalated = escalation.escalate_due(session, now=now)
    sent = 0
    while True:  # the outbox in batches, so one transaction never holds thousands of sends
        with transaction(engine, sessions=sessions, write=True) as session:
            batch = notify.deliver(session, sender, now=now)
        sent += batch
        if batch == 0:
            return Swept(escalated, sent)


async def sweep_forever(engine: Engine, sessions: sessionmaker[Session], seconds: int) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            swept = await run_in_threadpool(sweep, engine, now=clock.now(), sessions=sessions)
            if swept.escalated:
                log.warning("escalated %d overdue tickets", swept.escalated)
        except Exception:  # a failed pass must not stop the next one
            log.exception("support sweep failed")
