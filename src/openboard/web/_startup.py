"""What a server process does before it listens, so that no reader meets a cold path: every
template compiled (the leaderboard's takes ~0.2-0.5 s on this machine's loaded cores) and the
board's read model built; and, at shutdown, the read model stops following the database."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from openboard.store import Store

__all__ = ["warm_start"]


def warm_start(
    store: Store, templates: Jinja2Templates, read_model: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for name in templates.env.list_templates():
            templates.env.get_template(name)  # compiled once, kept in the environment's cache
        if read_model:
            store.start_board_model()
        try:
            yield
        finally:
            store.stop_board_model()

    return lifespan
