"""Logging that never writes an ID number or a phone in full (search terms travel in URLs and reach logs)."""

from __future__ import annotations

import logging
import re

from gridscreen.people.identity import mask_document, mask_phone

# 18-character resident IDs (and 15-digit legacy ones), and mainland mobiles, wherever they appear.
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d{9})(?!\d)")


def mask_text(text: str) -> str:
    text = _ID.sub(lambda m: mask_document(m.group(1)), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group(1)), text)


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


LOGGERS = ("gridscreen", "uvicorn", "uvicorn.access", "uvicorn.error")


def install() -> None:
    """Attach the mask to every handler of our and the web server's loggers (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskPersonalData) for f in logger.filters):
            logger.addFilter(MaskPersonalData())
