"""Identity document numbers as lists deliver them: validated, upgraded, repaired, or recognised as mangled.

Built on `people.identity` (the rules of a valid number live there only). This module adds what a list of
millions needs: a vectorised check for the common case (an 18-character resident ID, answered exactly as
`validate_resident_id` would), single-character repair suggestions for an ID whose check character fails,
and detection of IDs that went through Excel, which keeps 15 significant digits and zeroes the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gridscreen.people.identity import (
    DocumentType,
    InvalidDocument,
    check_characters,
    make_resident_id,
    validate_document,
    validate_resident_id,
)


class DocumentStatus(StrEnum):
    valid = "valid"
    upgraded = "upgraded"  # a legacy 15-digit resident ID, now its 18-character form
    invalid = "invalid"
    excel_mangled = "excel_mangled"  # 15 significant digits survive; see DocumentCheck.prefix
    # Valid, but ending in 000 as Excel leaves IDs; 1 in 11 mangled IDs passes the check, which makes a
    # valid "...000" on a typed list likelier mangled than real. Compared, never trusted as an anchor.
    suspect = "suspect"
    missing = "missing"


@dataclass(frozen=True, slots=True)
class DocumentCheck:
    status: DocumentStatus
    canonical: str | None = None  # the valid number (valid / upgraded)
    prefix: str | None = None  # excel_mangled: the digits that survived
    repairs: tuple[str, ...] = ()  # invalid: valid numbers one substitution or adjacent swap away
    birth_date: date | None = None  # read from a valid, upgraded, suspect or Excel-mangled resident ID
    sex: str | None = None
    reason: str | None = None


def _valid_provinces() -> np.ndarray:
    # Asked of identity itself, so the region rule is never written down twice.
    valid = []
    for province in range(100):
        try:
            make_resident_id(f"{province:02d}0000", date(2000, 1, 1), 1)
        except InvalidDocument:
            continue
        valid.append(province)
    return np.asarray(valid)


_PROVINCES = _valid_provinces()
_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
_DAYS_IN_MONTH = np.asarray([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_EXCEL_DIGITS = re.compile(r"([0-9]{15})000")
_EXCEL_FLOAT = re.compile(r"([1-9])\.([0-9]{1,14})E\+?17")


def _clean(number: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", number)).upper()


def _as_codes(numbers: Sequence[str] | pa.Array) -> np.ndarray:
    """(n, 18) uint8 ASCII codes of 18-character ASCII strings."""
    fixed = pc.cast(pa.array(numbers, pa.string()), pa.binary(18))
    raw = np.frombuffer(fixed.buffers()[1], np.uint8)
    return raw[fixed.offset * 18 : (fixed.offset + len(fixed)) * 18].reshape(-1, 18)


def _number(digits: np.ndarray) -> np.ndarray:
    return digits @ (10 ** np.arange(digits.shape[1] - 1, -1, -1))


def _check_codes(digits: np.ndarray) -> np.ndarray:
    # A '<U1' array holds one UCS-4 code point per item: viewing it as integers costs nothing.
    return check_characters(digits).view(np.uint32)


def _valid_codes(codes: np.ndarray, today: date) -> np.ndarray:
    """Which rows (17 digits then a digit or X, as ASCII codes) validate_resident_id accepts."""
    digits = codes[:, :17].astype(np.int32) - 48
    year, month, day = _number(digits[:, 6:10]), _number(digits[:, 10:12]), _number(digits[:, 12:14])
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    real_date = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)
    not_future = year * 10000 + month * 100 + day <= today.year * 10000 + today.month * 100 + today.day
    check = _check_codes(digits)
    province = np.isin(digits[:, 0] * 10 + digits[:, 1], _PROVINCES)
    return real_date & not_future & province & (check == codes[:, 17])


def valid_resident_ids(numbers: Sequence[str] | pa.Array, *, today: date | None = None) -> np.ndarray:
    """For each number, True exactly when validate_resident_id accepts it unchanged (already canonical)."""
    array = pa.array(numbers, pa.string())
    shaped = pc.fill_null(pc.match_substring_regex(array, f"^{_RESIDENT_ID.pattern}$"), False)
    result = np.zeros(len(array), dtype=bool)
    where = np.flatnonzero(shaped.to_numpy(zero_copy_only=False))
    if where.size:
        result[where] = _valid_codes(_as_codes(array.take(pa.array(where))), today or date.today())
    return result


def repair_candidates(
    numbers: Sequence[str],
    *,
    birth_dates: Sequence[date | None] | None = None,
    sexes: Sequence[str | None] | None = None,
    regions: Collection[str] | None = None,
    today: date | None = None,
) -> list[list[str]]:
    """For each 18-character number, the valid numbers one substituted character or one swap of neighbours
    away, keeping only those whose birth date and sex agree with the record's (where known) and, given
    `regions` (6-digit codes in use), whose region is one of them."""
    today = today or date.today()
    out: list[list[str]] = [[] for _ in numbers]
    shaped = [i for i, n in enumerate(numbers) if n and _RESIDENT_ID.fullmatch(n)]
    for start in range(0, len(shaped), 4096):  # bounds the (n, 188, 18) candidate array
        rows = shaped[start : start + 4096]
        codes = _as_codes([numbers[i] for i in rows])
        variants = np.repeat(codes[:, None, :], 170 + 18, axis=1)
        k = np.arange(170)
        variants[:, k, k // 10] = 48 + k % 10  # substitute position p with digit v: k = 10 p + v
        for p in range(17):  # swap positions p and p+1 (the last swap moves the check character)
            variants[:, 170 + p, [p, p + 1]] = codes[:, [p + 1, p]]
        variants[:, 187, 17] = _check_codes(codes[:, :17].astype(np.int32) - 48)
        flat = variants.reshape(-1, 18)
        digits = flat[:, :17].astype(np.int32) - 48
        # Only 1 in 11 variants has a matching check character: test that first, the rest on survivors.
        ok = (digits <= 9).all(axis=1) & (digits >= 0).all(axis=1)
        ok[ok] = _check_codes(digits[ok]) == flat[ok, 17]
        ok[ok] = _valid_codes(flat[ok], today)
        ok &= (flat != np.repeat(codes, 188, axis=0)).any(axis=1)
        ok = ok.reshape(len(rows), 188) & _agree(variants, rows, birth_dates, sexes)
        for j, i in enumerate(rows):
            found = {v.tobytes().decode() for v in variants[j][ok[j]]}
            out[i] = sorted(found if regions is None else (c for c in found if c[:6] in regions))
    return out


def _agree(variants: np.ndarray, rows: list[int], births: Sequence | None, sexes: Sequence | None) -> np.ndarray:
    """(n, 188): which variants agree with the record's birth date and sex, where the record gives them."""
    agree = np.ones(variants.shape[:2], dtype=bool)
    if births is not None:
        known = [(j, b) for j, i in enumerate(rows) if (b := births[i]) is not None]
        if known:
            at = np.asarray([j for j, _ in known])
            days = np.frombuffer("".join(f"{b.year:04d}{b.month:02d}{b.day:02d}" for _, b in known).encode(), np.uint8)
            agree[at] &= (variants[at, :, 6:14] == days.reshape(-1, 1, 8)).all(axis=2)
    if sexes is not None:
        male = np.asarray([{"M": 1, "F": 0}.get(sexes[i], -1) for i in rows])
        odd = (variants[:, :, 16] - 48) % 2
        agree &= (male[:, None] < 0) | (odd == male[:, None])
    return agree


def suggest_repairs(
    number: str,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    regions: Collection[str] | None = None,
    today: date | None = None,
) -> list[str]:
    """Valid resident IDs one typed character (or one swap of neighbours) away from an invalid one, that
    agree with the person's birth date, sex and (given the codes in use) region; [] for a number that is
    valid or not 18 characters long."""
    cleaned = _clean(number)
    if valid_resident_ids([cleaned], today=today)[0]:
        return []
    return repair_candidates([cleaned], birth_dates=[birth_date], sexes=[sex], regions=regions, today=today)[0]


def excel_prefix(number: str | None) -> str | None:
    """The digits that survived if an 18-digit ID was stored as a number in Excel (15 significant digits
    then zeros, or shown as 3.10101199003071E+17); None if it does not look mangled. A valid ID ending in
    000 looks mangled too: Excel's zeros pass the check character 1 time in 11."""
    cleaned = _clean(number or "")
    match = _EXCEL_DIGITS.fullmatch(cleaned)
    if match:
        return match.group(1)
    match = _EXCEL_FLOAT.fullmatch(cleaned)
    if match:
        return match.group(1) + match.group(2)
    return None


def _date_part(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


Validator = Callable[[str, str], str]


def inspect_document(
    doc_type: str | None,
    number: str | None,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    validate: Validator | None = None,
    today: date | None = None,
) -> DocumentCheck:
    """What a list's document entry is worth. `validate(type, number)` returns the canonical number or raises
    InvalidDocument; by default `validate_document` for the types it knows and a clean-up for any other."""
    checks = inspect_documents(
        [doc_type], [number], birth_dates=[birth_date], sexes=[sex], validate=validate, today=today
    )
    check = checks[0]
    if check is None:  # the fast path's "valid as it stands"
        assert number is not None
        parsed = validate_resident_id(number, today=today)
        return DocumentCheck(DocumentStatus.valid, number, birth_date=parsed.birth_date, sex=parsed.sex)
    if check.reason is None and check.status in (DocumentStatus.invalid, DocumentStatus.excel_mangled):
        # The bulk path knows the number is wrong without asking why; one entry gets the reason a person reads.
        try:
            validate_resident_id(_clean(number or ""), today=today)
        except InvalidDocument as error:
            return replace(check, reason=error.reason)
    return check


def inspect_documents(
    doc_types: Sequence[str | None] | pa.Array,
    numbers: Sequence[str | None] | pa.Array,
    *,
    birth_dates: Sequence[date | None] | None = None,
    sexes: Sequence[str | None] | None = None,
    validate: Validator | None = None,
    today: date | None = None,
) -> list[DocumentCheck | None]:
    """inspect_document for many entries at once; None stands for "an 18-character resident ID, valid and
    canonical as it stands" (nearly every entry of a real list), which the caller takes as it is."""
    today = today or date.today()
    types, numbers = pa.array(doc_types, pa.string()), pa.array(numbers, pa.string())
    fast = _fast(types, numbers, validate, today)
    # 18 digits (or 17 and X) as they stand but not fast: known invalid, or valid and ending in 000, without
    # asking identity again (the fast path agrees with it exactly). The rest takes the slow, general way.
    shaped = _shaped(types, numbers) & ~fast & (validate is None)
    valid = valid_resident_ids(numbers, today=today) & shaped
    checks: list[DocumentCheck | None] = [None] * len(numbers)
    to_repair: list[int] = []
    for i in np.flatnonzero(shaped).tolist():
        number = numbers[i].as_py()
        born, sex = _date_part(number[6:14]), "M" if int(number[16]) % 2 else "F"  # born: not if invalid
        if valid[i]:
            checks[i] = DocumentCheck(DocumentStatus.suspect, number, number[:15], birth_date=born, sex=sex)
        elif number.endswith("000"):
            checks[i] = DocumentCheck(DocumentStatus.excel_mangled, prefix=number[:15], birth_date=born)
        else:
            checks[i] = DocumentCheck(DocumentStatus.invalid, sex=sex)
            to_repair.append(i)
    for i in np.flatnonzero(~fast & ~shaped).tolist():
        number, doc_type = numbers[i].as_py(), types[i].as_py() or DocumentType.resident_id.value
        checks[i] = check = _slow(doc_type, number, validate, today)
        if check.status is DocumentStatus.invalid and check.sex:  # an 18-character resident ID, wrong
            to_repair.append(i)
    repairs = repair_candidates(
        [_clean(numbers[i].as_py()) for i in to_repair],
        birth_dates=[birth_dates[i] for i in to_repair] if birth_dates is not None else None,
        sexes=[sexes[i] for i in to_repair] if sexes is not None else None,
        today=today,
    )
    for i, found in zip(to_repair, repairs, strict=True):
        check = checks[i]
        checks[i] = DocumentCheck(check.status, repairs=tuple(found), birth_date=check.birth_date, sex=check.sex,
                                  reason=check.reason)  # fmt: skip
    return checks


def _shaped(types: pa.Array, numbers: pa.Array) -> np.ndarray:
    resident = pc.equal(pc.fill_null(types, DocumentType.resident_id.value), DocumentType.resident_id.value)
    pattern = pc.match_substring_regex(numbers, f"^{_RESIDENT_ID.pattern}$")
    return pc.fill_null(pc.and_(resident, pattern), False).to_numpy(zero_copy_only=False)


def fast_resident_ids(types: pa.Array, numbers: pa.Array, *, today: date | None = None) -> np.ndarray:
    """Which entries are resident IDs valid as they stand and not ending in Excel's 000: those that
    inspect_documents leaves to the caller (None)."""
    return _fast(types, numbers, None, today or date.today())


def _fast(types: pa.Array, numbers: pa.Array, validate: Validator | None, today: date) -> np.ndarray:
    if validate is not None:
        return np.zeros(len(numbers), dtype=bool)
    resident = pc.fill_null(pc.equal(pc.fill_null(types, DocumentType.resident_id.value), "resident_id"), False)
    zeros = pc.fill_null(pc.ends_with(numbers, "000"), False)
    plain = pc.and_(resident, pc.invert(zeros)).to_numpy(zero_copy_only=False)
    return valid_resident_ids(numbers, today=today) & plain


def _slow(doc_type: str, number: str | None, validate: Validator | None, today: date) -> DocumentCheck:
    if not number or not _clean(number):
        return DocumentCheck(DocumentStatus.missing)
    checker = validate or (validate_document if doc_type in DocumentType.__members__ else _generic)
    try:
        canonical = checker(doc_type, number)
    except InvalidDocument as error:
        return _invalid(doc_type, _clean(number), error.reason)
    if doc_type != DocumentType.resident_id:
        return DocumentCheck(DocumentStatus.valid, canonical)
    parsed = validate_resident_id(canonical, today=today)
    prefix = excel_prefix(canonical)
    status = DocumentStatus.upgraded if len(_clean(number)) == 15 else DocumentStatus.valid
    status = DocumentStatus.suspect if prefix and status is DocumentStatus.valid else status
    return DocumentCheck(status, canonical, prefix, birth_date=parsed.birth_date, sex=parsed.sex)


def _generic(doc_type: str, number: str) -> str:
    cleaned = re.sub(r"[^0-9A-Z]", "", _clean(number))
    if not cleaned:
        raise InvalidDocument("document number is missing")
    return cleaned


def _invalid(doc_type: str, cleaned: str, reason: str) -> DocumentCheck:
    prefix = excel_prefix(cleaned) if doc_type == DocumentType.resident_id else None
    if prefix is not None:
        # 14+ surviving digits still carry the region and the birth date.
        born = _date_part(prefix[6:14]) if len(prefix) >= 14 else None
        return DocumentCheck(DocumentStatus.excel_mangled, prefix=prefix, birth_date=born, reason=reason)
    if not _RESIDENT_ID.fullmatch(cleaned) or doc_type != DocumentType.resident_id:
        return DocumentCheck(DocumentStatus.invalid, reason=reason)
    # The date part may hold the typo; it is still the best guess for a record that gives no birth date.
    return DocumentCheck(DocumentStatus.invalid, sex="M" if int(cleaned[16]) % 2 else "F", reason=reason)


DOCUMENT_COLUMNS = pa.schema(
    [("idx", pa.int64()), ("doc_key", pa.string()), ("doc_clean", pa.string()), ("doc_status", pa.string())]
    + [("prefix", pa.string()), ("repairs", pa.list_(pa.string())), ("id_birth", pa.date32()), ("id_sex", pa.string())]
)


_TRUSTED = (DocumentStatus.valid, DocumentStatus.upgraded)


def document_columns(
    batch: pa.RecordBatch, *, validate: Validator | None = None, today: date | None = None
) -> pa.Table:
    """inspect_documents in bulk over a batch of (idx, doc_type, number, birth_date, sex): DOCUMENT_COLUMNS,
    doc_key the trusted number and doc_clean the cleaned-up other one (invalid, mangled, suspect). Entries
    valid as they stand never become Python objects; their id_birth and id_sex are left to the caller."""
    today = today or date.today()
    idx, types, numbers = batch.column(0), batch.column(1), batch.column(2)
    fast = _fast(types, numbers, validate, today)
    mask = pa.array(fast)
    n_fast = int(fast.sum())
    nulls = {f.name: pa.nulls(n_fast, f.type) for f in DOCUMENT_COLUMNS}
    valid = pa.table(nulls | {"idx": idx.filter(mask), "doc_key": numbers.filter(mask),
                              "doc_status": pa.array([DocumentStatus.valid.value] * n_fast, pa.string())},
                     schema=DOCUMENT_COLUMNS)  # fmt: skip
    rest = pa.array(~fast)
    raw = numbers.filter(rest).to_pylist()
    checks = inspect_documents(
        types.filter(rest), raw, birth_dates=batch.column(3).filter(rest).to_pylist(),
        sexes=batch.column(4).filter(rest).to_pylist(), validate=validate, today=today,
    )  # fmt: skip
    trusted = [c is not None and c.status in _TRUSTED for c in checks]
    odd = pa.table(
        [
            idx.filter(rest),
            [c.canonical if t else None for c, t in zip(checks, trusted, strict=True)],
            [None if t else (c.canonical or _clean(r) or None) for r, c, t in zip(raw, checks, trusted, strict=True)],
            [c.status.value for c in checks],
            [c.prefix for c in checks],
            [list(c.repairs) if c.repairs else None for c in checks],
            [c.birth_date for c in checks],
            [c.sex for c in checks],
        ],
        schema=DOCUMENT_COLUMNS,
    )
    return pa.concat_tables([valid, odd])
