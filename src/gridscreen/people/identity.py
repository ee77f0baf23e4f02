"""Identity documents and phone numbers: validation, canonical form and masking.

Pure functions, no database and no I/O. Resident ID numbers follow GB 11643-1999 with the
ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

import numpy as np

from gridscreen.errors import Invalid


class DocumentType(StrEnum):
    resident_id = "resident_id"  # 居民身份证
    passport = "passport"
    hmt_permit = "hmt_permit"  # 港澳台居民通行证 / 居住证
    foreign_pr = "foreign_pr"  # 外国人永久居留身份证
    none = "none"


class InvalidDocument(Invalid, ValueError):
    """A document number that cannot be right; `reason` says why in a sentence a person understands."""

    translated_params = ("what",)

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template, **params)
        self.reason = str(self)


class InvalidPhone(Invalid, ValueError):
    """A phone number that cannot be dialled; `reason` says why."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template, **params)
        self.reason = str(self)


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: date
    sex: Literal["M", "F"]
    upgraded_from_15: bool


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_TABLE = "10X98765432"  # indexed by weighted sum mod 11
_PROVINCES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66)]
    + [71, 81, 82, 83]  # Taiwan, and residence permits for HK (810000), Macao (820000), Taiwan (830000)
)
_RESIDENCE_PERMIT_REGIONS = ("810000", "820000", "830000")
_ID18 = re.compile(r"[0-9]{17}[0-9X]")


def _clean(number: str) -> str:
    # NFKC folds full-width digits and letters (common from Chinese input methods) to ASCII.
    return unicodedata.normalize("NFKC", number).strip().upper()


def check_character(first17: str) -> str:
    """The MOD 11-2 check character ('0'-'9' or 'X') for the first 17 digits of an ID number."""
    if len(first17) != 17 or not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError(f"need exactly 17 digits, got {len(first17)} characters")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_TABLE[total % 11]


def check_characters(first17: np.ndarray) -> np.ndarray:
    """Vectorised `check_character`: (n, 17) array of digits 0-9 -> (n,) array of one-character strings."""
    digits = np.asarray(first17)
    if digits.ndim != 2 or digits.shape[1] != 17:
        raise ValueError(f"need an array of shape (n, 17), got {digits.shape}")
    # int32 weights make the product int32; uint8 @ uint8 would overflow (sums reach 900).
    totals = digits @ np.asarray(_WEIGHTS, dtype=np.int32)
    return np.asarray(list(_CHECK_TABLE))[totals % 11]


def _check_region(region_code: str) -> None:
    if not re.fullmatch(r"[0-9]{6}", region_code) or int(region_code[:2]) not in _PROVINCES:
        raise InvalidDocument("region code {region_code} is not a valid region", region_code=region_code)


def _check_digits(number: str, what: str) -> None:
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidDocument(
            "{what} check character should be {expected}, not {actual}",
            what=what,
            expected=expected,
            actual=number[17],
        )


def validate_resident_id(number: str, *, today: date | None = None) -> ResidentId:
    """Parse an 18-character number (a legacy 15-digit one is upgraded); InvalidDocument if impossible."""
    canonical = _clean(number)
    upgraded = len(canonical) == 15
    if upgraded:
        if not re.fullmatch(r"[0-9]{15}", canonical):
            raise InvalidDocument("a 15-character resident ID number must be all digits")
        first17 = canonical[:6] + "19" + canonical[6:]
        canonical = first17 + check_character(first17)
    if len(canonical) != 18:
        raise InvalidDocument("resident ID number must have 18 characters (got {length})", length=len(canonical))
    if not _ID18.fullmatch(canonical):
        raise InvalidDocument("resident ID number must be 17 digits followed by a digit or X")
    _check_region(canonical[:6])
    raw_birth = canonical[6:14]
    try:
        birth = date(int(raw_birth[:4]), int(raw_birth[4:6]), int(raw_birth[6:]))
    except ValueError:
        raise InvalidDocument("resident ID number has an impossible birth date {birth}", birth=raw_birth) from None
    if birth > (today or date.today()):
        raise InvalidDocument("resident ID birth date is in the future")
    _check_digits(canonical, "resident ID")
    return ResidentId(
        number=canonical,
        region_code=canonical[:6],
        birth_date=birth,
        sex="M" if int(canonical[16]) % 2 else "F",
        upgraded_from_15=upgraded,
    )


def make_resident_id(region_code: str, birth: date, sequence: int) -> str:
    """A valid 18-character number; an odd sequence (0-999) makes a man, an even one a woman."""
    _check_region(region_code)
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be between 0 and 999, got {sequence}")
    first17 = f"{region_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + check_character(first17)


def _validate_passport(number: str) -> str:
    if not re.fullmatch(r"[A-Z0-9]{5,17}", number):
        raise InvalidDocument("passport number must be 5 to 17 letters or digits")
    return number


def _validate_hmt_permit(number: str) -> str:
    if re.fullmatch(r"[HM][0-9]{8}([0-9]{2})?", number):  # 回乡证 for Hong Kong / Macao residents
        return number
    if re.fullmatch(r"[0-9]{8}([0-9]{2})?", number):  # 台胞证, 8 digits (10 on older permits)
        return number
    if len(number) == 18:
        if not number.startswith(_RESIDENCE_PERMIT_REGIONS):
            raise InvalidDocument("residence permit number must start with 810000, 820000 or 830000")
        return validate_resident_id(number).number
    raise InvalidDocument(
        "permit number must be H or M plus 8 digits, 8 digits for Taiwan, or an 18-character residence permit"
    )


def _validate_foreign_pr(number: str) -> str:
    if len(number) == 15:
        if not re.fullmatch(r"[A-Z]{3}[0-9]{12}", number):
            raise InvalidDocument("a 15-character permanent residence ID must be 3 letters and 12 digits")
        return number
    if len(number) == 18:
        if not (number.startswith("9") and _ID18.fullmatch(number)):
            raise InvalidDocument("an 18-character permanent residence ID must be 9, then 16 digits, then a digit or X")
        _check_digits(number, "permanent residence ID")
        return number
    raise InvalidDocument("permanent residence ID must have 15 or 18 characters (got {length})", length=len(number))


def validate_document(doc_type: DocumentType | str, number: str | None) -> str:
    """The canonical number for a document of this type, or InvalidDocument saying what is wrong."""
    doc_type = DocumentType(doc_type)
    cleaned = re.sub(r"\s+", "", _clean(number or ""))
    if doc_type is DocumentType.none:
        if cleaned:
            raise InvalidDocument("a person without a document must not have a document number")
        return ""
    if not cleaned:
        raise InvalidDocument("document number is missing")
    if doc_type is DocumentType.resident_id:
        return validate_resident_id(cleaned).number
    if doc_type is DocumentType.passport:
        return _validate_passport(cleaned)
    if doc_type is DocumentType.hmt_permit:
        return _validate_hmt_permit(cleaned)
    return _validate_foreign_pr(cleaned)


def mask_document(number: str) -> str:
    """Same length; numbers of 12+ characters show the first 3 and last 4, shorter ones only the last 2."""
    n = len(number)
    if n >= 12:
        return number[:3] + "*" * (n - 7) + number[-4:]
    if n > 4:
        return "*" * (n - 2) + number[-2:]
    return "*" * n  # showing 2 of 4 or fewer would give most of it away


def mask_name(name: str) -> str:
    """'张*' for two characters, '张*丰' for three, the first and last around one star for longer names: enough
    for a sampler to tell the person in front of them from their neighbours, not enough to look them up."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


def mask_phone(phone: str) -> str:
    """'138****5678' for a mainland mobile; otherwise everything but the last 2 digits hidden."""
    try:
        mobile = normalise_phone(phone)
    except InvalidPhone:
        mobile = ""
    if len(mobile) == 11 and mobile.startswith("1"):
        return mobile[:3] + "****" + mobile[-4:]
    # Anything else keeps its own digits' length: normalising would drop or add a 0086 or a trunk 0, and the
    # mask would then show a different number of digits than the person typed.
    digits = re.sub(r"[\s\-()]", "", phone.strip())
    if len(digits) > 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def normalise_phone(phone: str) -> str:
    """Digits only, without +86/0086: an 11-digit mobile (1[3-9]...) or a 7-12 digit landline."""
    digits = re.sub(r"[\s\-()]", "", _clean(phone))
    if not digits:
        raise InvalidPhone("phone number is missing")
    international = digits.startswith(("+86", "0086"))
    if international:
        digits = digits.removeprefix("+86").removeprefix("0086")
        if digits and not digits.startswith(("0", "1")):
            # International form drops the trunk 0 of the area code (+86 21 ...); put it back.
            digits = "0" + digits
    if not re.fullmatch(r"[0-9]+", digits):
        raise InvalidPhone("phone number may only contain digits, spaces, dashes and a leading +86")
    if digits.startswith("1"):
        if not re.fullmatch(r"1[3-9][0-9]{9}", digits):
            raise InvalidPhone("mobile number must have 11 digits starting 13 to 19")
        return digits
    if not 7 <= len(digits) <= 12:
        raise InvalidPhone("landline number must have 7 to 12 digits (got {length})", length=len(digits))
    return digits
