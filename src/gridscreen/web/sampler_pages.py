"""The sampler app at /sampler/: an installable web app that keeps working offline. The page is a shell;
scans go to POST /api/scans from the device's own queue (static/sampler/store.js)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.areas.models import Level
from gridscreen.config import get_settings
from gridscreen.coverage.router import FieldUser
from gridscreen.http import DbSession, request_translator
from gridscreen.ids import PathId
from gridscreen.sampling import service as sampling
from gridscreen.sampling.router import TubeReader as SiteLead
from gridscreen.web.pages import render
from gridscreen.web.round_pages import RoundParam

STATIC = Path(__file__).parent / "static" / "sampler"
router = APIRouter(include_in_schema=False)


def _texts(_) -> dict[str, str]:
    """What the app says, in the reader's language (the app runs offline, so it carries its words)."""
    return {
        "site": _("Site"),
        "route": _("Door-to-door route"),
        "downloading": _("Downloading the grid's roster…"),
        "ready": _("Ready. Roster on this device:"),
        "residents": _("residents"),
        "bad_check_digit": _("Wrong check digit, scan the tube again:"),
        "not_a_code": _("Not a tube barcode, resident code or ID number"),
        "tube_already_open": _("This tube is already open"),
        "tube_used": _("This tube was used already; take a new one:"),
        "tube_opened": _("Tube opened:"),
        "scan_tube_first": _("Scan a tube first"),
        "not_on_roster": _("not on the roster: the grid will be told"),
        "typed_document": _("typed ID number"),
        "on_hold": _("on hold: single tube only"),
        "already_sampled": _("already sampled this round"),
        "already_sampled_here": _("already scanned on this device"),
        "tube_full": _("Tube full and sealed:"),
        "tube_sealed": _("Tube sealed:"),
        "nothing_to_undo": _("Nothing to undo in this tube"),
        "too_late_to_undo": _("Already sent: cancel the tube instead"),
        "undone": _("Undone:"),
        "online": _("online"),
        "offline": _("offline"),
        "no_tube": _("No tube open"),
        "synced": _("All sent at"),
        "log_in_again": _("Log in again to send (nothing is lost)"),
        "will_retry": _("Cannot reach the server: scans are kept and sent later"),
        "no_camera_reading": _("This browser cannot read codes with the camera: use the scanner or type"),
        "need_network_first": _("Connect once to download today's work"),
        "nobody_home": _("nobody home"),
        "refused": _("refused"),
        "retest": _("single-tube retest"),
        "bedridden": _("bedridden"),
        "very_old": _("very_old"),
        "disabled": _("disabled"),
        "infant": _("infant"),
        "home_isolation": _("home_isolation"),
    }


@router.get("/sampler")
def sampler_redirect(user: FieldUser):
    return RedirectResponse("/sampler/", status_code=307)


@router.get("/sampler/")
def sampler_app(request: Request, db: DbSession, user: FieldUser):
    grids = [{"id": a.id, "name": a.name} for a in areas.top_areas(db, user) if a.level == Level.committee]
    return render(request, "sampler.html", texts=_texts(request_translator(request)), grids=grids)


@router.get("/sampler/sw.js", openapi_extra={"x-public": True})
def service_worker():
    # Served from /sampler/ so that its scope is the app; never cached, so a new version is picked up.
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/sampler/"},
    )


@router.get("/sampler/manifest.webmanifest", openapi_extra={"x-public": True})
def manifest(request: Request):
    _ = request_translator(request)
    return JSONResponse(
        {
            "name": _("gridscreen sampler"),
            "short_name": _("Sampler"),
            "start_url": "/sampler/",
            "scope": "/sampler/",
            "display": "standalone",
            "background_color": "#0f172a",
            "theme_color": "#0f172a",
            "icons": [{"src": "/static/sampler/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
        },
        media_type="application/manifest+json",
    )


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(request: Request, site_id: PathId, db: DbSession, user: SiteLead, round_id: RoundParam):
    """The site lead's page: today's count at the site and the devices that are behind; refreshes itself."""
    now = clock.now()
    today = sampling.site_today(
        db, user, round_id, site_id, now=now, day_start=clock.day_start(now, get_settings().timezone)
    )
    template = "_site_today.html" if request.headers.get("HX-Request") else "site.html"
    return render(request, template, today=today, round_id=round_id, at=now)
