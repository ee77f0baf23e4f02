"""Tube barcodes: 1-4 letters (lab or vendor code), a 10-digit serial and a Damm check digit.

The check digit covers the 11 digits only, not the letters. Damm catches every single-digit error and every
swap of two neighbouring digits, the two mistakes a person makes typing a barcode the scanner could not read.
Pure functions, no database and no I/O.
"""

from __future__ import annotations

import re
import unicodedata

from gridscreen.errors import Invalid

SERIAL_DIGITS = 10
MAX_SERIAL = 10**SERIAL_DIGITS - 1

# The weakly totally anti-symmetric quasigroup of order 10 from Damm (2004).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_PREFIX = re.compile(r"[A-Z]{1,4}")
_BARCODE = re.compile(r"([A-Z]{1,4})([0-9]{11})")


class InvalidBarcode(Invalid, ValueError):
    """A tube barcode that cannot be right; the message never repeats a text that is not a barcode."""


def _damm(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][ord(digit) - 48]
    return interim


def check_digit(digits: str) -> str:
    """The Damm check digit for a string of ASCII digits."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("a Damm check digit needs ASCII digits only")
    return str(_damm(digits))


def make_barcode(prefix: str, serial: int) -> str:
    """'SH' and 1 -> 'SH' + '0000000001' + check digit."""
    prefix = prefix.strip().upper()
    if not _PREFIX.fullmatch(prefix):
        raise InvalidBarcode("tube barcode prefix must be 1 to 4 letters")
    if not 0 <= serial <= MAX_SERIAL:
        raise InvalidBarcode("tube serial number must be between 0 and {largest}", largest=MAX_SERIAL)
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    return prefix + digits + check_digit(digits)


def validate_barcode(text: str) -> str:
    """The canonical barcode (no spaces, upper case), or InvalidBarcode saying what is wrong."""
    match = _BARCODE.fullmatch(text)  # what a scanner sends: already canonical
    if match is None:
        # NFKC folds full-width letters and digits typed with a Chinese input method to ASCII.
        match = _BARCODE.fullmatch(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper())
    if match is None:
        # Say nothing about what was scanned: it may be a resident's ID number read by mistake.
        raise InvalidBarcode("tube barcode must be 1 to 4 letters and 11 digits")
    canonical = match.group(0)
    if _damm(match.group(2)) != 0:
        raise InvalidBarcode("tube barcode {barcode} has a wrong check digit; scan it again", barcode=canonical)
    return canonical


def serial_of(barcode: str) -> int:
    """The serial number of a valid barcode."""
    return int(validate_barcode(barcode)[-SERIAL_DIGITS - 1 : -1])
