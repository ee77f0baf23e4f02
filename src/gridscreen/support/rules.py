"""The rules tickets follow, without a database: deadlines, the escalation ladder, who is on shift and
whom a new ticket goes to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from gridscreen.areas.models import Level
from gridscreen.support.models import Category

# Minutes to acknowledge and to resolve. The green channel must be answered within minutes (a dialysis
# patient or a woman in labour cannot wait for the next shift); food and medicine within the day, which
# is what Shanghai's districts promised in April 2022; garbage daily. The command centre can change them.
DEFAULT_DEADLINES: Mapping[Category, tuple[int, int]] = {
    Category.emergency: (5, 60),
    Category.medicine: (60, 12 * 60),
    Category.groceries: (120, 24 * 60),
    Category.garbage: (240, 24 * 60),
    Category.other: (240, 48 * 60),
}

# Who must act after whom. A ticket that reaches the city stays there, on the command centre's list.
LADDER: tuple[Level, ...] = (Level.committee, Level.subdistrict, Level.district, Level.city)

# Queues put the green channel first, then the nearest deadline.
PRIORITY: Mapping[Category, int] = {
    Category.emergency: 0,
    Category.medicine: 1,
    Category.groceries: 2,
    Category.garbage: 3,
    Category.other: 3,
}


def next_level(level: Level) -> Level | None:
    at = LADDER.index(level)
    return LADDER[at + 1] if at + 1 < len(LADDER) else None


def on_shift(clock_time: time, start: time, end: time) -> bool:
    """Whether a local time of day lies in a shift; a shift ending before it starts runs past midnight, and
    one ending when it starts lasts all day."""
    if start == end:
        return True
    if start < end:
        return start <= clock_time < end
    return clock_time >= start or clock_time < end


def takes(skills: str, category: Category) -> bool:
    """Anyone can carry groceries or garbage; a green-channel ticket needs someone who can escort to hospital,
    and medicine someone who may fetch prescriptions, when they listed skills at all."""
    listed = {s.strip() for s in skills.split(",") if s.strip()}
    if category == Category.emergency:
        return Category.emergency in listed
    return not listed or category in listed


@dataclass(frozen=True)
class Candidate:
    user_id: int
    load: int  # tickets assigned to them and not yet resolved


def choose_assignee(candidates: Sequence[Candidate]) -> int | None:
    """The least loaded candidate; ties go to the one registered first, so the choice is repeatable."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c.load, c.user_id)).user_id
