"""The server builds the board's read model before it takes its first request (no reader meets
a cold board), and stops following the database when it shuts down."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from openboard.store import Store

__all__ = ["board_model_lifespan"]


def board_model_lifespan(store: Store) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        store.start_board_model()
        try:
            yield
        finally:
            store.stop_board_model()

    return lifespan
