"""Rendered pages for anonymous readers, kept until the data changes.

Most traffic is the same few views (the default leaderboard above all) read by people who are not
signed in; their pages hold nothing personal (no session, no CSRF token), so one rendering serves
them all until the store's data version moves (a new result, a moderation action).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from starlette.responses import Response

from openboard.store import Store

_KEPT_HEADERS = ("content-type", "content-disposition")


class PageCache:
    def __init__(self, store: Store, size: int = 512) -> None:
        self._store = store
        self._size = size
        self._pages: OrderedDict[str, tuple[int, bytes, dict[str, str]]] = OrderedDict()
        self._version: tuple[int, ...] | None = None
        self._lock = threading.Lock()
        self.hits = 0

    def page(self, key: str, render: Callable[[], Response]) -> Response:
        version = self._store.data_version()
        with self._lock:
            if version != self._version:
                self._pages.clear()
                self._version = version
            kept = self._pages.get(key)
            if kept is not None:
                self._pages.move_to_end(key)
                self.hits += 1
        if kept is not None:
            status, body, headers = kept
            return Response(body, status_code=status, headers=headers)
        response = render()
        if response.status_code == 200 and "set-cookie" not in response.headers:
            headers = {k: v for k, v in response.headers.items() if k in _KEPT_HEADERS}
            with self._lock:
                if version == self._version:
                    self._pages[key] = (response.status_code, bytes(response.body), headers)
                    if len(self._pages) > self._size:
                        self._pages.popitem(last=False)
        return response
