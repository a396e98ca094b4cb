"""When an anonymous reader's board page may be made on the event loop itself (no hop to the
thread pool): only while the read model is started and at the database's version, so that the
view neither reads the database nor waits for the model to catch up; never for a regular
expression or a search of many groups, which may run long; and a read there that would wait is
made again in the thread pool."""

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from openboard.cli._context import Context
from openboard.store import BoardWouldWaitError, Store, board_reads_never_wait

from .test_board import T0, add_finished, board_app
from .test_board_model import VIEW


def on_the_loop_only_for_sqlite(store: Store) -> bool:
    # PostgreSQL's version check is a statement over a socket: never on the event loop.
    return store.engine.dialect.name == "sqlite"


def test_the_board_is_current_only_while_memory_answers_without_waiting(context: Context) -> None:
    store = context.store
    add_finished(store, "here/model", (50, 50, 50), day=1)
    assert store.current_board_version() is None  # no read model: the board comes from SQL
    store.start_board_model()
    other = Store(create_engine(store.engine.url))
    local = on_the_loop_only_for_sqlite(store)
    try:
        assert (store.current_board_version() is not None) is local
        add_finished(other, "elsewhere/model", (90, 90, 90), day=2)  # another process's write
        assert (
            store.current_board_version() is None
        )  # the model follows within a second, or a reader
        assert store.board(VIEW).rows[0][0].model == "elsewhere/model"  # caught up
        assert (store.current_board_version() is not None) is local
        other.moderation.flag("elsewhere/model", "contaminated", None, "root", T0)
        store.board(VIEW)
        assert (store.current_board_version() is not None) is local
    finally:
        other.engine.dispose()
        store.stop_board_model()
    assert store.current_board_version() is None


def test_a_board_read_that_would_wait_raises_inside_never_wait(context: Context) -> None:
    store = context.store
    add_finished(store, "here/model", (50, 50, 50), day=1)
    with board_reads_never_wait(), pytest.raises(BoardWouldWaitError):
        store.board(VIEW)  # no read model: the page would come from SQL
    assert store.board(VIEW).rows[0][0].model == "here/model"  # outside, it does


@pytest.fixture
def board_threads(context: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the threads the app's board reads ran on."""
    store = context.store
    add_finished(store, "qwen/small", (50, 50, 50), day=1)
    add_finished(store, "other/model", (60, 60, 60), day=2)
    threads: list[str] = []
    read: Callable[..., Any] = store.board

    def board(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return read(*args, **kwargs)

    monkeypatch.setattr(store, "board", board)
    yield threads


@pytest.mark.parametrize(
    ("search", "inline"),
    [("qwen", True), ("other; qwen", True), ("@license:apache qwen", True),
     ("^qwen/", False), ("qwen; ^x", False), ("a; b; qwen", False)],
)  # fmt: skip
def test_a_plain_search_is_made_on_the_event_loop_and_a_pattern_in_the_thread_pool(
    context: Context, board_threads: list[str], search: str, inline: bool
) -> None:
    with TestClient(board_app(context.store, "read model")) as http:
        http.get("/")  # the read model is up and current
        board_threads.clear()
        page = http.get("/", params={"q": search})
    assert page.status_code == 200, page.text
    assert "qwen/small" in page.text
    on_the_loop = inline and on_the_loop_only_for_sqlite(context.store)
    assert len(board_threads) == 1, board_threads
    assert board_threads[0].startswith("AnyIO worker thread") is not on_the_loop, board_threads


def test_an_inline_page_that_would_wait_is_made_in_the_thread_pool(
    context: Context, board_threads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = context.store
    with TestClient(board_app(store, "read model")) as http:
        store.stop_board_model()  # what the view reads now could only come from SQL
        monkeypatch.setattr(store, "current_board_version", store.data_version)  # said otherwise
        board_threads.clear()
        page = http.get("/api/leaderboard")
    assert page.status_code == 200
    assert [r["model"] for r in page.json()["rows"]] == ["other/model", "qwen/small"]
    loop, pool = board_threads  # tried on the loop, raised, made again in the pool
    assert not loop.startswith("AnyIO worker thread") and pool.startswith("AnyIO worker thread")


def test_a_warm_server_process_keeps_its_heap_from_the_collector_until_it_stops(
    context: Context,
) -> None:
    """What a process holds once warm (the read model above all) lives as long as it does: a
    full collection walking it stalled a million-row board's process for ~0.2 s."""
    add_finished(context.store, "here/model", (50, 50, 50), day=1)
    gc.unfreeze()
    with TestClient(board_app(context.store, "read model")) as client:
        assert gc.get_freeze_count() > 0
        assert "here/model" in client.get("/").text
    assert gc.get_freeze_count() == 0
