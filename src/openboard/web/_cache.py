"""Rendered pages for anonymous readers, kept until the data changes.

Most traffic is the same few views (the default leaderboard above all) read by people who are not
signed in; their pages hold nothing personal (no session, no CSRF token), so one rendering serves
them all until the store's data version moves (a new result, a moderation action).

A shared page carries an ETag (a hash of its bytes) and `Cache-Control: no-cache`: a browser or a
script polling the API asks again with If-None-Match and gets an empty 304 until the page changes.

Two layers use one `PageCache`: routes fill it (`page`), and `SharedPages`, an ASGI layer in front
of routing, sessions and the thread pool, answers a kept page straight from the event loop. A page
that many readers ask for at once is rendered once: the others wait for that rendering
(a burst of readers after a new result would otherwise render the same page side by side).
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from openboard.store import Store

_KEPT_HEADERS = ("content-type", "content-disposition")
_RENDER_WAIT_SECONDS = 30.0  # a rendering that takes longer is not waited for: render again


@dataclass(frozen=True, slots=True)
class _Page:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str

    def response(self) -> Response:
        return Response(self.body, status_code=self.status,
                        headers={**dict(self.headers), **self.validators()})  # fmt: skip

    def validators(self) -> dict[str, str]:
        return {"etag": self.etag, "cache-control": "no-cache"}

    def not_modified(self, scope: Scope) -> bool:
        asked = next((v for k, v in scope["headers"] if k == b"if-none-match"), b"")
        tags = {t.strip() for t in asked.decode("latin-1").split(",")}
        return self.etag in tags or f"W/{self.etag}" in tags


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def page_key(scope: Scope) -> str:
    return f"{scope['path']}?{scope['query_string'].decode('latin-1')}"


class PageCache:
    def __init__(self, store: Store, size: int = 512) -> None:
        self._store = store
        self._size = size
        self._pages: OrderedDict[str, _Page] = OrderedDict()
        self._rendering: dict[str, threading.Event] = {}
        self._version: tuple[int, ...] | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.renders = 0

    def kept(self, key: str) -> _Page | None:
        """The page kept for `key` at the store's current data version."""
        with self._lock:
            if key not in self._pages:  # static files, /queue, forms...: no query for them
                return None
        version = self._store.data_version()
        with self._lock:
            return self._kept(key, version)

    def _kept(self, key: str, version: tuple[int, ...]) -> _Page | None:
        if version != self._version:
            self._pages.clear()
            self._version = version
        kept = self._pages.get(key)
        if kept is not None:
            self._pages.move_to_end(key)
            self.hits += 1
        return kept

    def page(self, key: str, render: Callable[[], Response]) -> Response:
        """The kept page, or `render()` (once, however many readers ask at the same time)."""
        version = self._store.data_version()
        with self._lock:
            kept = self._kept(key, version)
            if kept is None:
                busy = self._rendering.get(key)
                if busy is None:
                    self._rendering[key] = threading.Event()
        if kept is not None:
            return kept.response()
        if busy is not None:
            busy.wait(_RENDER_WAIT_SECONDS)
            with self._lock:
                kept = self._kept(key, version)
            if kept is not None:
                return kept.response()
            with self._store.reading_at(version):
                return render()
        try:
            return self._render(key, version, render)
        finally:
            with self._lock:
                self._rendering.pop(key).set()

    def _render(
        self, key: str, version: tuple[int, ...], render: Callable[[], Response]
    ) -> Response:
        with self._store.reading_at(version):  # the page's checks read no version again
            response = render()
        self.renders += 1
        if response.status_code == 200 and "set-cookie" not in response.headers:
            headers = tuple((k, v) for k, v in response.headers.items() if k in _KEPT_HEADERS)
            body = bytes(response.body)
            page = _Page(response.status_code, body, headers, _etag(body))
            response.headers.update(page.validators())
            with self._lock:
                if version == self._version:
                    self._pages[key] = page
                    if len(self._pages) > self._size:
                        self._pages.popitem(last=False)
        return response


class SharedPages:
    """Answers an anonymous GET from the page cache before routing, sessions and the thread pool;
    anything else (and a page not kept yet) goes on to the app, whose routes fill the cache."""

    def __init__(self, app: ASGIApp, cache: PageCache, session_cookie: str) -> None:
        self._app = app
        self._cache = cache
        self._cookie = f"{session_cookie}=".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and self._anonymous(scope):
            # The version check is one indexed query (max of two ids): cheaper inline than a
            # hop to the thread pool.
            kept = self._cache.kept(page_key(scope))
            if kept is not None:
                answer = (
                    Response(status_code=304, headers=kept.validators())
                    if kept.not_modified(scope)
                    else kept.response()
                )
                await answer(scope, receive, send)
                return
        await self._app(scope, receive, send)

    def _anonymous(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization" or (name == b"cookie" and self._cookie in value):
                return False
        return True
