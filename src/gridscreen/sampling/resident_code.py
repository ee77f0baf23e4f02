"""The signed resident code a person shows as a QR: 'GS1.<person id>.<signature>'.

The signature is the first 16 characters (96 bits) of the URL-safe base64 HMAC-SHA256 of 'GS1.<person id>',
so a code cannot be forged or pointed at another person without the secret. The id is plain decimal: the
code proves who the holder is registered as, it hides nothing. Pure functions, no database and no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from gridscreen.errors import Invalid

VERSION = "GS1"
_SIGNATURE_CHARS = 16
_CODE = re.compile(r"GS1\.([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{16})")


class InvalidResidentCode(Invalid, ValueError):
    """A resident code that was not made with our secret, or was changed since."""


def _check_secret(secret: bytes) -> None:
    if not secret:
        raise ValueError("the resident code secret must not be empty")


def _signature(payload: str, secret: bytes) -> str:
    mac = _keyed(secret).copy()
    mac.update(payload.encode("ascii"))
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii")[:_SIGNATURE_CHARS]


@lru_cache(maxsize=4)
def _keyed(secret: bytes) -> hmac.HMAC:
    # Keying an HMAC hashes the secret's pads; a copy of a keyed one skips that for every scan of a batch.
    return hmac.new(secret, digestmod=hashlib.sha256)


def sign_resident_code(person_id: int, *, secret: bytes) -> str:
    """The code for this person, e.g. 'GS1.12345.Xq3...'; person ids are 1 to 19 digits."""
    _check_secret(secret)
    if not 1 <= person_id < 10**19:
        raise ValueError(f"person id must be between 1 and 10**19 - 1, got {person_id}")
    payload = f"{VERSION}.{person_id}"
    return f"{payload}.{_signature(payload, secret)}"


def read_resident_code(code: str, *, secret: bytes) -> int:
    """The person id in a code we signed, or InvalidResidentCode."""
    _check_secret(secret)
    match = _CODE.fullmatch(code.strip())
    if match is None or not hmac.compare_digest(
        _signature(f"{VERSION}.{match.group(1)}", secret).encode("ascii"), match.group(2).encode("ascii")
    ):
        raise InvalidResidentCode("this resident code is not valid; ask the person for their ID document")
    return int(match.group(1))
