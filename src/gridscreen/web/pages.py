"""Rendering server-side pages: one Jinja2 environment, translated per request through gridscreen.i18n."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gridscreen import i18n
from gridscreen.config import get_settings
from gridscreen.http import request_locale

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

ZONE_LABELS = {"sealed": "sealed area", "controlled": "controlled area", "precaution": "precaution area"}

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
        principal=getattr(request.state, "principal", None),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    if status == 401:
        return render(request, "login.html", status=401, error=message, next=request.url.path)
    return render(request, "error.html", status=status, status_code=status, message=message)
