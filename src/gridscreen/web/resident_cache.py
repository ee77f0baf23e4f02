"""The resident page, kept rendered for a short while in each server process.

When a lockdown city checks its results, millions of residents open the same page within minutes. The
page of a household changes rarely (a result, a notice, a ticket), so each process keeps, for `ttl`
seconds: which household a session token opens (never past the token's expiry), and the page rendered
for that household in each language. A hit is answered by a small ASGI layer before routing, the session
or the database are touched; a miss goes to the route, which renders and stores. What a household does
itself shows at once: filing a ticket redirects to `/me?after=<ticket id>`, which a page older than that
ticket never answers. Logging out forgets the token in this process; other processes forget it within
`ttl` seconds."""

from __future__ import annotations

import hashlib
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
    until: float  # monotonic


@dataclass(frozen=True)
class _Page:
    body: bytes
    etag: str
    newest_ticket: int
    until: float


class ResidentPages:
    def __init__(self, ttl: float, max_entries: int = 500_000):
        self.ttl, self.max_entries = ttl, max_entries
        self._tokens: dict[str, _Opens] = {}
        self._pages: dict[tuple[int, str], _Page] = {}
        self._lock = threading.Lock()  # routes run in a thread pool; the ASGI layer on the event loop

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()  # raw tokens are not kept

    def store(self, *, token: str, expires_at: datetime, household_id: int, locale: str, body: bytes,
              etag: str, newest_ticket: int) -> None:  # fmt: skip
        if self.ttl <= 0:
            return
        now = time.monotonic()
        left = (clock.aware(expires_at) - clock.now()).total_seconds()
        with self._lock:
            if len(self._pages) >= self.max_entries:  # a crude bound: start again rather than grow
                self._pages.clear()
                self._tokens.clear()
            self._tokens[self.key(token)] = _Opens(household_id, now + min(self.ttl, left))
            self._pages[(household_id, locale)] = _Page(body, etag, newest_ticket, now + self.ttl)

    def forget(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(self.key(token), None)

    def lookup(self, token: str, locale: str, after: int) -> _Page | None:
        now = time.monotonic()
        opens = self._tokens.get(self.key(token))
        if opens is None or opens.until <= now:
            return None
        page = self._pages.get((opens.household_id, locale))
        if page is None or page.until <= now or page.newest_ticket < after:
            return None
        return page


class ResidentPageLayer:
    """ASGI: answers GET /me from the cache when it can, and passes everything else on."""

    def __init__(self, app, pages: ResidentPages, session_cookie: str, lang_cookie: str):
        self.app, self.pages = app, pages
        self.session_cookie, self.lang_cookie = session_cookie, lang_cookie

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/me" and scope["method"] in ("GET", "HEAD"):
            page = self._hit(scope)
            if page is not None:
                await self._answer(scope, send, page)
                return
        await self.app(scope, receive, send)

    def _hit(self, scope) -> _Page | None:
        if self.pages.ttl <= 0:
            return None
        headers = dict(scope["headers"])
        if b"authorization" in headers:
            return None
        jar = SimpleCookie()
        try:
            jar.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed cookie header: let the route answer it
            return None
        token = jar.get(self.session_cookie)
        if token is None:
            return None
        lang = jar.get(self.lang_cookie)
        locale = i18n.negotiate(lang.value if lang else None, None)
        after = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("after", ["0"])[0]
        return self.pages.lookup(token.value, locale, int(after) if after.isdigit() else 0)

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
