"""The web pages: login, language, and the drill-down from city to household. Thin: services do the work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from gridscreen import clock, i18n
from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth import service as auth
from gridscreen.auth.deps import SESSION_COOKIE, AnyUser, ResidentOrStaff, StaffUser, request_token, require
from gridscreen.auth.exceptions import BadCredentials
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.config import get_settings
from gridscreen.http import LANG_COOKIE, DbSession, request_locale
from gridscreen.ids import MAX_ID, PathId
from gridscreen.people import service as people
from gridscreen.planning import service as planning
from gridscreen.sampling import service as sampling
from gridscreen.sampling.resident_code import sign_resident_code
from gridscreen.web.pages import render
from gridscreen.web.plan_pages import router as plan_router
from gridscreen.web.roster_pages import router as roster_pages_router
from gridscreen.web.round_pages import Order, SortKey, panels_context
from gridscreen.web.round_pages import router as round_router
from gridscreen.web.sampler_pages import router as sampler_router
from gridscreen.web.support_pages import router as support_pages_router
from gridscreen.web.supports_pages import router as supports_router

STATIC = Path(__file__).parent / "static"
NoticeReader = Annotated[Principal, Depends(require(Role.district, Role.subdistrict, Role.grid, Role.resident))]
CHILDREN_PER_PAGE = 200

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: a login link must not bounce people to another site.
    if not target or urlparse(target).netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse, openapi_extra={"x-public": True})
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next))


@router.post("/login", openapi_extra={"x-public": True})
def login(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
):
    settings = get_settings()
    try:
        token = auth.log_in(db, username=username, password=password, now=clock.now(), hours=settings.session_hours)
    except BadCredentials as exc:
        message = exc.message(i18n.translator(request_locale(request)))
        return render(request, "login.html", status=401, error=message, next=_safe_next(next), username=username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, user: AnyUser):
    auth.log_out(db, token=request_token(request) or "")
    request.app.state.resident_pages.forget(request_token(request) or "")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{locale}", openapi_extra={"x-public": True})
def choose_language(locale: str, next: str = "/"):
    response = RedirectResponse(_safe_next(next), status_code=303)
    if locale in i18n.LOCALES:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    return response


HomeUser = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.resident, Role.volunteer))]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, user: HomeUser):
    if user.role == Role.resident:
        return RedirectResponse("/me", status_code=303)
    if user.role == Role.volunteer:
        return RedirectResponse("/tickets", status_code=303)
    tops = areas.top_areas(db, user)
    if len(tops) == 1:
        return area_page(request, tops[0].id, db, user, page=1, round_id=None, sort="coverage", order="asc")
    return render(request, "home.html", areas=tops)


@router.get("/areas/{area_id}", response_class=HTMLResponse)
def area_page(
    request: Request,
    area_id: PathId,
    db: DbSession,
    user: StaffUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    round_id: Annotated[int | None, Query(alias="round", ge=1, le=MAX_ID)] = None,
    sort: SortKey = "coverage",
    order: Order = "asc",
):
    area = areas.get_area(db, user, area_id)
    context = {
        "area": area,
        "ancestors": areas.visible_ancestors(db, user, area),
        "page": page,
    }
    if area.level == Level.building:
        households, total = people.list_households(
            db, user, area_id=area.id, limit=CHILDREN_PER_PAGE, offset=(page - 1) * CHILDREN_PER_PAGE
        )
        context.update(households=households, total=total)
    else:
        children, total = areas.list_areas(
            db, user, parent_id=area.id, limit=CHILDREN_PER_PAGE, offset=(page - 1) * CHILDREN_PER_PAGE
        )
        context.update(children=children, total=total, widest=max((c.residents for c in children), default=0))
    context["pages"] = max(1, -(-context["total"] // CHILDREN_PER_PAGE))
    context.update(_round_context(db, user, area, round_id, sort, order))
    return render(request, "area.html", **context)


def _round_context(db, user, area, round_id: int | None, sort: SortKey, order: Order) -> dict:
    """The chosen round (the latest by default), its pooling advice, and the live panels of this area."""
    rounds = planning.list_rounds(db)
    if not rounds:
        return {"rounds": [], "round": None}
    chosen = next((r for r in rounds if r.id == round_id), rounds[0])
    advice, policy = sampling.pool_advice(db, user, chosen.id, area.id)
    context = {"rounds": rounds, "round": chosen, "advice": advice, "policy": policy}
    return context | panels_context(db, user, area, chosen.id, sort, order)


@router.get("/areas/{area_id}/persons", response_class=HTMLResponse)
def area_persons(
    request: Request,
    area_id: PathId,
    db: DbSession,
    user: StaffUser,
    q: Annotated[str, Query(max_length=64)] = "",
    door_only: bool = False,
):
    """HTMX fragment: people in an area matching a search, or those to be swabbed at their door."""
    area = areas.get_area(db, user, area_id)
    if not q.strip() and not door_only:
        return render(request, "_persons.html", persons=[], total=0, area=area, asked=False)
    persons, total = people.search_persons(db, user, area_id=area.id, q=q, door_only=door_only, limit=100)
    rows = [people.present_person(user, p, detail=False) for p in persons]
    return render(request, "_persons.html", persons=rows, total=total, area=area, asked=True)


@router.get("/households/{household_id}", response_class=HTMLResponse)
def household_page(request: Request, household_id: PathId, db: DbSession, user: ResidentOrStaff):
    household = people.get_household(db, user, household_id)
    persons, _ = people.search_persons(db, user, household_id=household.id, limit=500)
    building = areas.get_area(db, user, household.building_id) if user.role != Role.resident else None
    return render(
        request,
        "household.html",
        household=people.present_household(db, household),
        persons=[people.present_person(user, p, detail=True) for p in persons],
        building=building,
        ancestors=(areas.visible_ancestors(db, user, building) + [building]) if building else [],
        codes=_resident_codes(user, persons),
    )


def _resident_codes(user, persons) -> dict[int, str]:
    """The signed codes residents show the sampler: to the household itself, and to the grid staff who print
    its notice; nobody else needs them."""
    if user.role != Role.resident and not user.sees_pii:
        return {}
    secret = get_settings().resident_code_key
    return {p.id: sign_resident_code(p.id, secret=secret) for p in persons}


@router.get("/households/{household_id}/notice", response_class=HTMLResponse)
def household_notice(request: Request, household_id: PathId, db: DbSession, user: NoticeReader):
    """A printable notice for the household: the round, when and where to be swabbed (or that a team comes
    to the door), and each member's resident code."""
    household = people.get_household(db, user, household_id)
    persons, _ = people.search_persons(db, user, household_id=household.id, limit=500)
    building = db.get(Area, household.building_id)
    return render(
        request,
        "notice.html",
        household=people.present_household(db, household),
        persons=[people.present_person(user, p, detail=True) for p in persons],
        codes=_resident_codes(user, persons),
        notice=planning.notice_for(db, building),
    )


def mount_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    app.include_router(round_router)
    app.include_router(supports_router)
    app.include_router(sampler_router)
    app.include_router(support_pages_router)
    app.include_router(roster_pages_router)
    app.include_router(plan_router)
