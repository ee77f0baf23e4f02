"""The people of the synthetic city, drawn household by household, many thousands at a time with NumPy.

Pure: no database. `Residents` keeps the only state that spans chunks (ID sequence counters and the
running number of foreign documents), so numbers stay unique across the whole city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import repeat

import numpy as np

from gridscreen.people.identity import DocumentType, check_characters
from gridscreen.people.models import DoorReason
from gridscreen.sim import census

PERSON_COLUMNS = (
    "id",
    "household_id",
    "committee_id",
    "district_id",
    "name",
    "sex",
    "birth_date",
    "phone",
    "document_type",
    "document_number",
    "registered_elsewhere",
    "door_reasons",
)

_AGES = np.arange(census.MAX_AGE + 1)
_REF = census.REFERENCE_DATE
# A person aged a on the reference day was born in (REF - (a+1) years, REF - a years].
_BORN_FROM = np.array([date(_REF.year - a - 1, _REF.month, _REF.day).toordinal() + 1 for a in _AGES])
_BORN_TO = np.array([date(_REF.year - a, _REF.month, _REF.day).toordinal() for a in _AGES])
_FIRST_DAY = int(_BORN_FROM[-1])
_DAYS = _REF.toordinal() - _FIRST_DAY + 1

_DISTRICT_REGIONS = [int(d.code) for d in census.DISTRICTS]
_REGIONS = np.array(_DISTRICT_REGIONS + [int(code) for code, _ in census.OTHER_REGIONS], dtype=np.int64)
_OTHER_P = np.array([w for _, w in census.OTHER_REGIONS], dtype=float)
_OTHER_P /= _OTHER_P.sum()
# The 3-digit sequence: odd for men, even for women. Counters run per (region, birth day, sex) and are
# scrambled by a fixed permutation so numbers do not all end in 001, 003, ...
_SEQ_SLOTS = 499
_SEQ_PERM = np.random.default_rng(20220401).permutation(_SEQ_SLOTS).astype(np.int64)

_SURNAMES = np.array([s for s, _ in census.SURNAMES])
_SURNAME_P = np.array([w for _, w in census.SURNAMES])
_SURNAME_P /= _SURNAME_P.sum()
_GIVEN = (np.array(list(census.GIVEN_FEMALE)), np.array(list(census.GIVEN_MALE)))
_DOC_TYPES = [t.value for t in (DocumentType.resident_id, DocumentType.passport, DocumentType.foreign_pr)]
_DOC_TYPES.append(DocumentType.hmt_permit.value)
_RESIDENT, _PASSPORT, _FOREIGN_PR, _HMT = range(4)
_SEX = ["F", "M"]
# Text is built as ASCII bytes in NumPy and decoded once per chunk; fixed texts come from shared tables.
_DAY_STRINGS = [date.fromordinal(_FIRST_DAY + i).isoformat() for i in range(_DAYS)]
_DAY_DIGITS = np.array([list(s.replace("-", "").encode()) for s in _DAY_STRINGS], dtype=np.uint8)
_REGION_DIGITS = np.array([list(str(code).encode()) for code in _REGIONS], dtype=np.uint8)
_SEQUENCE_DIGITS = np.array([list(f"{i:03d}".encode()) for i in range(1000)], dtype=np.uint8)
_PREFIX_DIGITS = np.array([list(str(p).encode()) for p in census.MOBILE_PREFIXES], dtype=np.uint8)


def lookup(table: list, indices: np.ndarray) -> list:
    """table[i] for each index, sharing the table's objects (fast, and no copies of repeated strings)."""
    return list(map(table.__getitem__, indices.tolist()))


def _decode_lines(text: np.ndarray) -> list[str]:
    """Rows of an (n, width + 1) uint8 array of ASCII codes ending in a line break, as str."""
    return text.tobytes().decode("ascii").split("\n")[:-1]


def _age_distribution() -> np.ndarray:
    weights = np.array([census.age_weight(a) for a in _AGES])
    p = np.zeros_like(weights)
    for lo, hi, share in census.AGE_BANDS:
        band = (lo <= _AGES) & (hi >= _AGES)
        p[band] = weights[band] / weights[band].sum() * share
    return p / p.sum()


_AGE_P = _age_distribution()
# Household heads and members of collective households are adults; the other members are drawn from the
# distribution that makes the whole population match the census bands.
_ADULT_P = np.where(_AGES >= 18, _AGE_P, 0.0)
_ADULT_P /= _ADULT_P.sum()
_PHONE_P = np.array([next(p for limit, p in census.PHONE_SHARE_BY_AGE if a < limit) for a in _AGES])


def _other_age_p(adult_share: float) -> np.ndarray:
    if adult_share >= 1.0:
        return _ADULT_P
    p = np.clip(_AGE_P - adult_share * _ADULT_P, 0.0, None)
    return p / p.sum()


class SequenceOverflow(RuntimeError):
    """More than 499 persons of one sex born on one day in one region: the ID scheme has no room."""


@dataclass(slots=True)
class People:
    """One batch of persons as NumPy columns (~100 bytes each); `rows` makes the tuples a slice at a time."""

    household: np.ndarray  # each person's household, as an index into the batch's households
    male: np.ndarray
    day: np.ndarray  # birth day, days after _FIRST_DAY
    kind: np.ndarray  # _RESIDENT, _PASSPORT, _FOREIGN_PR or _HMT
    elsewhere: np.ndarray
    door: np.ndarray  # DoorReason bits
    names: np.ndarray
    documents: np.ndarray  # (n, 19) ASCII lines
    phones: np.ndarray  # (n, 12) ASCII lines, used where has_phone
    has_phone: np.ndarray
    # Foreign and HMT persons: their positions, document numbers and (foreigners) names.
    other_at: np.ndarray
    other_documents: list[str]
    other_names: list[str | None]

    def __len__(self) -> int:
        return len(self.male)

    def rows(
        self,
        start: int,
        stop: int,
        *,
        first_id: int,
        district_id: int,
        household_ids: np.ndarray,
        household_committees: np.ndarray,
    ) -> list[tuple]:
        """PERSON_COLUMNS tuples for persons start..stop-1 of the batch; the first person gets id first_id."""
        part = slice(start, stop)
        names = self.names[part].tolist()
        documents = _decode_lines(self.documents[part])
        lo, hi = np.searchsorted(self.other_at, (start, stop))
        for j in range(lo, hi):
            i = int(self.other_at[j]) - start
            documents[i] = self.other_documents[j]
            names[i] = self.other_names[j] or names[i]
        has_phone = self.has_phone[part]
        phones = np.full(stop - start, None, dtype=object)
        phones[has_phone] = _decode_lines(self.phones[part][has_phone])
        household = self.household[part]
        return list(
            zip(
                range(first_id + start, first_id + stop),
                household_ids[household].tolist(),
                household_committees[household].tolist(),
                repeat(district_id),
                names,
                lookup(_SEX, self.male[part].view(np.int8)),
                lookup(_DAY_STRINGS, self.day[part]),
                phones.tolist(),
                lookup(_DOC_TYPES, self.kind[part]),
                documents,
                self.elsewhere[part].tolist(),
                self.door[part].tolist(),
            )
        )


class Residents:
    """Draws persons for households; keeps ID counters so every document number is unique in the city."""

    def __init__(self) -> None:
        self._seq = np.zeros(len(_REGIONS) * _DAYS * 2, dtype=np.uint16)
        self._documents = 0  # running number for passports, foreign residence cards and HMT permits

    def draw(self, rng: np.random.Generator, *, district: int, sizes: np.ndarray, collective: np.ndarray) -> People:
        """The persons of these households (sizes, collective or not), household by household."""
        n_hh = len(sizes)
        n = int(sizes.sum())
        member = np.repeat(np.arange(n_hh), sizes)
        starts = np.cumsum(sizes) - sizes
        person_collective = collective[member]
        adult = person_collective | (np.arange(n) == starts[member])

        ages = np.empty(n, dtype=np.int64)
        n_adult = int(adult.sum())
        ages[adult] = rng.choice(_AGES, size=n_adult, p=_ADULT_P)
        ages[~adult] = rng.choice(_AGES, size=n - n_adult, p=_other_age_p(n_adult / max(n, 1)))
        born_from, span = _BORN_FROM[ages], _BORN_TO[ages] - _BORN_FROM[ages] + 1
        day = born_from + (rng.random(n) * span).astype(np.int64) - _FIRST_DAY
        male = rng.random(n) < census.MALE_SHARE

        # Family members share where they are registered and which kind of document they hold.
        migrant_share = _MIGRANT_SHARES[district]
        elsewhere = (rng.random(n_hh) < migrant_share)[member]
        kind_draw = rng.random(n_hh)[member]
        other_region = rng.choice(len(_OTHER_P), size=n_hh, p=_OTHER_P)[member]
        loners = np.flatnonzero(person_collective)
        if loners.size:
            elsewhere[loners] = rng.random(loners.size) < migrant_share
            kind_draw[loners] = rng.random(loners.size)
            other_region[loners] = rng.choice(len(_OTHER_P), size=loners.size, p=_OTHER_P)
        kind = np.full(n, _RESIDENT)
        kind[kind_draw < census.FOREIGN_SHARE + census.HMT_SHARE] = _HMT
        foreign = kind_draw < census.FOREIGN_SHARE
        kind[foreign] = np.where(rng.random(int(foreign.sum())) < 0.8, _PASSPORT, _FOREIGN_PR)
        elsewhere |= kind != _RESIDENT
        region = np.where(elsewhere, len(_DISTRICT_REGIONS) + other_region, district)

        other_at = np.flatnonzero(kind != _RESIDENT)
        other_documents, other_names = self._other_documents(rng, kind[other_at])
        return People(
            household=member,
            male=male,
            day=day,
            kind=kind,
            elsewhere=elsewhere,
            door=_door_reasons(rng, ages),
            names=_names(rng, male),
            documents=self._resident_ids(region, day, male),
            phones=_phone_lines(rng, n),
            has_phone=rng.random(n) < _PHONE_P[ages],
            other_at=other_at,
            other_documents=other_documents,
            other_names=other_names,
        )

    def _resident_ids(self, region: np.ndarray, day: np.ndarray, male: np.ndarray) -> np.ndarray:
        key = (region * _DAYS + day) * 2 + male
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = np.arange(len(key)) - group_start
        slot = self._seq[key].astype(np.int64) + rank
        if slot.size and slot.max() >= _SEQ_SLOTS:
            raise SequenceOverflow("too many persons share a region, birth day and sex for unique ID numbers")
        unique_keys, counts = np.unique(sorted_key, return_counts=True)
        self._seq[unique_keys] += counts.astype(np.uint16)
        sequence = 2 * _SEQ_PERM[slot] + np.where(male, 1, 2)
        text = np.empty((len(key), 19), dtype=np.uint8)
        text[:, :6] = _REGION_DIGITS[region]
        text[:, 6:14] = _DAY_DIGITS[day]
        text[:, 14:17] = _SEQUENCE_DIGITS[sequence]
        text[:, 17] = check_characters(text[:, :17] - 48).astype("S1").view(np.uint8)
        text[:, 18] = 10
        return text

    def _other_documents(self, rng: np.random.Generator, kinds: np.ndarray) -> tuple[list[str], list[str | None]]:
        documents: list[str] = []
        names: list[str | None] = []
        for kind in kinds.tolist():
            self._documents += 1
            number = self._documents
            if kind == _HMT:
                # 回乡证 (H/M + 8 digits) for Hong Kong and Macao, 8 digits (台胞证) for Taiwan.
                documents.append(("H", "M", "")[int(rng.integers(0, 3))] + f"{number:08d}")
                names.append(None)
                continue
            if kind == _PASSPORT:
                documents.append(census.PASSPORT_PREFIXES[int(rng.integers(0, 6))] + f"{number:08d}")
            else:
                country = census.FOREIGN_PR_COUNTRIES[int(rng.integers(0, len(census.FOREIGN_PR_COUNTRIES)))]
                documents.append(f"{country}310000{number:06d}")
            given = census.FOREIGN_GIVEN[int(rng.integers(0, len(census.FOREIGN_GIVEN)))]
            names.append(f"{given} {census.FOREIGN_SURNAMES[int(rng.integers(0, len(census.FOREIGN_SURNAMES)))]}")
        return documents, names


def _names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    n = len(male)
    surnames = _SURNAMES[rng.choice(len(_SURNAMES), size=n, p=_SURNAME_P)]
    female_pool, male_pool = _GIVEN
    given = [
        np.where(male, male_pool[rng.integers(0, len(male_pool), n)], female_pool[rng.integers(0, len(female_pool), n)])
        for _ in range(2)
    ]
    second = np.where(rng.random(n) < census.TWO_CHARACTER_GIVEN_SHARE, given[1], "")
    return np.strings.add(np.strings.add(surnames, given[0]), second)


def _phone_lines(rng: np.random.Generator, n: int) -> np.ndarray:
    text = np.empty((n, 12), dtype=np.uint8)
    text[:, :3] = _PREFIX_DIGITS[rng.integers(0, len(_PREFIX_DIGITS), n)]
    text[:, 3:11] = rng.integers(48, 58, size=(n, 8), dtype=np.uint8)
    text[:, 11] = 10
    return text


def _door_reasons(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    n = len(ages)
    door = np.where(ages >= census.VERY_OLD_AGE, int(DoorReason.very_old), 0)
    door |= np.where(ages < census.INFANT_AGE, int(DoorReason.infant), 0)
    door |= np.where((ages >= 60) & (rng.random(n) < census.DOOR_BEDRIDDEN_SHARE_60), int(DoorReason.bedridden), 0)
    door |= np.where(rng.random(n) < census.DOOR_DISABLED_SHARE, int(DoorReason.disabled), 0)
    door |= np.where(rng.random(n) < census.DOOR_ISOLATION_SHARE, int(DoorReason.home_isolation), 0)
    return door


def _migrant_shares() -> np.ndarray:
    weights = np.array([d.migrant_weight for d in census.DISTRICTS])
    populations = np.array([d.population for d in census.DISTRICTS])
    # Foreigners and HMT residents count as registered elsewhere too; the rest of the share is drawn here.
    outsiders = census.FOREIGN_SHARE + census.HMT_SHARE
    target = (census.REGISTERED_ELSEWHERE_SHARE - outsiders) / (1 - outsiders)
    return weights * target * populations.sum() / (weights * populations).sum()


_MIGRANT_SHARES = _migrant_shares()
