"""Pooled testing maths (Dorfman two-stage: test the pool, retest every member of a positive pool singly).

Pure functions, no database and no I/O. Counts are persons unless a name says tubes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def _check_prevalence(prevalence: float) -> None:
    if not 0.0 <= prevalence <= 1.0:
        raise ValueError(f"prevalence must be between 0 and 1, got {prevalence}")


def expected_tubes_per_person(pool_size: int, prevalence: float) -> float:
    """Expected tubes per person: 1/n for the pool, plus n/n retests when the pool is positive."""
    if pool_size < 1:
        raise ValueError(f"pool size must be at least 1, got {pool_size}")
    _check_prevalence(prevalence)
    if pool_size == 1:
        return 1.0
    return 1.0 / pool_size + 1.0 - (1.0 - prevalence) ** pool_size


def optimal_pool_size(prevalence: float, *, cap: int = 20) -> int:
    """The pool size in 1..cap with the fewest expected tubes per person (the smaller one on a tie)."""
    if cap < 1:
        raise ValueError(f"cap must be at least 1, got {cap}")
    _check_prevalence(prevalence)
    best, best_tubes = 1, 1.0
    for n in range(2, cap + 1):
        tubes = expected_tubes_per_person(n, prevalence)
        if tubes < best_tubes:
            best, best_tubes = n, tubes
    return best


def estimate_prevalence(positives: int, tested: int) -> float:
    """Posterior mean under a Jeffreys prior, (positives + 1/2) / (tested + 1): never 0, so never an endless pool."""
    if tested <= 0:
        raise ValueError(f"need at least one person tested, got {tested}")
    if not 0 <= positives <= tested:
        raise ValueError(f"positives must be between 0 and {tested}, got {positives}")
    return (positives + 0.5) / (tested + 1)


@dataclass(frozen=True, slots=True)
class PoolAdvice:
    """What the command centre shows: the recommended pool size beside the fixed one, in tubes per person."""

    prevalence: float
    recommended_size: int
    tubes_per_person: float
    fixed_size: int
    fixed_tubes_per_person: float


def advise(positives: int, tested: int, *, cap: int = 20, fixed: int = 10) -> PoolAdvice:
    """Pool-size advice from the persons tested so far and how many of them were positive."""
    prevalence = estimate_prevalence(positives, tested)
    size = optimal_pool_size(prevalence, cap=cap)
    return PoolAdvice(
        prevalence=prevalence,
        recommended_size=size,
        tubes_per_person=expected_tubes_per_person(size, prevalence),
        fixed_size=fixed,
        fixed_tubes_per_person=expected_tubes_per_person(fixed, prevalence),
    )


def pack_households(household_sizes: Sequence[int], pool_size: int) -> list[list[tuple[int, int]]]:
    """Tubes as lists of (household index, persons) pieces, at most pool_size persons each.

    A household that fits in a tube is never split; a larger one fills whole tubes and leaves one remainder
    piece. Pieces are packed best-fit decreasing, so with households of at most s persons every tube but the
    last holds more than pool_size - s.
    """
    if pool_size < 1:
        raise ValueError(f"pool size must be at least 1, got {pool_size}")
    pieces: list[tuple[int, int]] = []
    for index, size in enumerate(household_sizes):
        if size < 0:
            raise ValueError(f"household {index} has a negative size {size}")
        full, rest = divmod(size, pool_size)
        pieces.extend([(index, pool_size)] * full)
        if rest:
            pieces.append((index, rest))
    pieces.sort(key=lambda piece: -piece[1])  # stable: households keep their order within a size

    tubes: list[list[tuple[int, int]]] = []
    # open_by_room[r]: indexes of tubes with exactly r places left, so best fit costs O(pool_size) per piece.
    open_by_room: list[list[int]] = [[] for _ in range(pool_size + 1)]
    for index, count in pieces:
        room = next((r for r in range(count, pool_size) if open_by_room[r]), None)
        if room is None:
            tube, room = len(tubes), pool_size
            tubes.append([])
        else:
            tube = open_by_room[room].pop()
        tubes[tube].append((index, count))
        if room > count:
            open_by_room[room - count].append(tube)
    return tubes
