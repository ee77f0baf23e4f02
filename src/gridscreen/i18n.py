"""The one translation mechanism: gettext catalogs (.po, read with Babel) for pages, errors and the CLI.

Messages are written in English in the code; Chinese (zh_CN) is the default language shown to people.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"

Translate = Callable[[str], str]


@lru_cache
def catalog(locale: str) -> dict[str, str]:
    """msgid -> translation for a locale; English is the source language and needs no catalog."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        po = read_po(f, locale=locale)
    return {m.id: m.string for m in po if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translator(locale: str) -> Translate:
    messages = catalog(locale if locale in LOCALES else DEFAULT_LOCALE)
    return lambda text: messages.get(text, text)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The cookie wins; then the browser's Accept-Language; Chinese when nothing matches."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh_CN"
    return DEFAULT_LOCALE
