"""The one source of "now" (UTC). Services take the time as an argument; callers ask here."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as UTC: SQLite hands datetimes back without their zone (they are stored in UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def day_start(moment: datetime, timezone: str) -> datetime:
    """Midnight of the moment's day in the given time zone, as a UTC moment ("today" for the city)."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
