"""What a server process does before it listens, so that no reader meets a cold path: every
template compiled (the leaderboard's takes ~0.2-0.5 s on this machine's loaded cores) and the
board's read model built; and, at shutdown, the read model stops following the database.

What exists once the process is warm lives as long as it does: it is frozen out of the cyclic
garbage collector's reach. A full collection walks every tracked object, and at a million rows
the read model's name lists and vocabularies made each one stall the process for ~0.2 s
(measured: 224 ms), on whatever requests it was serving. Garbage freed by reference counting is
freed as before; at shutdown the objects are handed back to the collector.
"""

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from openboard.store import Store, readiness

__all__ = ["warm_start"]

log = logging.getLogger(__name__)


def warm_start(
    store: Store, templates: Jinja2Templates, read_model: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for name in templates.env.list_templates():
            templates.env.get_template(name)  # compiled once, kept in the environment's cache
        if read_model:
            # A database behind this schema cannot be read into the model; the server still
            # starts so that /readyz can say why (503) instead of the process dying at startup.
            if (reason := readiness(store.engine)) is None:
                store.start_board_model()
            else:
                log.warning("the board's read model is not started: %s", reason)
        gc.freeze()
        try:
            yield
        finally:
            store.stop_board_model()
            gc.unfreeze()

    return lifespan
