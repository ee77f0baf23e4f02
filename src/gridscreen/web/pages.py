"""Rendering server-side pages: one Jinja2 environment, translated per request through gridscreen.i18n."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from gridscreen import i18n
from gridscreen.config import get_settings
from gridscreen.http import request_locale
from gridscreen.web.qr import make_qr

TEMPLATES = Path(__file__).parent / "templates"

# Level names are msgids so every page shows them in the reader's language.
LEVEL_LABELS = {
    "city": "city",
    "district": "district",
    "subdistrict": "subdistrict / town",
    "committee": "committee (grid)",
    "compound": "compound",
    "building": "building",
}

# What a door-knock found out, in the order a grid worker meets them at the door.
REASON_LABELS = {
    "nobody_home": "nobody home",
    "refused": "refused",
    "in_hospital": "in hospital",
    "moved_out": "moved out",
    "away": "staying elsewhere",
    "other": "other reason",
}
# A person's state in a round, as the lists name it.
STATUS_LABELS = {
    "expected": "not yet sampled",
    "sampled": "awaiting result",
    "negative": "negative",
    "hold": "on hold",
    "positive": "positive",
    "to_resample": "to resample",
}

# The five key supports (五个是否) the command centre asks about every day.
SUPPORT_LABELS = {
    "testing": "testing capacity (tubes a day) / tubes to test",
    "beds": "beds free / people waiting for a bed",
    "supplies": "deliveries made / requested",
    "medical_staff": "medical staff on duty / planned",
    "frontline_staff": "frontline staff on duty / planned",
}
STATE_LABELS = {"green": "enough", "amber": "tight", "red": "short", "unknown": "not reported yet"}

POOLING_LABELS = {"single": "single tube", "household": "one tube per household", "pooled": "pooled"}

ZONE_LABELS = {"sealed": "sealed area", "controlled": "controlled area", "precaution": "precaution area"}

# Residents' needs: what they ask for, where a ticket stands, how it ended.
CATEGORY_LABELS = {
    "groceries": "groceries",
    "medicine": "medicine",
    "garbage": "garbage pick-up",
    "emergency": "medical emergency (green channel)",
    "other": "other need",
}
TICKET_LABELS = {
    "open": "waiting for an answer",
    "acknowledged": "being handled",
    "resolved": "resolved",
    "done": "done",
    "referred": "referred elsewhere",
    "not_needed": "no longer needed",
    "unreachable": "could not reach the household",
    "filed": "filed",
    "assigned": "assigned",
    "note": "note",
    "escalated": "escalated",
    "not acknowledged in time": "not acknowledged in time",
    "not resolved in time": "not resolved in time",
}

# The roster: where a record came from, why a pair waits for a clerk, and the door-knock tasks.
SOURCE_KIND_LABELS = {
    "registry": "household registry",
    "rental": "rental list",
    "telecom": "telecom extract",
    "sweep": "door-to-door sweep",
}
DOCUMENT_TYPE_LABELS = {
    "resident_id": "resident ID card",
    "passport": "passport",
    "hmt_permit": "Hong Kong, Macao or Taiwan permit",
    "foreign_pr": "foreign permanent residence card",
    "none": "no document",
}
REVIEW_REASON_LABELS = {
    "uncertain": "the model is unsure",
    "conflict": "the model would link them against a rule",
}
TASK_KIND_LABELS = {
    "not_at_door": "on a list, not found at the door",
    "not_on_list": "found at the door, on no list",
    "empty_household": "dwelling on a list, nobody found",
}
TASK_OUTCOME_LABELS = {
    "found": "found",
    "moved_out": "moved out",
    "deceased": "deceased",
    "refused": "refused",
    "not_there": "not there",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n


def _local_time(value):
    return value.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M") if value else ""


_env.filters["local_time"] = _local_time


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    locale = request_locale(request)
    translate = i18n.translator(locale)
    html = _env.get_template(template).render(
        request=request,
        locale=locale,
        gettext=translate,
        _=translate,
        level_label=lambda level: translate(LEVEL_LABELS.get(level, level)),
        zone_label=lambda zone: translate(ZONE_LABELS.get(zone, zone)),
        pooling_label=lambda pooling: translate(POOLING_LABELS.get(pooling, pooling)),
        support_label=lambda kind: translate(SUPPORT_LABELS.get(kind, kind)),
        state_label=lambda state: translate(STATE_LABELS.get(state, state)),
        category_label=lambda category: translate(CATEGORY_LABELS.get(category, category)),
        ticket_label=lambda word: translate(TICKET_LABELS.get(word, word)),
        source_label=lambda kind: translate(SOURCE_KIND_LABELS.get(kind, kind)),
        document_label=lambda kind: translate(DOCUMENT_TYPE_LABELS.get(kind, kind)),
        review_reason_label=lambda reason: translate(REVIEW_REASON_LABELS.get(reason, reason)),
        task_kind_label=lambda kind: translate(TASK_KIND_LABELS.get(kind, kind)),
        task_outcome_label=lambda outcome: translate(TASK_OUTCOME_LABELS.get(outcome, outcome)),
        principal=getattr(request.state, "principal", None),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    if status == 401:
        return render(request, "login.html", status=401, error=message, next=request.url.path)
    return render(request, "error.html", status=status, status_code=status, message=message)


@lru_cache(maxsize=20_000)  # a resident code never changes; ~2 kB each
def qr_svg(text: str) -> Markup:
    """A QR code as inline SVG (drawn here: pages work with no network and print sharply)."""
    return Markup(make_qr(text, error="m").svg_inline(scale=4, border=2, title=""))


_env.globals["qr_svg"] = qr_svg
