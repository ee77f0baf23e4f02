"""Refresh src/gridscreen/locale/zh_CN/LC_MESSAGES/messages.po from the code, keeping translations.

New messages get an empty translation; fill them in (the test suite fails until every one is done).
Run: uv run python scripts/update_catalog.py
"""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from gridscreen.i18n import LOCALE_DIR
from gridscreen.i18n_extract import messages


def main() -> None:
    path = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
    old = {}
    if path.exists():
        with path.open("rb") as f:
            old = {m.id: m.string for m in read_po(f) if m.id}
    catalog = Catalog(locale="zh_CN", project="gridscreen", charset="utf-8")
    for msgid, where in messages():
        file, _, line = where.rpartition(":")
        catalog.add(msgid, string=old.get(msgid, ""), locations=[(file, int(line) if line.isdigit() else 0)])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=120, sort_output=True, omit_header=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(catalog)} messages, {len(missing)} without a translation")


if __name__ == "__main__":
    main()
