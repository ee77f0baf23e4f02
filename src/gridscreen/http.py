"""Request-scoped plumbing shared by every router: the database session and pagination."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from gridscreen import i18n
from gridscreen.db import transaction
from gridscreen.errors import Invalid

LANG_COOKIE = "gs_lang"


def request_locale(request: Request) -> str:
    """Pages are Chinese unless the reader chose English (cookie); API clients may ask by Accept-Language."""
    asked = request.headers.get("accept-language") if request.url.path.startswith("/api") else None
    return i18n.negotiate(request.cookies.get(LANG_COOKIE), asked)


def request_translator(request: Request) -> i18n.Translate:
    return i18n.translator(request_locale(request))


def get_db(request: Request) -> Iterator[Session]:
    """The request owns the transaction: commit when the route succeeds, roll back when it fails."""
    yield from _request_session(request, write=request.method not in ("GET", "HEAD", "OPTIONS"))


# scope="function": the commit happens before the response is sent, so a 200 always means "stored".
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def get_read_db(request: Request) -> Iterator[Session]:
    """A session that only reads, whatever the method: for a route that opens its own write transaction
    once the request is parsed and its caller known (SQLite's writers then queue for the work alone)."""
    yield from _request_session(request, write=False)


def _request_session(request: Request, *, write: bool) -> Iterator[Session]:
    state = request.app.state
    with transaction(state.engine, sessions=state.sessionmaker, write=write) as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_db, scope="function")]


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="rows per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000_000, description="rows to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Page = Annotated[PageParams, Depends(page_params)]


class NulInText(Invalid):
    def __init__(self) -> None:
        super().__init__("text may not contain NUL characters")


async def refuse_nul(request: Request) -> None:
    """PostgreSQL can't store NUL in text, and no name, barcode or number has one: refuse it at the door."""
    scope = request.scope
    if b"%00" in scope.get("raw_path", b"") or b"%00" in scope.get("query_string", b""):
        raise NulInText()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:
            raise NulInText()
    elif content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # parsed once and kept: the route reads the same form
        if any("\x00" in value for value in form.values() if isinstance(value, str)):
            raise NulInText()
