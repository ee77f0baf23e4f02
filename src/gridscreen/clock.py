"""The one source of "now" (UTC). Services take the time as an argument; callers ask here."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
