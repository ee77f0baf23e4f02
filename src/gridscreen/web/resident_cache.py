"""The resident page, kept rendered for a short while in each server process.

When a lockdown city checks its results, millions of residents open the same page within minutes. The
page of a household changes rarely (a result, a notice, a ticket), so each process keeps, for about `ttl`
seconds: which household a session token opens (never past the session's end), and the page rendered for
that household in each language. A look is answered by a small ASGI layer before routing, the session or
the database are touched; any other look (a new login, a token this process does not know) goes to the
route, which renders afresh and stores.

A page older than its lifetime, or asked for by a token not checked within one, is still answered for one
more lifetime at most, while a single redraw runs in the background through the route as that session: it
checks the session again (a session ended elsewhere is forgotten then) and draws what changed for the next
look. Nobody waits for a redraw. What a household does itself shows at once: filing a ticket redirects to
`/me?after=<ticket id>`, which a page older than that ticket never answers. Logging out forgets the token in
this process; other processes answer the kept page at most two lifetimes longer."""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from gridscreen import clock, i18n


@dataclass(frozen=True)
class _Opens:
    household_id: int
    until: float  # checked until then (monotonic); answered while checked again until one lifetime later
    ends: float  # the session's end: never answered after it


@dataclass(frozen=True)
class _Page:
    body: bytes
    etag: str
    newest_ticket: int
    until: float  # fresh until then; answered while redrawn until one lifetime later


class ResidentPages:
    def __init__(self, ttl: float, max_entries: int = 500_000, clock=time.monotonic):
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._tokens: dict[str, _Opens] = {}
        self._pages: dict[tuple[int, str], _Page] = {}
        self._redrawing: set[tuple[int, str]] = set()
        self.redraws: set[asyncio.Task] = set()  # running; the loop keeps only weak references to tasks
        self._lock = threading.Lock()  # routes run in a thread pool; the ASGI layer on the event loop

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()  # raw tokens are not kept

    def store(self, *, token: str, expires_at: datetime, household_id: int, locale: str, body: bytes,
              etag: str, newest_ticket: int) -> None:  # fmt: skip
        if self.ttl <= 0:
            return
        # Pages drawn together (a city opening its pages at once) would all expire together and be redrawn in
        # one burst; a spread of lifetimes keeps the redrawing even.
        until = self.clock() + self.ttl * random.uniform(0.8, 1.0)
        with self._lock:
            if len(self._pages) >= self.max_entries:  # a crude bound: start again rather than grow
                self._pages.clear()
                self._tokens.clear()
            self._pages[(household_id, locale)] = _Page(body, etag, newest_ticket, until)
            self._redrawing.discard((household_id, locale))
            ends = self.clock() + (clock.aware(expires_at) - clock.now()).total_seconds()
            self._tokens[self.key(token)] = _Opens(household_id, min(until, ends), ends)

    def forget(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(self.key(token), None)

    def lookup(self, token: str, locale: str, after: int) -> tuple[_Page | None, tuple[int, str] | None]:
        """The page this token may be answered with, and the page to redraw now if this caller should."""
        now = self.clock()
        opens = self._tokens.get(self.key(token))
        if opens is None or opens.ends <= now or opens.until + self.ttl <= now:
            return None, None
        page, redraw = self._kept(opens.household_id, locale, after)
        if page is not None and redraw is None and opens.until <= now:
            redraw = self._claim((opens.household_id, locale))  # the page is fine; the token wants checking
        return page, redraw

    def _kept(self, household_id: int, locale: str, after: int) -> tuple[_Page | None, tuple[int, str] | None]:
        """The household's kept page if it can still be answered, and the page to redraw now if this caller is
        the first to find it past its lifetime."""
        now = self.clock()
        key = (household_id, locale)
        page = self._pages.get(key)
        if page is None or page.until + self.ttl <= now or page.newest_ticket < after:
            return None, None
        return page, (self._claim(key) if page.until <= now else None)

    def _claim(self, key: tuple[int, str]) -> tuple[int, str] | None:
        with self._lock:  # the first to ask redraws; the others are answered the kept page meanwhile
            if key in self._redrawing:
                return None
            self._redrawing.add(key)
            return key

    async def settled(self) -> None:
        """Returns once no redraw is running (for tests)."""
        while self.redraws:
            await asyncio.gather(*self.redraws, return_exceptions=True)

    def redraw_failed(self, key: tuple[int, str], token: str) -> None:
        """The session could not draw the page (it ended, or the drawing failed): stop answering it."""
        with self._lock:
            self._redrawing.discard(key)
            self._tokens.pop(self.key(token), None)


def ticket_after(query: str) -> int:
    """The `after` of `/me?after=<ticket id>`: the page must show that ticket (0 when absent or not a number)."""
    after = parse_qs(query).get("after", ["0"])[0]
    return int(after) if after.isdigit() and len(after) < 19 else 0


class ResidentPageLayer:
    """ASGI: answers GET /me from the cache when it can, and passes everything else on."""

    def __init__(self, app, pages: ResidentPages, session_cookie: str, lang_cookie: str):
        self.app, self.pages = app, pages
        self.session_cookie, self.lang_cookie = session_cookie, lang_cookie
        # Redraws are Python work under one interpreter lock: a few at a time leave the worker threads and the
        # lock to the looks nobody has drawn a page for yet, and to the event loop answering kept pages.
        self._drawing = asyncio.Semaphore(4)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/me" and scope["method"] in ("GET", "HEAD"):
            token, locale = self._session(scope)
            if token is not None:
                after = ticket_after(scope.get("query_string", b"").decode("latin-1"))
                page, redraw = self.pages.lookup(token, locale, after)
                if page is not None:
                    self._start_redraw(scope, redraw, token)
                    await self._answer(scope, send, page)
                    return
        await self.app(scope, receive, send)

    def _session(self, scope) -> tuple[str | None, str]:
        """The session token of a look the cache may answer (None otherwise), and the page's language."""
        if self.pages.ttl <= 0:
            return None, ""
        headers = dict(scope["headers"])
        if b"authorization" in headers:
            return None, ""
        jar = SimpleCookie()
        try:
            jar.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed cookie header: let the route answer it
            return None, ""
        token, lang = jar.get(self.session_cookie), jar.get(self.lang_cookie)
        return (token.value if token else None), i18n.negotiate(lang.value if lang else None, None)

    def _start_redraw(self, scope, key: tuple[int, str] | None, token: str | None) -> None:
        if key is not None and token is not None:
            task = asyncio.get_running_loop().create_task(self._redraw(scope, key, token))
            self.pages.redraws.add(task)
            task.add_done_callback(self.pages.redraws.discard)

    async def _redraw(self, scope, key: tuple[int, str], token: str) -> None:
        """Runs the route for this session as if asked again: it checks the session, draws and stores."""
        headers = [(k, v) for k, v in scope["headers"] if k != b"if-none-match"]
        quiet = {**scope, "method": "GET", "headers": headers, "query_string": b""}
        status: list[int] = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        try:
            async with self._drawing:
                await self.app(quiet, receive, send)
        finally:
            if status != [200]:
                self.pages.redraw_failed(key, token)

    async def _answer(self, scope, send, page: _Page) -> None:
        requested = dict(scope["headers"]).get(b"if-none-match")
        common = [(b"etag", page.etag.encode()), (b"cache-control", b"private, no-cache"), (b"vary", b"Cookie")]
        if requested == page.etag.encode():
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page.body)).encode()),
                   *common]  # fmt: skip
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page.body})
