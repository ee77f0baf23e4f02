"""Who is calling and what they may see. Pure: no session; the scope is resolved once per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, true

from gridscreen.areas.models import ANCESTOR_LEVELS, Area, Level
from gridscreen.auth.models import Role

STAFF_ROLES = (Role.command, Role.district, Role.subdistrict, Role.grid)
# Roles that work with named people and need full ID numbers and phones (to verify and to call).
PII_ROLES = frozenset({Role.district, Role.subdistrict, Role.grid})


@dataclass(frozen=True)
class AreaGrant:
    area_id: int
    level: Level


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: Role
    grants: tuple[AreaGrant, ...]
    household_id: int | None = None
    session_ends: datetime | None = None  # when the caller's token expires (None: not called with a token)

    @property
    def sees_pii(self) -> bool:
        return self.role in PII_ROLES

    @property
    def whole_city(self) -> bool:
        return any(g.level == Level.city for g in self.grants)

    def covers(self, area: Area) -> bool:
        """True when the area lies inside (or is) one of the caller's areas."""
        return any(g.level == Level.city or area.ancestor_id(g.level) == g.area_id for g in self.grants)

    def area_clause(self, area: type[Area]) -> ColumnElement[bool]:
        """SQL condition: the given Area (or alias) lies inside one of the caller's areas."""
        if self.whole_city:
            return true()
        conditions = [inside(area, g.area_id, g.level) for g in self.grants]
        return or_(*conditions) if conditions else false()


def inside(area: type[Area], area_id: int, level: Level) -> ColumnElement[bool]:
    """SQL condition: the given Area (or alias) is the area `area_id` of `level`, or lies below it."""
    if level == Level.city:
        return true()
    if level in ANCESTOR_LEVELS:
        return (area.id == area_id) | (getattr(area, f"{level.value}_id") == area_id)
    return area.id == area_id
