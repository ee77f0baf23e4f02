"""The tube and person-in-round state machines. Pure functions, no database and no I/O.

Tube::

    open --add_member--> open, or sealed when it reaches pool_size
    open --close--> sealed (not when empty: cancel an empty tube)
    open, sealed --cancel--> cancelled (its persons are resampled)
    sealed --ship--> shipped --receive--> received --result--> resulted

Person in one round, by the result of a tube they are in (``-`` means unchanged)::

    current \\ result            negative     positive, pooled   positive, single   invalid / cancelled
    expected, sampled,          negative     hold               positive           to_resample
      to_resample
    negative                    -            hold               positive           -
    hold                        -, negative  -                  positive           -
                                if single
    positive                    -            -                  -                  -

Sampling moves expected and to_resample to sampled and leaves the rest alone: a person on hold stays on hold
while their single-tube retest is on its way, and only a single-tube result releases or confirms them. A
positive is never undone here; a case is closed by the cases domain. A later invalid tube never takes away a
negative already in hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from gridscreen.errors import Conflict


class TubeStatus(StrEnum):
    open = "open"
    sealed = "sealed"
    cancelled = "cancelled"
    shipped = "shipped"
    received = "received"
    resulted = "resulted"


class TubeEvent(StrEnum):
    add_member = "add_member"
    close = "close"
    cancel = "cancel"
    ship = "ship"
    receive = "receive"
    result = "result"


_LEFT_SITE = frozenset({TubeStatus.shipped, TubeStatus.received, TubeStatus.resulted})


class TubeStateError(Conflict):
    """An event the tube's status does not allow; `event` and `tube_status` say which."""

    def __init__(self, template: str, event: TubeEvent, tube: Tube, barcode: str | None) -> None:
        # Services always pass the barcode; "?" only shows in tests and logs.
        super().__init__(template, barcode=barcode or "?")
        self.event = event
        self.tube_status = tube.status


@dataclass(frozen=True, slots=True)
class Tube:
    """One tube's state; a full tube is never open and a tube past open is never empty (unless cancelled)."""

    pool_size: int
    members: int = 0
    status: TubeStatus = TubeStatus.open

    def __post_init__(self) -> None:
        if type(self.status) is not TubeStatus:  # converting a member again costs more than the check
            object.__setattr__(self, "status", TubeStatus(self.status))
        if self.pool_size < 1:
            raise ValueError(f"pool size must be at least 1, got {self.pool_size}")
        if not 0 <= self.members <= self.pool_size:
            raise ValueError(f"a tube for {self.pool_size} cannot hold {self.members} people")
        if self.status is TubeStatus.open and self.members == self.pool_size:
            raise ValueError("a full tube cannot be open")
        if self.status not in (TubeStatus.open, TubeStatus.cancelled) and self.members == 0:
            raise ValueError(f"an empty tube cannot be {self.status}")


def add_member(tube: Tube, *, barcode: str | None = None) -> Tube:
    """One more person swabbed into the tube; the last place seals it."""
    event = TubeEvent.add_member
    if tube.status is TubeStatus.sealed:
        raise TubeStateError("tube {barcode} is sealed; start a new tube", event, tube, barcode)
    if tube.status is TubeStatus.cancelled:
        raise TubeStateError("tube {barcode} was cancelled; start a new tube", event, tube, barcode)
    if tube.status in _LEFT_SITE:
        raise TubeStateError("tube {barcode} has left the sampling site; start a new tube", event, tube, barcode)
    members = tube.members + 1
    return Tube(tube.pool_size, members, TubeStatus.sealed if members == tube.pool_size else TubeStatus.open)


def close(tube: Tube, *, barcode: str | None = None) -> Tube:
    """Seal an open tube that holds at least one person."""
    event = TubeEvent.close
    if tube.status is not TubeStatus.open:
        raise TubeStateError("tube {barcode} is not open, so it cannot be sealed", event, tube, barcode)
    if tube.members == 0:
        raise TubeStateError("tube {barcode} is empty; cancel it instead of sealing it", event, tube, barcode)
    return replace(tube, status=TubeStatus.sealed)


def cancel(tube: Tube, *, barcode: str | None = None) -> Tube:
    """Cancel a tube still at the site; everyone in it must be swabbed again."""
    event = TubeEvent.cancel
    if tube.status is TubeStatus.cancelled:
        raise TubeStateError("tube {barcode} is already cancelled", event, tube, barcode)
    if tube.status in _LEFT_SITE:
        raise TubeStateError(
            "tube {barcode} has left the sampling site; the lab must report it invalid", event, tube, barcode
        )
    return replace(tube, status=TubeStatus.cancelled)


def ship(tube: Tube, *, barcode: str | None = None) -> Tube:
    """A sealed tube leaves in a shipment."""
    event = TubeEvent.ship
    if tube.status is TubeStatus.open:
        raise TubeStateError("tube {barcode} is still open; seal it before shipping it", event, tube, barcode)
    if tube.status is not TubeStatus.sealed:
        raise TubeStateError("tube {barcode} cannot be shipped: only a sealed tube can", event, tube, barcode)
    return replace(tube, status=TubeStatus.shipped)


def receive(tube: Tube, *, barcode: str | None = None) -> Tube:
    """The lab receives a shipped tube."""
    event = TubeEvent.receive
    if tube.status in (TubeStatus.received, TubeStatus.resulted):
        raise TubeStateError("tube {barcode} has already been received", event, tube, barcode)
    if tube.status is not TubeStatus.shipped:
        raise TubeStateError("tube {barcode} was never shipped, so a lab cannot receive it", event, tube, barcode)
    return replace(tube, status=TubeStatus.received)


def record_result(tube: Tube, *, barcode: str | None = None) -> Tube:
    """The lab's result for a received tube (negative, positive or invalid: the tube state is the same)."""
    event = TubeEvent.result
    if tube.status is TubeStatus.resulted:
        raise TubeStateError("tube {barcode} already has a result", event, tube, barcode)
    if tube.status is not TubeStatus.received:
        raise TubeStateError(
            "tube {barcode} has not been received by a lab, so it cannot have a result", event, tube, barcode
        )
    return replace(tube, status=TubeStatus.resulted)


_TRANSITIONS: dict[TubeEvent, Callable[..., Tube]] = {
    TubeEvent.add_member: add_member,
    TubeEvent.close: close,
    TubeEvent.cancel: cancel,
    TubeEvent.ship: ship,
    TubeEvent.receive: receive,
    TubeEvent.result: record_result,
}


def apply(tube: Tube, event: TubeEvent | str, *, barcode: str | None = None) -> Tube:
    """The tube after `event`, or TubeStateError."""
    return _TRANSITIONS[TubeEvent(event)](tube, barcode=barcode)


def allowed_events(tube: Tube) -> frozenset[TubeEvent]:
    """The events this tube accepts now (what a device may offer)."""
    allowed = set()
    for event, transition in _TRANSITIONS.items():
        try:
            transition(tube)
        except TubeStateError:
            continue
        allowed.add(event)
    return frozenset(allowed)


class PersonStatus(StrEnum):
    expected = "expected"  # on the roster, not swabbed yet this round
    sampled = "sampled"
    negative = "negative"
    hold = "hold"  # pooled positive, awaiting a single-tube retest
    positive = "positive"  # a case
    to_resample = "to_resample"  # tube cancelled or invalid


TubeResult = Literal["negative", "positive", "invalid"]


def on_sampled(current: PersonStatus) -> PersonStatus:
    """After the person is swabbed into a tube (see the table in the module docstring)."""
    current = PersonStatus(current)
    if current in (PersonStatus.expected, PersonStatus.to_resample):
        return PersonStatus.sampled
    return current


def outcome(current: PersonStatus, *, tube_result: TubeResult, pooled: bool) -> PersonStatus:
    """After the result of a tube the person is in; `pooled` is whether that tube holds more than one person."""
    current = PersonStatus(current)
    if tube_result not in ("negative", "positive", "invalid"):
        raise ValueError(f"unknown tube result {tube_result!r}")
    if current is PersonStatus.positive:
        return current
    if tube_result == "positive":
        return PersonStatus.hold if pooled else PersonStatus.positive
    if current is PersonStatus.hold:
        # Only a single-tube retest releases a person on hold; another pooled tube settles nothing.
        return PersonStatus.negative if tube_result == "negative" and not pooled else current
    if tube_result == "negative":
        return PersonStatus.negative
    return current if current is PersonStatus.negative else PersonStatus.to_resample


def on_tube_cancelled(current: PersonStatus) -> PersonStatus:
    """After a tube the person is in is cancelled: the same as an invalid result."""
    return outcome(current, tube_result="invalid", pooled=False)
