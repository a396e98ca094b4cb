"""The board's read model against the SQL path: the same rows, order, counts and pages for any
view, one data version per answer, and every change followed."""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import openboard.store._readmodel as readmodel
from openboard.cli._context import Context
from openboard.domain import BenchmarkScore, ModelType, Precision, WeightType, parse_search
from openboard.queue import claim_next, finish
from openboard.store import (
    SORT_COLUMNS,
    BoardQuery,
    BoardResult,
    Commit,
    ContaminationEvidence,
    EvaluationCost,
    ShownRequest,
    Store,
)
from openboard.store._snapshot import BoardSnapshot

from .conftest import POSTGRES_SERVER
from .test_board import BENCHMARKS, T0, add_finished
from .test_store import new_request

# Names that test the folding and the trigram index: case variants of one name (equal when
# lowercased: their order is by id), short names, a literal %, _ and a non-ASCII letter.
NAMES = (
    "meta/Llama-3-8B", "meta/llama-3-8b", "meta/llama-3-70b", "Qwen/Qwen2.5-7B-Instruct",
    "qwen/qwen2.5-7b-instruct", "org/50%-off", "org/under_score", "org/Ünïcode-Model", "x/ab",
    "x/abc-abc", "mistral/Mistral-7B-v0.1", "merger/franken-moe", "tiny/edge-1b", "org/LLAMA-shout",
    "nous/Hermes-2-Pro-Llama-3-8B", "lab/a", "meta/Llama-3-8B",
)  # fmt: skip
TYPES = (ModelType.PRETRAINED, ModelType.CHAT, ModelType.FINE_TUNED, ModelType.MERGE)
PRECISIONS = (Precision.BFLOAT16, Precision.FLOAT16, Precision.INT4)
WEIGHTS = (WeightType.ORIGINAL, WeightType.DELTA, WeightType.ADAPTER)
LICENSES = ("apache-2.0", "mit", "other", "llama3")
TERMS = (
    "llama", "LLAMA", "lla", "ll", "l", "50%", "_sc", "ïcode", "abc", "qwen2.5", "7b", "8B",
    "instruct", "meta/", "-", "nothing-here", "^meta/.*8b", "llama.*shout", "abc-abc$", "^x/a",
    "(qwen|mistral)", "@type:chat", "@license:mit", "@precision:float16", "@architecture:mixtral",
    "llama @type:pre", "@license:", "7b @precision:bfloat16",
)  # fmt: skip


def _cost(n: int) -> EvaluationCost | None:
    """The n-th model's evaluation cost: figures with ties, none measured (an import), and no
    GPU-hours (a CPU run)."""
    if n % 6 == 5:
        return None
    hours = (0.25, 0.5, 0.25, 1.5)[n % 4]
    return EvaluationCost(backend=("hf", "openboard")[n % 2], tokens=1000 * (n % 5 + 1),
                          tokens_per_second=(120.0, 4500.5, 120.0, 33.0, 980.0)[n % 5],
                          device_hours=hours, gpu_hours=None if n % 3 == 0 else hours)  # fmt: skip


def _add(store: Store, n: int) -> None:
    """The n-th model of the data set: scores with ties, a missing score, no parameter count."""
    name = NAMES[n % len(NAMES)]
    scores = (float(n % 7 * 10), float(n % 3 * 25), float((n * 13) % 11 * 9))
    add_finished(
        store, name, scores, precision=PRECISIONS[n % 3], model_type=TYPES[n % 4],
        params_b=(0.5, 3, 7, 7.2, 13, 70, 141)[n % 7], license=LICENSES[n % 4],
        architecture=("LlamaForCausalLM", "MixtralForCausalLM")[n % 2 == 0 and n % 5 == 0],
        merged=n % 4 == 3, moe=n % 5 == 0, day=n % 9, revision=f"{n:040x}",
        eval_seconds=(10.0, 35.5, 10.0, 600.0)[n % 4], co2_kg=(0.01, 0.2, 0.05)[n % 3],
        cost=_cost(n), weight_type=WEIGHTS[n % 3], use_chat_template=n % 3 == 1,
        base_model=None if n % 3 == 0 else NAMES[(n + 1) % len(NAMES)],
    )  # fmt: skip
    if n % 5 == 2:  # a run on a sample limit, or on data that differs from the published
        newest = max(r.id for r in store.list_requests(name))
        store.set_run_marks(newest, (10, None)[n % 2], n % 2 == 1)


def _add_odd_ones(store: Store) -> None:
    """A row without parameters or one benchmark, and one of another suite."""
    for model, suite, params, benchmarks in (
        ("odd/no-params", "starter", None, BENCHMARKS[:2]), ("odd/other-suite", "v2", 7 * 10**9, ()),
    ):  # fmt: skip
        store.add_request(replace(new_request(model=model), suite=suite, params=params), "alice")
        running = claim_next(store, "w1", lambda: T0)
        assert running is not None
        finish(store, running, actor="w1", at=T0, task_scores=[], eval_seconds=1.0, co2_kg=0.0,
               benchmark_scores=[BenchmarkScore(b, raw=0.5, normalized=50.0) for b in benchmarks],
               average=50.0 if benchmarks else 0.0)  # fmt: skip


@contextmanager
def _database(folder: Path) -> Iterator[str]:
    """A fresh database on SQLite, or on the PostgreSQL test server when one is given."""
    if not POSTGRES_SERVER:
        yield f"sqlite:///{folder / 'openboard.db'}"
        return
    name = f"openboard_test_{uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One board for the property test (hypothesis draws many views of it)."""
    with _database(tmp_path_factory.mktemp("board")) as url:
        store = Store.open(url, search_deadline_s=600)  # wall time: not this test's subject
        try:
            yield from _filled(store)
        finally:
            store.engine.dispose()


def _filled(store: Store) -> Iterator[Store]:
    store.migrate()
    for n in range(48):
        _add(store, n)
    _add_odd_ones(store)
    store.moderation.flag("x/ab", "contaminated", None, "root", T0)
    store.moderation.set_hidden(5, True, "root", T0, "duplicate")
    store.availability.record(Commit("tiny/edge-1b", f"{12:040x}"), False, "gone", T0, "root")
    for request_id in range(1, 12):  # ties (the first benchmark by name wins), untested ones
        p = (None, 0.5, 0.01, 0.01, 0.2)[request_id % 5]
        record_p_values(
            store, request_id, {b: p if n % 2 else 0.3 for n, b in enumerate(BENCHMARKS)}
        )
    store.start_board_model()
    yield store
    store.stop_board_model()


def record_p_values(store: Store, request_id: int, p_values: dict[str, float | None]) -> None:
    """The contamination test's evidence: a p-value per benchmark (None: not tested)."""
    store.contamination.record(request_id, [
        ContaminationEvidence(request_id, benchmark, 1, "permutation", p, None, None, 1, 1, 1, 1,
                              0, 0, 0.0, 0.0, {}, None, T0)
        for benchmark, p in p_values.items()
    ], "w1", T0)  # fmt: skip


def _answer(result: BoardResult) -> tuple[object, ...]:
    """Rows and pins (whole requests: the read model keeps them between pages), their flags and
    contamination p-values."""
    return result.rows, result.pinned, dict(result.flags), dict(result.p_values)


def assert_same(store: Store, query: BoardQuery, pinned: tuple[str, ...] = ()) -> BoardResult:
    in_memory, in_sql = store.board(query, pinned), store.board_in_sql(query, pinned)
    assert _answer(in_memory) == _answer(in_sql), query
    if in_sql.total_at_least:  # SQL stops counting a search at MAX_COUNTED; memory counts all
        assert in_memory.total >= in_sql.total and not in_memory.total_at_least
    else:
        assert (in_memory.total, in_memory.total_at_least) == (in_sql.total, False), query
    return in_memory


def _bounds() -> st.SearchStrategy[float | None]:
    return st.one_of(st.none(), st.sampled_from((0.0, 1.0, 3.0, 7.0, 7.1, 65.0, 141.0)))


VIEWS = st.builds(
    BoardQuery,
    suite=st.sampled_from(("starter", "starter", "v2")),
    benchmarks=st.just(BENCHMARKS),
    search=st.lists(st.sampled_from(TERMS), max_size=2).map(
        lambda terms: tuple(parse_search(";".join(terms)))
    ),
    types=st.frozensets(st.sampled_from(TYPES), max_size=2),
    precisions=st.frozensets(st.sampled_from(PRECISIONS), max_size=2),
    params_min_b=_bounds(),
    params_max_b=_bounds(),
    hide_merged=st.booleans(),
    hide_moe=st.booleans(),
    hide_flagged=st.booleans(),
    hide_unavailable=st.booleans(),
    official_only=st.booleans(),
    official=st.sampled_from((frozenset(), frozenset({"meta", "Qwen"}))),
    sort=st.sampled_from((*SORT_COLUMNS, *BENCHMARKS, "starter_unknown")),
    descending=st.booleans(),
    raw=st.booleans(),
    average_over=st.one_of(
        st.none(),
        st.lists(st.sampled_from(BENCHMARKS), min_size=1, max_size=2, unique=True).map(tuple),
    ),
    offset=st.sampled_from((0, 0, 1, 3, 10, 25, 60)),
    limit=st.sampled_from((1, 5, 25, 50, 100)),
)


@settings(  # the suite's profile (conftest.py) suppresses too_slow; a list here replaces its
    max_examples=500,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(VIEWS, st.lists(st.sampled_from(NAMES), max_size=3, unique=True).map(tuple))
def test_any_view_reads_the_same_from_memory_and_sql(
    shared_store: Store, query: BoardQuery, pinned: tuple[str, ...]
) -> None:
    assert_same(shared_store, query, pinned)


@pytest.fixture
def started(context: Context) -> Iterator[Store]:
    for n in range(12):
        _add(context.store, n)
    context.store.start_board_model()
    yield context.store
    context.store.stop_board_model()


VIEW = BoardQuery(suite="starter", benchmarks=BENCHMARKS, limit=100)


def test_the_model_follows_results_flags_hides_types_and_availability(started: Store) -> None:
    def models(query: BoardQuery = VIEW) -> list[str]:
        return [request.model for request, _ in assert_same(started, query).rows]

    before = models()
    add_finished(started, "new/arrival", (99, 99, 99), day=30)
    assert models()[0] == "new/arrival" and len(models()) == len(before) + 1
    started.moderation.flag("new/arrival", "contaminated", None, "root", T0)
    assert "new/arrival" not in models()
    assert "new/arrival" in models(replace(VIEW, hide_flagged=False))
    started.moderation.unflag("new/arrival", "root", T0, "cleared")
    assert models()[0] == "new/arrival"
    first = started.board(VIEW).rows[0][0]
    started.moderation.set_hidden(first.id, True, "root", T0, "duplicate")
    assert "new/arrival" not in models()
    started.moderation.set_hidden(first.id, False, "root", T0, "restored")
    started.moderation.set_model_type(first.id, ModelType.MERGE, "root", T0, "a merge")
    assert models(replace(VIEW, types=frozenset({ModelType.MERGE})))[0] == "new/arrival"
    started.availability.record(Commit("new/arrival", "a" * 40), False, "gone", T0, "root")
    assert "new/arrival" not in models(replace(VIEW, hide_unavailable=True))
    assert started.board(VIEW).rows[0][0].available is False
    record_p_values(started, first.id, {BENCHMARKS[1]: 0.001, BENCHMARKS[0]: 0.4})
    assert started.board(VIEW).p_values[first.id] == (BENCHMARKS[1], 0.001)
    assert_same(started, VIEW)
    started.moderation.delete_request(first.id, "root", T0, "spam")
    assert models() == before


def test_new_names_are_indexed_again_once_their_tail_grows(
    started: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names added since the suffix array was built are scanned by every search; past a
    threshold the follower indexes them, and searches find the same rows before and after."""

    monkeypatch.setattr(readmodel, "_REINDEX_TAIL", 1)
    names = started.start_board_model().names  # the model already started: it is returned
    search = replace(VIEW, search=tuple(parse_search("arrival; ^late/")))
    add_finished(started, "new/arrival", (99, 99, 99), day=30)
    add_finished(started, "late/arrival", (98, 98, 98), day=31)
    assert len(assert_same(started, search).rows) == 2
    deadline = time.monotonic() + 30  # the follower polls every second
    while names.tail and time.monotonic() < deadline:
        time.sleep(0.05)
    assert names.tail == 0
    assert [r.model for r, _ in assert_same(started, search).rows] == [
        "new/arrival",
        "late/arrival",
    ]


def test_what_a_page_shows_follows_each_change_without_a_rebuild(
    started: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fields a page shows of a row (its type, a flag's reason and link, why its commit is
    unavailable, its origin's badge) come from the snapshot's columns: the next page after a
    change shows the change, as the SQL path does, from a followed snapshot (no rebuild)."""
    monkeypatch.setattr(BoardSnapshot, "build", None)  # a rebuild would fail
    view = replace(VIEW, hide_flagged=False)

    def shown(request_id: int) -> tuple[ShownRequest, BoardResult]:
        result = assert_same(started, view)
        return next(r for r, _ in result.rows if r.id == request_id), result

    request, _ = shown(3)
    assert request.model_type is not ModelType.MERGE and request.available is None
    started.moderation.set_model_type(3, ModelType.MERGE, "root", T0, "a merge")
    assert shown(3)[0].model_type is ModelType.MERGE
    started.moderation.flag(request.model, "benchmark data in its training set",
                            "https://example.org/why", "root", T0)  # fmt: skip
    flag = shown(3)[1].flags[request.model]
    assert (flag.reason, flag.link) == ("benchmark data in its training set",
                                        "https://example.org/why")  # fmt: skip
    started.availability.record(Commit(request.model, request.revision), False,
                                "the repository is gated now", T0, "root")  # fmt: skip
    after = shown(3)[0]
    assert (after.available, after.unavailable_reason) == (False, "the repository is gated now")
    assert after._replace(model_type=request.model_type, available=None,
                          unavailable_reason=None) == request  # nothing else moved  # fmt: skip


def test_a_result_landing_mid_read_never_shows_a_half_updated_view(started: Store) -> None:
    """Readers race a writer: every answer's rows and count come from one data version (the
    count of a whole-board page is its number of rows, whichever version it shows)."""
    stop = threading.Event()
    seen: list[tuple[int, int]] = []
    failures: list[str] = []

    def read() -> None:
        while not stop.is_set():
            result = started.board(VIEW)
            seen.append((result.total, len(result.rows)))
            if result.total != len(result.rows):
                failures.append(f"{result.total} counted, {len(result.rows)} rows")

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for n in range(8):
            add_finished(started, f"race/model-{n}", (n, n, n), day=n)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not failures, failures[:3]
    assert seen and started.board(VIEW).total == 20
    assert len({total for total, _ in seen}) > 1  # the readers did see the board grow


def test_the_model_holds_the_official_providers_at_its_version(started: Store) -> None:
    """The board reads them from its snapshot (no statement per view), which follows them."""
    assert started.official_namespaces() == frozenset()
    started.moderation.add_official("meta", "root", T0, "the publisher")
    started.board(VIEW)  # a reader that sees the database ahead waits for the next snapshot
    assert started.official_namespaces() == frozenset({"meta"})
    official = replace(VIEW, official_only=True, official=started.official_namespaces())
    assert {r.namespace for r, _ in assert_same(started, official).rows} == {"meta"}
    started.moderation.remove_official("meta", "root", T0, "not any more")
    started.board(VIEW)
    assert started.official_namespaces() == frozenset()


def test_a_reader_after_a_write_sees_the_write(started: Store) -> None:
    """No stale page: the first read after a new result waits for the snapshot that has it."""
    for n in range(5):
        add_finished(started, f"fresh/model-{n}", (100, 100, 100.0 + n), day=40 + n)
        assert started.board(replace(VIEW, limit=1)).rows[0][0].model == f"fresh/model-{n}"
    assert started.board(replace(VIEW, search=tuple(parse_search("fresh")))).total == 5


@pytest.mark.parametrize("days", [0, 400])
def test_submission_times_order_alike(context: Context, days: int) -> None:
    """Times sort by the instant on both paths (SQLite's text order, numpy's integers)."""
    for n in range(4):
        add_finished(context.store, f"t/m{n}", (1, 1, 1), day=days + (3 - n) * 31)
    context.store.start_board_model()
    try:
        for descending in (True, False):
            assert_same(context.store, replace(VIEW, sort="submitted", descending=descending))
    finally:
        context.store.stop_board_model()


def test_calls_arriving_during_a_read_share_the_next_one_begun_after_them(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight calls at once make two or three reads, not eight, and each call's answer comes
    from a read that began after the call did (it sees every commit made before the call)."""
    probe = context.store._version
    begun: list[float] = []
    lock = threading.Lock()

    def slow_read() -> tuple[int, int]:
        with lock:
            begun.append(time.monotonic())
            number = len(begun) - 1
        time.sleep(0.05)
        return number, 0

    monkeypatch.setattr(probe, "_read_held", slow_read)
    monkeypatch.setattr(probe, "shares_reads", True)  # SQLite's own reads are not shared
    answers: dict[int, tuple[float, int]] = {}
    gate = threading.Barrier(8)

    def call(n: int) -> None:
        gate.wait()
        arrived = time.monotonic()
        answers[n] = (arrived, probe()[0])

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(answers) == 8
    assert 1 <= len(begun) <= 3, begun
    for arrived, read in answers.values():
        assert begun[read] >= arrived


def test_each_of_many_concurrent_readers_sees_the_write_made_before_it(context: Context) -> None:
    """The real reads, shared: a reader that wrote through another engine, then asked, is
    answered with that write's version or a later one."""
    store, other = context.store, Store(create_engine(context.store.engine.url))
    one_writer = threading.Lock()  # add_finished claims the next queued request: one at a time

    def write_then_read(n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        with one_writer:
            add_finished(other, f"writer/model-{n}", (10, 10, 10), day=n + 1)
            written = other.data_version()
        return written, store.data_version()

    try:
        with ThreadPoolExecutor(8) as pool:  # a thread's error is raised here
            seen = list(pool.map(write_then_read, range(8)))
    finally:
        other.engine.dispose()
    assert all(read >= written for written, read in seen), seen


def test_another_process_write_moves_the_data_version(started: Store) -> None:
    """The version is read on a connection held for it (SQLite: `PRAGMA data_version` first):
    a write through another engine, as another server process or a worker makes it, moves it,
    and the next page shows the write."""
    other = Store(create_engine(started.engine.url))
    statements: list[str] = []
    event.listen(started.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        before = started.data_version()
        assert started.data_version() == before  # nothing written: the same version
        assert not statements  # the held connection's, not the engine's
        add_finished(other, "elsewhere/model", (100, 100, 100), day=50)
        after = started.data_version()
        assert after > before and after == other.data_version()
        assert started.board(replace(VIEW, limit=1)).rows[0][0].model == "elsewhere/model"
        other.moderation.flag("elsewhere/model", "contaminated", None, "root", T0)
        assert started.data_version() > after  # an audited action alone moves it too
        assert "elsewhere/model" not in [r.model for r, _ in started.board(VIEW).rows]
    finally:
        other.engine.dispose()
