"""Find every translatable message: `_()`/`translate()` calls, templates, and DomainError messages.

Used by scripts/update_catalog.py (to refresh the .po files) and by the test that every message has a
Chinese translation.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_from_dir

import gridscreen
from gridscreen.dashboard.schemas import RED_OVER_AMBER  # noqa: E402
from gridscreen.errors import DomainError

PACKAGE_DIR = Path(gridscreen.__file__).parent
# Values shown through `_()` in templates that come from data, not from literals.
DATA_MSGIDS = (
    "command",
    "district",
    "subdistrict",
    "grid",
    "sampler",
    "lab",
    "resident",  # roles
    "M",
    "F",  # sex
    "family",
    "collective",  # household kinds
    "bedridden",
    "very_old",
    "disabled",
    "infant",
    "home_isolation",  # door-to-door reasons
    "resident ID",
    "permanent residence ID",  # document names inside check-character errors
    RED_OVER_AMBER,  # a validator's message the supports page translates
)


def _error_classes() -> set[str]:
    for module in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="gridscreen."):
        importlib.import_module(module.name)
    names: set[str] = set()
    stack = [DomainError]
    while stack:
        cls = stack.pop()
        names.add(cls.__name__)
        stack.extend(cls.__subclasses__())
    return names


def messages() -> Iterator[tuple[str, str]]:
    """(msgid, where) for every message the code can show a person."""
    keywords = {"_": None, "gettext": None, "translate": None, "__init__": None, "notice": None}
    keywords.update({name: None for name in _error_classes()})
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE_DIR, method_map=method_map, options_map=options, keywords=keywords
    ):
        if isinstance(message, str) and message.strip() and not message.startswith("%"):
            yield message, f"{filename}:{lineno}"
    from gridscreen.web import pages

    labels = (
        pages.LEVEL_LABELS, pages.ZONE_LABELS, pages.REASON_LABELS, pages.STATUS_LABELS, pages.SUPPORT_LABELS,
        pages.STATE_LABELS, pages.POOLING_LABELS, pages.CATEGORY_LABELS, pages.TICKET_LABELS,
        pages.SOURCE_KIND_LABELS, pages.DOCUMENT_TYPE_LABELS, pages.REVIEW_REASON_LABELS, pages.TASK_KIND_LABELS,
        pages.TASK_OUTCOME_LABELS,
    )  # fmt: skip
    for msgid in (*DATA_MSGIDS, *(label for mapping in labels for label in mapping.values())):
        yield msgid, "i18n_extract.DATA_MSGIDS"
