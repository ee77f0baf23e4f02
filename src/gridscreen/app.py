"""FastAPI app factory: mounts each package's router, the web pages and the error handlers."""

from __future__ import annotations

import asyncio
import gc
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridscreen import logs
from gridscreen.areas.router import router as areas_router
from gridscreen.auth.deps import SESSION_COOKIE
from gridscreen.auth.router import router as auth_router
from gridscreen.config import get_settings
from gridscreen.coverage.router import router as coverage_router
from gridscreen.dashboard.router import router as dashboard_router
from gridscreen.dashboard.router import supports_router
from gridscreen.db import get_engine, make_sessionmaker
from gridscreen.errors import DomainError
from gridscreen.http import LANG_COOKIE, refuse_nul, request_translator
from gridscreen.lab.router import router as lab_router
from gridscreen.people.router import router as people_router
from gridscreen.planning.router import router as planning_router
from gridscreen.roster.router import router as roster_router
from gridscreen.sampling.router import router as sampling_router
from gridscreen.support import open311, worker
from gridscreen.support.router import router as support_router
from gridscreen.web.pages import render_error
from gridscreen.web.resident_cache import ResidentPageLayer, ResidentPages
from gridscreen.web.router import mount_pages


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """Each server process escalates overdue tickets and sends notifications on a timer.

    What the process loaded to start (the libraries' tables, some 170,000 objects) is moved out of the garbage
    collector's sight while it serves: a full collection otherwise scans it all, a pause of 100 ms or more in
    every answer that happens to wait on it."""
    gc.freeze()
    seconds = app.state.sweep_seconds
    task = (
        asyncio.create_task(worker.sweep_forever(app.state.engine, app.state.sessionmaker, seconds))
        if seconds
        else None
    )
    yield
    if task:
        task.cancel()
    gc.unfreeze()


def create_app(engine: Engine | None = None, *, sweep_seconds: int | None = None) -> FastAPI:
    """The app on an engine (the configured database by default). `sweep_seconds` overrides how often it
    escalates tickets and sends notifications (0: never, for tests that run one sweep at a time)."""
    app = FastAPI(
        lifespan=_lifespan,
        dependencies=[Depends(refuse_nul)],
        title="gridscreen",
        description="City-wide mass screening: areas, households and persons within the caller's areas.",
        version="0.1.0",
    )
    logs.install()
    app.state.engine = engine or get_engine()
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.sweep_seconds = get_settings().support_sweep_seconds if sweep_seconds is None else sweep_seconds
    app.state.resident_pages = ResidentPages(ttl=get_settings().resident_page_seconds)
    app.add_middleware(
        ResidentPageLayer, pages=app.state.resident_pages, session_cookie=SESSION_COOKIE, lang_cookie=LANG_COOKIE
    )

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        message = exc.message(request_translator(request))
        if _is_open311(request):
            return open311.error_response(exc.status, message, open311.requested_format(request.url.path))
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=exc.status)
        return render_error(request, exc.status, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        translate = request_translator(request)
        problems = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "reason": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
        detail = translate("the request is not valid: {problems}").format(problems=summary)
        if _is_open311(request):
            return open311.error_response(400, detail, open311.requested_format(request.url.path))
        return JSONResponse({"detail": detail, "problems": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        translate = request_translator(request)
        message = translate("page not found") if exc.status_code == 404 else str(exc.detail)
        if _is_open311(request):
            return open311.error_response(exc.status_code, message, open311.requested_format(request.url.path))
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=exc.status_code, headers=exc.headers)
        return render_error(request, exc.status_code, message)

    app.include_router(auth_router)
    app.include_router(areas_router)
    app.include_router(people_router)
    app.include_router(sampling_router)
    app.include_router(planning_router)
    app.include_router(roster_router)
    app.include_router(lab_router)
    app.include_router(coverage_router)
    app.include_router(dashboard_router)
    app.include_router(supports_router)
    app.include_router(support_router)
    app.include_router(open311.router)
    mount_pages(app)
    return app


def _is_open311(request: Request) -> bool:
    return request.url.path.startswith("/open311/")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", "")
