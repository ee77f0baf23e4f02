"""Noisy source lists drawn from the synthetic city, with the truth kept aside. Pure and deterministic for
(people, seed, noise): no database, a city chunk at a time.

Four lists, as in spring 2022: the registry (household and residence registration, at the registered
address, which for `moved` of households is not where they live), rental registrations (tenants, mostly
migrants, at the flat), the telecom extract (real-name phone subscribers; a second number gives a second
record), and the door-to-door sweep (who the grid workers found at home, typed by volunteers; collective
dormitories worst). Some residents are on no list (`door_only`: the sweep is their only trace; `absent`:
not even that); some are on lists but not at the door (away, not answering).

Entry errors are drawn per record at the source's rate (registry, rental, telecom, sweep): typos and
homophones in names, traditional characters, spaces and full-width forms, a wrong or swapped digit in an ID,
IDs through Excel (15 digits then zeros), legacy 15-digit IDs, missing IDs / phones / birth dates, phone
and date formats. The defaults are guesses at a city list's quality, documented on `Noise`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from opencc import OpenCC

from gridscreen.roster.normalise import pinyin
from gridscreen.sim import census
from gridscreen.sim.city import AREA_COLUMNS, HOUSEHOLD_COLUMNS, PERSON_COLUMNS, generate_city

SOURCE_KINDS = ("registry", "rental", "telecom", "sweep")
REGISTRY, RENTAL, TELECOM, SWEEP = range(4)
RECORD_SCHEMA = pa.schema(
    [("record_id", pa.int64()), ("source_kind", pa.string()), ("name", pa.string())]
    + [(c, pa.string()) for c in ("document_type", "document_number", "phone", "birth_date", "sex", "address")]
    + [(c, pa.string()) for c in ("compound", "building", "unit", "room")]
    + [(c, pa.int64()) for c in ("building_id", "committee_id", "district_id")]
)
TRUTH_SCHEMA = pa.schema([("record_id", pa.int64()), ("person_id", pa.int64())])
PERSON_SCHEMA = pa.schema(
    [("person_id", pa.int64()), ("collective", pa.bool_()), ("door_only", pa.bool_()), ("absent", pa.bool_())]
)


@dataclass(frozen=True, slots=True)
class Noise:
    """Who is on which list, and how often each list gets a field wrong. Per-source tuples are in the order
    (registry, rental, telecom, sweep)."""

    registry: float = 0.93  # residents on the registry
    moved: float = 0.5  # registry households registered at another address than where they live
    rental_migrant: float = 0.5  # migrant family households on a rental registration
    rental_local: float = 0.06
    rental_member: float = 0.85  # members of a renting household the registration names
    telecom: float = 0.95  # phone owners in the telecom extract
    second_phone: float = 0.06  # ... with a second subscription (a duplicate inside the source)
    at_door: float = 0.975  # residents found by the sweep (the rest are away or do not answer)
    door_only: float = 0.01  # residents on no list, found at the door
    absent: float = 0.003  # residents on no list and not at the door: nobody knows of them
    sweep_duplicate: float = 0.01  # persons the sweep records twice (two teams, two visits)
    dormitory: float = 3.0  # sweep error rates in collective dormitories are this many times higher
    name_typo: tuple[float, ...] = (0.001, 0.01, 0.005, 0.02)  # a character that sounds different
    homophone: tuple[float, ...] = (0.001, 0.01, 0.005, 0.02)  # a character that sounds the same
    traditional: tuple[float, ...] = (0.002, 0.005, 0.02, 0.005)  # and all HMT residents on the telecom list
    name_format: tuple[float, ...] = (0.0, 0.01, 0.01, 0.02)  # spaces, full width, family-name order
    id_missing: tuple[float, ...] = (0.0, 0.05, 0.002, 0.08)
    id_typo: tuple[float, ...] = (0.001, 0.01, 0.003, 0.02)  # one digit wrong, or two neighbours swapped
    id_excel: tuple[float, ...] = (0.0, 0.02, 0.0, 0.02)
    id_legacy: tuple[float, ...] = (0.02, 0.0, 0.0, 0.0)  # 15-digit form (residents born before 1980)
    id_format: tuple[float, ...] = (0.0, 0.01, 0.0, 0.02)  # lower-case x, spaces, full-width digits
    phone_missing: tuple[float, ...] = (0.4, 0.3, 0.0, 0.2)
    phone_typo: tuple[float, ...] = (0.001, 0.01, 0.0, 0.01)
    phone_format: tuple[float, ...] = (0.0, 0.05, 0.0, 0.05)  # +86, spaces, dashes
    birth_missing: tuple[float, ...] = (0.0, 0.2, 0.6, 0.1)  # of records with an ID number
    birth_typo: tuple[float, ...] = (0.001, 0.005, 0.003, 0.01)
    telecom_address: float = 0.5  # telecom records that carry a (registered) address at all


@dataclass(slots=True)
class SourceBatch:
    records: pa.Table  # RECORD_SCHEMA
    truth: pa.Table  # TRUTH_SCHEMA: which person each record is
    persons: pa.Table  # PERSON_SCHEMA: every resident of the chunk, listed or not


_GIVEN_POOL = census.GIVEN_MALE + census.GIVEN_FEMALE
# Characters that share a reading with a given-name character: what a volunteer typing pinyin picks wrongly.
_EXTRA = "玮炜韦维薇唯卫魏蔚俐莉立利栗力励晶婧靖敬竞镜菁鸣铭茗名敏闽悯君钧均筠骏郡洁婕捷杰颉韬滔焘蕾垒儡莹瑛鹰盈赢樱"
_EXTRA += "方坊芳纺彦雁燕晏宏鸿虹弘洪泓灵菱铃凌羚苹萍凭屏娜纳钠嘉佳加家茄珈涛桃陶萄华桦骅化画"
_HOMOPHONES: dict[str, list[str]] = {}
for _char in dict.fromkeys(_GIVEN_POOL + _EXTRA):
    _HOMOPHONES.setdefault(pinyin(_char), []).append(_char)
_HOMOPHONE_OF = {c: [o for o in group if o != c] for group in _HOMOPHONES.values() for c in group}
_s2t = OpenCC("s2t")
_TRADITIONAL: dict[str, str] = {}
_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})


def generate_sources(people: int, seed: int, noise: Noise | None = None) -> Iterator[SourceBatch]:
    """The four source lists of a generated city, one batch per city chunk with people in it."""
    noise = noise or Noise()
    places = _Places()
    next_record = 1
    for index, chunk in enumerate(generate_city(people, seed)):
        places.add(chunk.areas)
        if not chunk.persons:
            continue
        rng = np.random.default_rng([seed, 7, index])
        batch = _chunk_sources(rng, noise, places, chunk.households, chunk.persons, next_record)
        next_record += batch.records.num_rows
        yield batch


class _Places:
    """Compound and building names of every building seen so far (registered addresses are city-wide)."""

    def __init__(self) -> None:
        self.compound_name: dict[int, str] = {}
        self.building: dict[int, tuple[str, str, int, int]] = {}  # id -> compound, label, committee, district
        self.ids: list[int] = []

    def add(self, areas: list[tuple]) -> None:
        level, name, parent = (AREA_COLUMNS.index(c) for c in ("level", "name", "parent_id"))
        committee, district = AREA_COLUMNS.index("committee_id"), AREA_COLUMNS.index("district_id")
        for row in areas:
            if row[level] == "compound":
                self.compound_name[row[0]] = row[name]
            elif row[level] == "building":
                compound = self.compound_name[row[parent]]
                self.building[row[0]] = (compound, row[name], row[committee], row[district])
                self.ids.append(row[0])


def _chunk_sources(rng, noise: Noise, places: _Places, households: list[tuple], persons: list[tuple], first_id: int):
    """Who of the chunk is on which list, then each list's records with its noise; record ids from first_id."""
    hh = dict(zip(HOUSEHOLD_COLUMNS, zip(*households, strict=True), strict=True))
    p = {c: np.asarray(v, dtype=object) for c, v in zip(PERSON_COLUMNS, zip(*persons, strict=True), strict=True)}
    n, hh_index = len(persons), {h: i for i, h in enumerate(hh["id"])}
    home = np.fromiter((hh_index[h] for h in p["household_id"]), dtype=np.int64, count=n)
    collective = np.asarray(hh["kind"], dtype=object)[home] == "collective"
    draw = rng.random(n)
    absent, door_only = draw < noise.absent, (draw >= noise.absent) & (draw < noise.absent + noise.door_only)
    listed = ~absent & ~door_only
    migrant = np.asarray(p["registered_elsewhere"], dtype=bool)

    # Dwellings: where each household lives, and where the registry has it (moved households elsewhere).
    n_hh = len(hh["id"])
    actual = [
        (*places.building[b][:2], u, r, b) for b, u, r in zip(hh["building_id"], hh["unit"], hh["room"], strict=True)
    ]
    moved = rng.random(n_hh) < noise.moved
    elsewhere = rng.integers(0, len(places.ids), n_hh)
    units, rooms = rng.integers(1, 4, n_hh), rng.integers(1, 30, n_hh) * 100 + rng.integers(1, 3, n_hh)
    registered = [
        (*places.building[places.ids[e]][:2], f"{u}单元", str(r), places.ids[e]) if m else a
        for a, m, e, u, r in zip(
            actual, moved.tolist(), elsewhere.tolist(), units.tolist(), rooms.tolist(), strict=True
        )
    ]

    hh_rents = rng.random(n_hh) < np.where(
        np.bincount(home, weights=migrant, minlength=n_hh) > 0, noise.rental_migrant, noise.rental_local
    )
    on = [
        listed & (rng.random(n) < noise.registry),
        listed & ~collective & hh_rents[home] & (rng.random(n) < noise.rental_member),
        listed & (p["phone"] != None) & (rng.random(n) < noise.telecom),  # noqa: E711
        ~absent & (door_only | (rng.random(n) < noise.at_door)),
    ]
    second = on[TELECOM] & (rng.random(n) < noise.second_phone)
    twice = on[SWEEP] & (rng.random(n) < noise.sweep_duplicate)
    picks = [
        np.flatnonzero(on[REGISTRY]),
        np.flatnonzero(on[RENTAL]),
        np.sort(np.r_[np.flatnonzero(on[TELECOM]), np.flatnonzero(second)]),
        np.sort(np.r_[np.flatnonzero(on[SWEEP]), np.flatnonzero(twice)]),
    ]
    columns: dict[str, list] = {f.name: [] for f in RECORD_SCHEMA}
    person_of: list[np.ndarray] = []
    for kind, who in enumerate(picks):
        records = _Records(rng, noise, kind, p, who, dorm=collective[who])
        dwell = [(registered if kind == REGISTRY else actual)[h] for h in home[who].tolist()]
        if kind == TELECOM:
            duplicate = np.r_[False, who[1:] == who[:-1]]  # the second subscription gets its own number
            records.phone = [_phone(rng) if d else ph for d, ph in zip(duplicate, records.phone, strict=True)]
            dwell = [registered[h] if rng.random() < noise.telecom_address else None for h in home[who].tolist()]
        records.emit(columns, dwell, places)
        person_of.append(np.asarray(p["id"][who], dtype=np.int64))
    count = len(columns["name"])
    columns["record_id"] = list(range(first_id, first_id + count))
    person_ids = np.concatenate(person_of)
    return SourceBatch(
        records=pa.table(columns, schema=RECORD_SCHEMA),
        truth=pa.table({"record_id": columns["record_id"], "person_id": person_ids}, schema=TRUTH_SCHEMA),
        persons=pa.table(
            {"person_id": p["id"].astype(np.int64), "collective": collective, "door_only": door_only, "absent": absent},
            schema=PERSON_SCHEMA,
        ),
    )


_BIRTH_FORMATS = ("{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}{m:02d}{d:02d}", "{y}年{m}月{d}日")
_ADDRESS_FORMATS = ("{c}{b}号楼{u}单元{r}室", "{c} {b}栋 {u}-{r}", "上海市{c}{b}号{r}室")


class _Records:
    """One source's records for the persons `who` (indices into the chunk, repeated for duplicates)."""

    def __init__(self, rng, noise: Noise, kind: int, p: dict, who: np.ndarray, dorm: np.ndarray) -> None:
        self.rng, self.kind, n = rng, kind, len(who)
        factor = np.where(dorm & (kind == SWEEP), noise.dormitory, 1.0)

        def hit(rates: tuple[float, ...]) -> np.ndarray:
            return rng.random(n) < rates[kind] * factor

        self.types = p["document_type"][who].tolist()
        self.names = p["name"][who].tolist()
        hmt = np.asarray(self.types, dtype=object) == "hmt_permit"
        name_noise = [hit(noise.name_typo), hit(noise.homophone), hit(noise.traditional) | (hmt & (kind == TELECOM))]
        name_noise.append(hit(noise.name_format))
        for i in np.flatnonzero(np.logical_or.reduce(name_noise)).tolist():
            self.names[i] = _noisy_name(rng, self.names[i], *(bool(f[i]) for f in name_noise))

        self.documents = p["document_number"][who].tolist()
        missing, typo, excel = hit(noise.id_missing), hit(noise.id_typo), hit(noise.id_excel)
        legacy, fmt = hit(noise.id_legacy), hit(noise.id_format)
        for i in np.flatnonzero(missing | typo | excel | legacy | fmt).tolist():
            self.documents[i] = _noisy_document(
                rng, self.documents[i], self.types[i] == "resident_id", missing[i], typo[i], excel[i], legacy[i], fmt[i]
            )

        self.phone = p["phone"][who].tolist()
        missing, typo, fmt = hit(noise.phone_missing), hit(noise.phone_typo), hit(noise.phone_format)
        for i in np.flatnonzero((missing | typo | fmt) & (p["phone"][who] != None)).tolist():  # noqa: E711
            self.phone[i] = None if missing[i] else _noisy_phone(rng, self.phone[i], typo[i], fmt[i])

        births = p["birth_date"][who].tolist()
        # Lists leave the birth date out when they have the ID number (it is in there), not otherwise.
        missing = hit(noise.birth_missing) & (np.asarray(self.documents, dtype=object) != None)  # noqa: E711
        typo = hit(noise.birth_typo)
        style = _BIRTH_FORMATS[kind] if kind != SWEEP else None
        self.birth = [None if missing[i] else _birth_text(rng, b, bool(typo[i]), style) for i, b in enumerate(births)]
        self.sex = p["sex"][who].tolist()

    def emit(self, columns: dict[str, list], dwellings: list, places: _Places) -> None:
        n = len(self.names)
        columns["source_kind"] += [SOURCE_KINDS[self.kind]] * n
        columns["name"] += self.names
        columns["document_type"] += self.types
        columns["document_number"] += self.documents
        columns["phone"] += self.phone
        columns["birth_date"] += self.birth
        columns["sex"] += self.sex
        styles = self.rng.integers(0, 2, n) if self.kind == RENTAL else np.full(n, 2 if self.kind == TELECOM else 0)
        for dwelling, style in zip(dwellings, styles.tolist(), strict=True):
            if dwelling is None:
                text, parts, ids = None, (None,) * 4, (None,) * 3
            else:
                compound, label, unit, room, building_id = dwelling
                _, _, committee, district = places.building[building_id]
                number = label.removesuffix("号楼")
                text = _ADDRESS_FORMATS[style].format(c=compound, b=number, u=unit.removesuffix("单元"), r=room)
                parts, ids = (compound, label, unit, room), (building_id, committee, district)
                if self.kind == TELECOM:  # the billing address: only its district is trusted
                    ids = (None, None, district)
            columns["address"].append(None if self.kind == SWEEP else text)
            for column, value in zip(("compound", "building", "unit", "room"), parts, strict=True):
                columns[column].append(value if self.kind == SWEEP else None)
            for column, value in zip(("building_id", "committee_id", "district_id"), ids, strict=True):
                columns[column].append(value)


def _noisy_name(rng, name: str, typo: bool, homophone: bool, traditional: bool, fmt: bool) -> str:
    if name.isascii():
        letters = list(name)
        if typo:
            i = int(rng.integers(0, len(letters)))
            letters[i] = letters[i] * 2 if rng.random() < 0.5 else ""
        text = "".join(letters)
        if fmt:
            words = text.split()
            text = " ".join(words[::-1]) if rng.random() < 0.5 else text.translate(_FULL_WIDTH)
        return text
    chars = list(name)
    if homophone:
        # Given-name characters first: a clerk knows how a common surname is written.
        at = [i for i in range(len(chars) - 1, -1, -1) if _HOMOPHONE_OF.get(chars[i])]
        if at:
            choices = _HOMOPHONE_OF[chars[at[0]]]
            chars[at[0]] = choices[int(rng.integers(0, len(choices)))]
    if typo and len(chars) > 1:
        i = int(rng.integers(1, len(chars)))
        while True:
            new = _GIVEN_POOL[int(rng.integers(0, len(_GIVEN_POOL)))]
            if pinyin(new) != pinyin(chars[i]):
                chars[i] = new
                break
    if traditional:
        for i, c in enumerate(chars):
            if c not in _TRADITIONAL:
                _TRADITIONAL[c] = _s2t.convert(c)[:1] or c
            chars[i] = _TRADITIONAL[c]
    text = "".join(chars)
    return text[:1] + " " + text[1:] if fmt else text


def _noisy_document(rng, number: str, resident: bool, missing, typo, excel, legacy, fmt) -> str | None:
    if missing:
        return None
    if typo:
        chars = list(number)
        i = int(rng.integers(0, len(chars) - 1))
        if rng.random() < 0.3 and chars[i] != chars[i + 1]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            i = int(rng.integers(0, len(chars)))
            digit = str(int(rng.integers(0, 9)))
            chars[i] = digit if digit != chars[i] else "9" if digit != "9" else "8"
        return "".join(chars)
    if resident and excel and not number.endswith("X"):
        return number[:15] + "000" if rng.random() < 0.8 else f"{number[0]}.{number[1:15]}E+17"
    if resident and legacy and number[6:8] == "19" and number[8:10] < "80":
        return number[:6] + number[8:17]
    if fmt:
        style = int(rng.integers(0, 3))
        if style == 0:
            return number.lower()
        return number[:6] + " " + number[6:14] + " " + number[14:] if style == 1 else number.translate(_FULL_WIDTH)
    return number


def _noisy_phone(rng, phone: str, typo: bool, fmt: bool) -> str:
    if typo:
        i = int(rng.integers(3, 11))
        phone = phone[:i] + str((int(phone[i]) + int(rng.integers(1, 10))) % 10) + phone[i + 1 :]
    if fmt:
        style = int(rng.integers(0, 3))
        return ("+86 " + phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}")[style]
    return phone


def _phone(rng) -> str:
    prefix = census.MOBILE_PREFIXES[int(rng.integers(0, len(census.MOBILE_PREFIXES)))]
    return f"{prefix}{int(rng.integers(0, 10**8)):08d}"


def _birth_text(rng, iso: str, typo: bool, style: str | None) -> str:
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    if typo:
        if d <= 12 and d != m:
            m, d = d, m  # day and month the other way round
        else:
            d = d + 1 if d < 28 else d - 1
    style = style or _BIRTH_FORMATS[int(rng.integers(0, 4))]
    return style.format(y=y, m=m, d=d)
