"""When an anonymous reader's board page may be made on the event loop itself (no hop to the
thread pool): only while the read model is started and at the database's version, so that the
view neither reads the database nor waits for the model to catch up."""

from sqlalchemy import create_engine

from openboard.cli._context import Context
from openboard.store import Store

from .test_board import T0, add_finished
from .test_board_model import VIEW


def test_the_board_is_current_only_while_memory_answers_without_waiting(context: Context) -> None:
    store = context.store
    add_finished(store, "here/model", (50, 50, 50), day=1)
    assert not store.board_is_current()  # no read model: the board comes from SQL
    store.start_board_model()
    other = Store(create_engine(store.engine.url))
    try:
        assert store.board_is_current()
        add_finished(other, "elsewhere/model", (90, 90, 90), day=2)  # another process's write
        assert not store.board_is_current()  # the model follows within a second, or a reader
        assert store.board(VIEW).rows[0][0].model == "elsewhere/model"  # caught up
        assert store.board_is_current()
        other.moderation.flag("elsewhere/model", "contaminated", None, "root", T0)
        store.board(VIEW)
        assert store.board_is_current()
    finally:
        other.engine.dispose()
        store.stop_board_model()
    assert not store.board_is_current()
