"""Web leaderboard latency at 100,000 (or 1,000,000) results: the board's read model against the SQL
path on the same board, and against a 1,000-result baseline, side by side.

Run: .venv/bin/python bench/web_load.py [--rows 100000] [--baseline-rows 1000] [--clients 16]
     [--requests 400] [--sql-requests 200] [--server-workers 2] [--fill-workers N] [--fill-cache DIR]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:54329/postgres]
Without --database-url each board is a fresh SQLite file in a temporary folder; with it (a server URL,
e.g. what `scripts/postgres.sh start` prints) each board is a fresh database on that server.

Each board is filled with FINISHED "starter" evaluations in bulk (Core executemany on the migrated
schema in one transaction, the rows made meanwhile by --fill-workers processes, seeded per chunk
of ids): realistic `org/name` ids over a few hundred namespaces, model types, precisions, 0.1-140 B
parameters, two years of submission dates, licenses, merged and MoE flags, the benchmark and
average scores a worker records (task scores for the first 100,000: the board never reads them).
Then the real server (`openboard serve`, its own processes) answers N concurrent clients on
loopback for a fixed number of requests per scenario, once with every view from SQL
(OPENBOARD_BOARD_READ_MODEL=false) and once with the read model; p50/p95/p99 are per-request
latencies under that load, `1-client` the median with one client (the service time).
Anonymous readers share rendered pages until the data changes, so the fixed views mostly measure
that cache; `distinct_views` asks a different random view every time (search, types, size, sort,
hides, raw scores, page: seeded, printed) and measures the read model and rendering; held to
p99 < 100 ms at 100,000 rows and < 250 ms above. `uncached_search` is reported, not held.
Also measured: the first request of each server process and the first ones after a new result
lands (< 250 ms), the read model's build time and memory (built in this process as each server
process builds it), each server process's resident memory, and the server processes' CPU time
per request of each scenario (`cpu ms`, from /proc: unlike latency, not moved by the machine's
other load).
The load generator is a small keep-alive HTTP/1.1 client over asyncio streams (`Connection`).
"""

import argparse
import asyncio
import collections
import concurrent.futures
import contextlib
import dataclasses
import itertools
import math
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from openboard.domain import (
    BenchmarkScore,
    ModelType,
    PinKind,
    Precision,
    Status,
    TaskScore,
    WeightType,
)
from openboard.evaluation import STARTER, average, benchmark_score, co2_kg, normalize
from openboard.store import BoardQuery, Store
from openboard.store._migrate import HEAD_REVISION
from openboard.store._tables import benchmark_scores, events, requests, task_results
from openboard.web._board import SIZE_PRESETS

CHUNK = 5000  # rows per executemany
FILL_WORKERS = max(1, min(4, (os.cpu_count() or 2) - 1))  # processes making the rows
TASK_ROWS_UP_TO = 100_000  # task scores of the first rows only: 6 rows each, never on the board
TARGET_P99_MS = 100.0
TARGET_P99_MS_1M = 250.0  # distinct views at more than 100,000 results
TARGET_FIRST_MS = 250.0  # the first request of a process, and the first after a new result
DISTINCT_URLS = 2000
WARMUP_CONNECTIONS = 8
TARGET_HTML_BYTES = 100_000
MODEL_PAGE = "meta-llama/Llama-3.1-8B-Instruct"  # always on the board: the model page scenario


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str  # the headline's prefix
    paths: tuple[str, ...]  # asked in turn
    table_view: bool  # held to the p99 target


SEARCH_TERMS = (
    "llama", "qwen", "mistral", "instruct", "chat", "7b", "8b", "70b", "dpo", "gptq", "slerp",
    "gemma", "phi-3", "mixtral", "smollm2", "abliterated", "math", "code", "v0.3", "pythia",
    "falcon", "yi-1.5", "deepseek", "granite", "olmo", "internlm", "bloom", "step1", "-v2", "sft",
)  # fmt: skip
SORTS = ("average", "model", "params", "submitted", "precision", "type")


def distinct_views(seed: int, count: int) -> tuple[str, ...]:
    """`count` different board URLs, each a random combination as a reader clicks them: search
    (none, a term, or two `;` groups), model types, a size preset or range, sort and direction,
    hide merged/MoE, raw scores, page 1-5."""
    rng = random.Random(seed)
    terms = [*SEARCH_TERMS, *organisations(random.Random(seed))[:60]]
    types = [t.value for t in ModelType]
    views: dict[str, None] = {}
    while len(views) < count:
        params: list[tuple[str, str]] = []
        searches = rng.choice((0, 1, 2))
        if searches:
            params.append(("q", ";".join(rng.choice(terms) for _ in range(searches))))
        params += [("type", t) for t in rng.sample(types, rng.choice((0, 0, 1, 2)))]
        size = rng.random()
        if size < 0.3:
            params.append(("size", rng.choice(list(SIZE_PRESETS))))
        elif size < 0.5:
            low = rng.choice((0, 1, 3, 7, 13))
            params += [("params_min", str(low)), ("params_max", str(low + rng.choice((5, 20, 60))))]
        params.append(("sort", rng.choice((*SORTS, *BENCHMARKS))))
        params.append(("dir", rng.choice(("asc", "desc"))))
        params += [("hide", h) for h in ("merged", "moe") if rng.random() < 0.3]
        if rng.random() < 0.3:
            params.append(("scores", "raw"))
        params.append(("page", str(rng.randint(1, 5))))
        views["/?" + urlencode(params)] = None
    return tuple(views)


def scenarios(seed: int, distinct: int = DISTINCT_URLS) -> tuple[Scenario, ...]:
    # A different search each request: nothing comes from the page cache, every page is rendered.
    uncached = tuple(
        f"/?q={org}&sort={column}&dir={direction}"
        for org in organisations(random.Random(seed))
        for column in ("average", "starter_bbh")
        for direction in ("asc", "desc")
    )
    return (
        Scenario("default_view", ("/",), True),
        Scenario("search", ("/?q=llama",), True),
        Scenario("regex_search", ("/?q=%5Emeta-llama/.*8B",), True),
        Scenario("filter_sort", ("/?type=chat&size=consumer&sort=starter_bbh&dir=asc",), True),
        Scenario("page50", ("/?page=50",), True),
        Scenario("api_leaderboard", ("/api/leaderboard",), True),
        Scenario("uncached_search", uncached, False),
        Scenario("model_page", (f"/models/{MODEL_PAGE}",), False),
        Scenario("distinct_views", distinct_views(seed, distinct), True),
    )


@dataclass(frozen=True, slots=True)
class Measurement:
    p50_ms: float
    p95_ms: float
    p99_ms: float
    per_second: float
    size_bytes: int  # the largest 200 response
    one_client_ms: float
    failures: int  # responses other than 200, and requests the server dropped
    failed_as: str  # those by status or error, e.g. "503 x 4, ReadError x 1"
    # CPU seconds the server processes spent over the scenario (its warm-up included) per
    # request, in ms: what the machine's other load does not change
    server_cpu_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    owner: str
    architecture: str
    sizes: tuple[tuple[str, float], ...]  # name's size label, billions of parameters
    license: str
    moe: bool = False
    multimodal: bool = False


FAMILIES = (
    Family("Llama-3.1", "meta-llama", "LlamaForCausalLM", (("8B", 8.03), ("70B", 70.6)), "llama3.1"),
    Family("Llama-3.2", "meta-llama", "LlamaForCausalLM", (("1B", 1.24), ("3B", 3.21)), "llama3.2"),
    Family("Meta-Llama-3", "meta-llama", "LlamaForCausalLM", (("8B", 8.03), ("70B", 70.6)), "llama3"),
    Family("Llama-2", "meta-llama", "LlamaForCausalLM", (("7b", 6.74), ("13b", 13.0), ("70b", 69.0)), "llama2"),
    Family("Qwen2.5", "Qwen", "Qwen2ForCausalLM", (("0.5B", 0.49), ("1.5B", 1.54), ("3B", 3.09), ("7B", 7.62), ("14B", 14.8), ("32B", 32.8), ("72B", 72.7)), "apache-2.0"),
    Family("Qwen2", "Qwen", "Qwen2ForCausalLM", (("0.5B", 0.49), ("1.5B", 1.54), ("7B", 7.62), ("72B", 72.7)), "apache-2.0"),
    Family("Qwen2-VL", "Qwen", "Qwen2VLForConditionalGeneration", (("2B", 2.21), ("7B", 8.29), ("72B", 73.4)), "apache-2.0", multimodal=True),
    Family("Mistral", "mistralai", "MistralForCausalLM", (("7B-v0.1", 7.24), ("7B-v0.3", 7.25)), "apache-2.0"),
    Family("Mistral-Nemo", "mistralai", "MistralForCausalLM", (("12B", 12.2),), "apache-2.0"),
    Family("Mixtral", "mistralai", "MixtralForCausalLM", (("8x7B", 46.7), ("8x22B", 140.0)), "apache-2.0", moe=True),
    Family("gemma-2", "google", "Gemma2ForCausalLM", (("2b", 2.61), ("9b", 9.24), ("27b", 27.2)), "gemma"),
    Family("Phi-3", "microsoft", "Phi3ForCausalLM", (("mini-4k", 3.82), ("small-8k", 7.39), ("medium-4k", 14.0)), "mit"),
    Family("Phi-3.5-MoE", "microsoft", "PhiMoEForCausalLM", (("42B", 41.9),), "mit", moe=True),
    Family("falcon", "tiiuae", "FalconForCausalLM", (("7b", 7.22), ("40b", 41.8)), "apache-2.0"),
    Family("SmolLM2", "HuggingFaceTB", "LlamaForCausalLM", (("135M", 0.135), ("360M", 0.362), ("1.7B", 1.71)), "apache-2.0"),
    Family("OLMo-2-1124", "allenai", "Olmo2ForCausalLM", (("7B", 7.3), ("13B", 13.7)), "apache-2.0"),
    Family("granite-3.0", "ibm-granite", "GraniteForCausalLM", (("2b", 2.63), ("8b", 8.17)), "apache-2.0"),
    Family("Yi-1.5", "01-ai", "LlamaForCausalLM", (("6B", 6.06), ("9B", 8.83), ("34B", 34.4)), "apache-2.0"),
    Family("deepseek-llm", "deepseek-ai", "LlamaForCausalLM", (("7b", 6.91), ("67b", 67.4)), "other"),
    Family("DeepSeek-V2-Lite", "deepseek-ai", "DeepseekV2ForCausalLM", (("16B", 15.7),), "other", moe=True),
    Family("internlm2_5", "internlm", "InternLM2ForCausalLM", (("1_8b", 1.89), ("7b", 7.74), ("20b", 19.9)), "other"),
    Family("pythia", "EleutherAI", "GPTNeoXForCausalLM", (("160m", 0.162), ("410m", 0.405), ("1.4b", 1.41), ("2.8b", 2.78), ("6.9b", 6.86), ("12b", 11.8)), "apache-2.0"),
    Family("c4ai-command-r", "CohereForAI", "CohereForCausalLM", (("v01", 35.0), ("plus", 104.0)), "cc-by-nc-4.0"),
    Family("stablelm-2", "stabilityai", "StableLmForCausalLM", (("1_6b", 1.64), ("12b", 12.1)), "other"),
    Family("bloom", "bigscience", "BloomForCausalLM", (("560m", 0.559), ("1b7", 1.72), ("7b1", 7.07)), "bigscience-bloom-rail-1.0"),
)  # fmt: skip

KNOWN_ORGS = (
    "meta-llama", "mistralai", "Qwen", "google", "microsoft", "tiiuae", "01-ai", "deepseek-ai",
    "allenai", "HuggingFaceTB", "ibm-granite", "internlm", "EleutherAI", "CohereForAI",
    "stabilityai", "bigscience", "NousResearch", "teknium", "upstage", "openchat",
    "cognitivecomputations", "mlabonne", "MaziyarPanahi", "bartowski", "TheBloke", "nvidia",
    "databricks", "Salesforce", "lmsys", "WizardLMTeam", "CausalLM", "abacusai", "jondurbin",
    "Undi95", "NeverSleep", "migtissera", "VAGOsolutions", "fblgit", "princeton-nlp", "arcee-ai",
)  # fmt: skip
HANDLE_PARTS = (
    ("neural", "open", "deep", "tiny", "mega", "quantum", "bright", "silent", "rapid", "lunar",
     "solar", "crimson", "hyper", "nano", "brave", "clever", "vector", "sparse", "dense", "rogue"),
    ("labs", "ai", "ml", "forge", "works", "-research", "_dev", "hub", "mind", "bits"),
)  # fmt: skip
# suffix → model type; "" is the family's own base model.
SUFFIXES: tuple[tuple[str, ModelType, float], ...] = (
    ("", ModelType.PRETRAINED, 6), ("-Instruct", ModelType.CHAT, 14), ("-Chat", ModelType.CHAT, 4),
    ("-it", ModelType.CHAT, 3), ("-DPO", ModelType.CHAT, 5), ("-ORPO", ModelType.CHAT, 3),
    ("-SFT", ModelType.FINE_TUNED, 6), ("-math", ModelType.FINE_TUNED, 3),
    ("-code", ModelType.FINE_TUNED, 3), ("-alpaca", ModelType.FINE_TUNED, 2),
    ("-abliterated", ModelType.FINE_TUNED, 3), ("-slerp", ModelType.MERGE, 4),
    ("-ties-merge", ModelType.MERGE, 3), ("-dare-ties", ModelType.MERGE, 2),
    ("-cpt-de", ModelType.CONTINUOUSLY_PRETRAINED, 2),
    ("-continued", ModelType.CONTINUOUSLY_PRETRAINED, 1),
)  # fmt: skip
PRECISIONS = (
    (Precision.BFLOAT16, 60), (Precision.FLOAT16, 25), (Precision.INT8, 5), (Precision.INT4, 5),
    (Precision.GPTQ, 5),
)  # fmt: skip
LICENSES = ("apache-2.0", "mit", "cc-by-nc-4.0", "cc-by-4.0", "other", "llama3.1", None)
BENCHMARKS = tuple(b.name for b in STARTER.benchmarks)
SAMPLES = {"starter_ifeval": 16}  # tasks not named: 250 documents
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def organisations(rng: random.Random, count: int = 300) -> list[str]:
    orgs = list(KNOWN_ORGS)
    while len(orgs) < count:
        handle = rng.choice(HANDLE_PARTS[0]) + rng.choice(HANDLE_PARTS[1])
        handle += str(rng.randint(1, 999)) if rng.random() < 0.6 else ""
        if handle not in orgs:
            orgs.append(handle)
    return orgs


def sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def scores(rng: random.Random, params_b: float, kind: ModelType) -> list[TaskScore]:
    """Task scores that grow with size, chat models a little better at IFEval, plus noise."""
    skill = 0.05 + 0.6 * math.log10(params_b * 10) / math.log10(1400) + rng.gauss(0, 0.08)
    tasks: list[TaskScore] = []
    for spec in STARTER.benchmarks:
        for task, choices in spec.tasks.items():
            samples = SAMPLES.get(task, 250)
            level = skill + rng.gauss(0, 0.07)
            if spec.name == "starter_ifeval":
                level += 0.15 if kind is ModelType.CHAT else -0.1
            level = min(0.98, max(0.0, level))
            floor = 1 / choices if choices else 0.0
            raw = round((floor + (1 - floor) * level) * samples) / samples
            stderr = math.sqrt(raw * (1 - raw) / samples) if len(spec.metrics) == 1 else None
            normalized = normalize(raw, choices)
            metric = "+".join(spec.metrics)
            tasks.append(
                TaskScore(spec.name, task, metric, raw, stderr, choices, normalized, samples)
            )
    return tasks


def evaluations(
    count: int, seed: int, first: int = 1
) -> Iterator[tuple[dict[str, Any], list[TaskScore]]]:
    """`count` FINISHED requests as `requests` rows (ids from `first`, where a CHUNK of ids
    begins) with their task scores. Each CHUNK has its own random stream (from the seed and the
    chunk's number), so a row is the same whichever process makes it, in whatever order."""
    assert (first - 1) % CHUNK == 0, f"id {first} does not begin a chunk of {CHUNK}"
    orgs = organisations(random.Random(seed))
    org_weights = [1 / (rank + 1) ** 0.7 for rank in range(len(orgs))]
    suffix_weights = [w for _, _, w in SUFFIXES]
    rng = random.Random()
    for request_id in range(first, first + count):
        if (request_id - 1) % CHUNK == 0:
            rng.seed(f"{seed}:{(request_id - 1) // CHUNK}")
        family = rng.choice(FAMILIES)
        size, params_b = rng.choice(family.sizes)
        if request_id <= 2:  # the model page's model, in bfloat16 and float16
            org, family, size, params_b = "meta-llama", FAMILIES[0], "8B", 8.03
            suffix, kind = "-Instruct", ModelType.CHAT
        else:
            org = rng.choices(orgs, org_weights)[0]
            suffix, kind, _ = rng.choices(SUFFIXES, suffix_weights)[0]
            if not suffix and org != family.owner:
                suffix, kind = "-finetune", ModelType.FINE_TUNED
        if family.multimodal:
            kind = ModelType.MULTIMODAL
        precision = rng.choices([p for p, _ in PRECISIONS], [w for _, w in PRECISIONS])[0]
        if request_id <= 2:
            precision = (Precision.BFLOAT16, Precision.FLOAT16)[request_id - 1]
        name = f"{family.name}-{size}{suffix}"
        if request_id > 2 and f"{org}/{name}" == MODEL_PAGE:  # the same page at any row count
            name += "-rerun"
        if org != family.owner and rng.random() < 0.7:
            name += rng.choice(("-v", "-e", "-r", "-step")) + str(rng.randint(1, 40))
        if precision is Precision.GPTQ:
            name += "-GPTQ"
        weight_type = (
            rng.choices(list(WeightType), [90, 2, 8])[0] if suffix else WeightType.ORIGINAL
        )
        base = f"{family.owner}/{family.name}-{size}" if org != family.owner else None
        submitted = EPOCH + timedelta(seconds=rng.uniform(0, 2 * 365 * 86400))
        started = submitted + timedelta(minutes=rng.expovariate(1 / 90))
        eval_seconds = 60 + params_b * rng.uniform(30, 90)
        finished = started + timedelta(seconds=eval_seconds)
        heartbeat = finished - timedelta(seconds=rng.uniform(0, 20))
        tasks = scores(rng, params_b, kind)
        row = {
            "id": request_id, "model": f"{org}/{name}", "base_model": base,
            "base_revision": sha(rng) if base and weight_type is not WeightType.ORIGINAL else None,
            "requested_revision": "main", "revision": sha(rng), "pin": PinKind.GIT_COMMIT.value,
            "precision": precision.value, "weight_type": weight_type.value,
            "model_type": kind.value, "use_chat_template": kind is ModelType.CHAT,
            "params": int(min(140.0, params_b * rng.uniform(0.995, 1.005)) * 1e9),
            "architectures": [family.architecture], "status": Status.FINISHED.value,
            "sender": org if rng.random() < 0.8 else rng.choice(orgs),
            "submitted_time": submitted, "job_id": None, "job_start_time": started,
            "finished_time": finished, "attempts": 1 if rng.random() < 0.97 else 2,
            "worker": f"gpu-node{rng.randint(1, 8)}-w{rng.randint(0, 7)}",
            "progress_done": sum(t.samples for t in tasks),
            "progress_total": sum(t.samples for t in tasks), "failure_reason": None,
            "suite": STARTER.name, "average": None, "failure_kind": None, "log_tail": None,
            "eval_seconds": eval_seconds, "co2_kg": co2_kg(eval_seconds, 5.6, 269.8),
            "namespace": org,
            "license": family.license if org == family.owner else rng.choice(LICENSES),
            "merged": kind is ModelType.MERGE or "merge" in suffix, "moe": family.moe,
            "lease_expires_at": heartbeat + timedelta(seconds=60), "heartbeat_at": heartbeat,
            "priority": 0,
        }  # fmt: skip
        yield row, tasks


def fresh_database(server: str | None, folder: Path, label: str) -> str:
    if server is None:
        return f"sqlite:///{folder / f'{label}.db'}"
    name = f"openboard_bench_web_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str | None, url: str) -> None:
    if server is None:
        return
    name = make_url(url).database
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


Chunk = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


def chunk_rows(first: int, count: int, seed: int) -> Chunk:
    """The `requests`, `benchmark_scores` and `task_results` rows of `count` evaluations from
    id `first` (in a worker process: making them is most of a fill's time)."""
    rows, benchmark_rows, task_rows = [], [], []
    for row, tasks in evaluations(count, seed, first):
        per_benchmark: list[BenchmarkScore] = [
            benchmark_score(spec, [t for t in tasks if t.benchmark == spec.name])
            for spec in STARTER.benchmarks
        ]
        rows.append({**row, "average": average(per_benchmark)})
        benchmark_rows += [
            {"request_id": row["id"], "benchmark": b.benchmark, "raw": b.raw,
             "normalized": b.normalized}
            for b in per_benchmark
        ]  # fmt: skip
        if row["id"] > TASK_ROWS_UP_TO:  # the board never reads them; the model page does
            continue
        task_rows += [
            {"request_id": row["id"], "benchmark": t.benchmark, "task": t.task,
             "metric": t.metric, "raw": t.raw, "stderr": t.stderr,
             "num_choices": t.num_choices, "normalized": t.normalized, "samples": t.samples}
            for t in tasks
        ]  # fmt: skip
    return rows, benchmark_rows, task_rows


def cached_fill(url: str, count: int, seed: int, workers: int, cache: Path) -> float:
    """`fill` through a folder of SQLite fills kept by rows, seed and schema head: a fill is
    deterministic, and one of 1,000,000 rows takes ~10 minutes. The board gets a copy, since a
    run adds results to it; the seconds are the fill's when it was made, 0 when copied."""
    cache.mkdir(parents=True, exist_ok=True)
    kept = cache / f"rows{count}-seed{seed}-schema{HEAD_REVISION}.db"
    seconds = 0.0
    if not kept.exists():
        making = kept.with_suffix(".partial")
        making.unlink(missing_ok=True)
        seconds = fill(f"sqlite:///{making}", count, seed, workers)
        making.replace(kept)
    target = make_url(url).database
    assert target is not None
    with (
        contextlib.closing(sqlite3.connect(kept)) as source,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    return seconds


def fill(url: str, count: int, seed: int, workers: int = FILL_WORKERS) -> float:
    """Migrate and bulk-insert `count` finished evaluations in one transaction (executemany per
    CHUNK, made by `workers` processes while the database takes the previous ones); the
    seconds it took."""
    began = time.perf_counter()
    # The workers start before the database is opened: no connection crosses a fork.
    pool = concurrent.futures.ProcessPoolExecutor(workers)
    pool.submit(int).result()
    store = Store.open(url)
    store.migrate()
    done = 0
    with pool, store.engine.begin() as conn:
        made: collections.deque[concurrent.futures.Future[Chunk]] = collections.deque()
        for first in [*range(1, count + 1, CHUNK), None]:
            if first is not None:
                made.append(pool.submit(chunk_rows, first, min(CHUNK, count + 1 - first), seed))
            while made and (first is None or len(made) > 2 * workers):
                rows, benchmark_rows, task_rows = made.popleft().result()
                conn.execute(insert(requests), rows)
                conn.execute(insert(benchmark_scores), benchmark_rows)
                if task_rows:
                    conn.execute(insert(task_results), task_rows)
                done += len(rows)
                if done % (CHUNK * 20) == 0 or done == count:
                    print(f"  filled {done:,} of {count:,} rows in "
                          f"{time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)  # fmt: skip
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # ids were given: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('requests', 'id'), :n)"),
                         {"n": count})  # fmt: skip
            conn.execute(text("ANALYZE"))  # as autovacuum soon would after such a load
    board = store.board(BoardQuery(suite=STARTER.name, benchmarks=BENCHMARKS))
    assert board.total == count, f"the board shows {board.total} rows, not {count}"
    store.engine.dispose()
    return time.perf_counter() - began


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> int:
    """Sockets listening on the loopback port (each server process listens once its board is
    read into memory)."""
    fields = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for f in fields if f[1].endswith(f":{port:04X}") and f[3] == "0A")


def children_rss_mib(pid: int) -> list[float]:
    """Resident memory of each server process (the children of `openboard serve`)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    sizes: list[float] = []
    for child in children or [str(pid)]:
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{child}/status").read_text()
            kib = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
            )
            sizes.append(kib / 1024)
    return sizes


def server_cpu_seconds(pid: int) -> float:
    """User and system CPU time of the server processes so far (the children of `openboard
    serve`, or the process itself when it has none)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    ticks = 0
    for child in children or [str(pid)]:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Served:
    base: str
    pid: int


@contextlib.contextmanager
def serve(url: str, home: Path, workers: int, read_model: bool) -> Iterator[Served]:
    """`openboard serve` on a free loopback port, its own process, once every worker listens."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBOARD_")}
    # A load test comes from one address: lift the per-address API rate limit.
    env |= {"OPENBOARD_HOME": str(home), "OPENBOARD_DATABASE_URL": url,
            "OPENBOARD_API_REQUESTS_PER_MINUTE": "100000000",
            "OPENBOARD_BOARD_READ_MODEL": "true" if read_model else "false"}  # fmt: skip
    home.mkdir(parents=True, exist_ok=True)
    log = home / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "openboard", "serve", "--port", str(port),
             "--workers", str(workers)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 900
        while listening(port) < workers:
            if server.poll() is not None:
                raise RuntimeError(f"openboard serve exited:\n{log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"openboard serve did not listen:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield Served(f"http://127.0.0.1:{port}", server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


class Connection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole responses.

    A few lines over asyncio's streams rather than an HTTP client library: the load generator
    shares the machine's two cores with the server, and httpx spends about a millisecond of CPU
    per request that would otherwise be charged to the server's latency.
    """

    def __init__(self, base: str) -> None:
        url = httpx.URL(base)
        self._host, self._port = url.host, url.port or 80
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> tuple[int, int]:
        """The status and body size of `GET path`."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {self._host}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        if "content-length" not in headers:
            raise ValueError(f"{path}: a response without content-length: {lines[0]}")
        body = await reader.readexactly(int(headers["content-length"]))
        if headers.get("connection") == "close":
            self.close()
        return int(lines[0].split(" ")[1]), len(body)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def _load(
    base: str, paths: tuple[str, ...], clients: int, count: int, serial: int
) -> Measurement:
    if len(paths) > 1 and len(paths) < WARMUP_CONNECTIONS + serial + count:
        raise ValueError(f"{len(paths)} paths repeat within {serial + count} requests")
    turns = itertools.cycle(paths)
    outcomes: Counter[str] = Counter()
    sizes: set[int] = set()
    latencies: list[float] = []

    async def get(connection: Connection) -> float:
        began = time.perf_counter()
        try:
            status, size = await connection.get(next(turns))
        except (OSError, asyncio.IncompleteReadError) as exc:  # the server dropped the request
            outcomes[type(exc).__name__] += 1
            connection.close()
        else:
            outcomes[str(status)] += 1
            if status == 200:
                sizes.add(size)
        return time.perf_counter() - began

    # Warm-up, not measured: a connection each, so that every server process (the kernel spreads
    # connections over them) has rendered the page once, as it has in steady state.
    for _ in range(WARMUP_CONNECTIONS):
        warm = Connection(base)
        await get(warm)
        warm.close()
    first = Connection(base)
    one_client = sorted([await get(first) for _ in range(serial)])
    first.close()
    left = count

    async def worker() -> None:
        nonlocal left
        connection = Connection(base)
        while left > 0:
            left -= 1
            latencies.append(await get(connection))
        connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - began
    latencies.sort()
    return Measurement(
        p50_ms=percentile(latencies, 50) * 1e3,
        p95_ms=percentile(latencies, 95) * 1e3,
        p99_ms=percentile(latencies, 99) * 1e3,
        per_second=count / wall,
        size_bytes=max(sizes, default=0),
        one_client_ms=percentile(one_client, 50) * 1e3,
        failures=sum(n for outcome, n in outcomes.items() if outcome != "200"),
        failed_as=", ".join(f"{o} x {n}" for o, n in sorted(outcomes.items()) if o != "200"),
    )


def short(rows: int) -> str:
    return f"{rows // 1000}k" if rows >= 1000 and rows % 1000 == 0 else str(rows)


async def _first_requests(base: str, paths: list[str]) -> list[float]:
    """Each path on a fresh connection, one after another: the first requests of the processes."""
    times: list[float] = []
    for path in paths:
        connection = Connection(base)
        began = time.perf_counter()
        status, _ = await connection.get(path)
        times.append((time.perf_counter() - began) * 1e3 if status == 200 else math.inf)
        connection.close()
    return times


def new_result(url: str, request_id: int, seed: int) -> None:
    """A finished evaluation lands: its row, scores and the event that moves the data version."""
    row, tasks = next(evaluations(1, seed))
    per_benchmark = [
        benchmark_score(spec, [t for t in tasks if t.benchmark == spec.name])
        for spec in STARTER.benchmarks
    ]
    row |= {"id": request_id, "model": f"landed/model-{request_id}", "namespace": "landed",
            "average": average(per_benchmark)}  # fmt: skip
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(insert(requests), [row])
        conn.execute(insert(benchmark_scores), [
            {"request_id": request_id, "benchmark": b.benchmark, "raw": b.raw,
             "normalized": b.normalized} for b in per_benchmark
        ])  # fmt: skip
        conn.execute(insert(events).values(
            request_id=request_id, at=datetime.now(UTC), actor="bench", kind="finished",
            from_status=Status.RUNNING.value, to_status=Status.FINISHED.value, message="",
        ))  # fmt: skip
    engine.dispose()


async def _after_results(
    base: str, url: str, rows: int, paths: list[str], seed: int
) -> list[float]:
    """After each of a few new results, four readers at once on fresh connections."""
    times: list[float] = []
    for n in range(5):
        await asyncio.to_thread(new_result, url, rows + 1 + n, seed + n)
        batch = paths[4 * n : 4 * n + 4]
        answered = await asyncio.gather(*(_first_requests(base, [p]) for p in batch))
        times += [t for one in answered for t in one]
        await asyncio.sleep(1.5)
    return times


@dataclass(frozen=True, slots=True)
class ReadModelFacts:
    build_seconds: float
    mib: float  # arrays and name strings of the snapshot


def read_model_facts(url: str) -> ReadModelFacts:
    """The read model built in this process, as each server process builds it at start."""
    store = Store.open(url)
    try:
        model = store.start_board_model()
        facts = ReadModelFacts(
            model.build_seconds, (model.current.nbytes() + model.names.nbytes()) / 2**20
        )
        store.stop_board_model()
    finally:
        store.engine.dispose()
    return facts


@dataclass(frozen=True, slots=True)
class Board:
    fill_seconds: float
    memory: dict[str, Measurement]  # scenario -> under load, the read model on
    sql: dict[str, Measurement]  # the same, every view from SQL
    first_ms: list[float]  # first requests of the processes
    after_result_ms: list[float]  # first requests after a new result
    model: ReadModelFacts
    rss_mib: list[float]  # each server process after the load, the read model on


def _run(served: Served, chosen: tuple[Scenario, ...], args: argparse.Namespace,
         requests_each: int) -> dict[str, Measurement]:  # fmt: skip
    measured: dict[str, Measurement] = {}
    for s in chosen:
        began = server_cpu_seconds(served.pid)
        m = asyncio.run(_load(served.base, s.paths, args.clients, requests_each, args.serial))
        served_count = WARMUP_CONNECTIONS + args.serial + requests_each
        cpu_ms = (server_cpu_seconds(served.pid) - began) * 1000 / served_count
        measured[s.name] = dataclasses.replace(m, server_cpu_ms=cpu_ms)
    return measured


def measure_board(
    server: str | None, folder: Path, rows: int, args: argparse.Namespace, with_sql: bool
) -> Board:
    url = fresh_database(server, folder, f"rows{rows}")
    chosen = scenarios(
        args.seed, max(DISTINCT_URLS, WARMUP_CONNECTIONS + args.serial + args.requests)
    )
    fresh = list(distinct_views(args.seed + 1, 28))  # views no scenario asks
    try:
        if args.fill_cache is not None and server is None:
            fill_seconds = cached_fill(url, rows, args.seed, args.fill_workers, args.fill_cache)
        else:
            fill_seconds = fill(url, rows, args.seed, args.fill_workers)
        model = read_model_facts(url)
        sql: dict[str, Measurement] = {}
        if with_sql:
            with serve(url, folder / f"home-{rows}-sql", args.server_workers, False) as served:
                sql = _run(served, chosen, args, args.sql_requests)
        with serve(url, folder / f"home-{rows}", args.server_workers, True) as served:
            first = asyncio.run(_first_requests(served.base, fresh[:8]))
            memory = _run(served, chosen, args, args.requests)
            rss = children_rss_mib(served.pid)
            after = asyncio.run(_after_results(served.base, url, rows, fresh[8:], args.seed))
    finally:
        drop_database(server, url)
    return Board(fill_seconds, memory, sql, first, after, model, rss)


def _target(name: str, rows: int) -> float:
    return TARGET_P99_MS_1M if name == "distinct_views" and rows > 100_000 else TARGET_P99_MS


def report(args: argparse.Namespace, backend: str, full: Board, baseline: Board) -> int:
    """The table and the headline lines; the number of responses other than 200."""
    rows_k, base_k = short(args.rows), short(args.baseline_rows)
    print(f"web leaderboard on {backend}: {args.rows} rows against a {args.baseline_rows}-row "
          f"baseline and the SQL path; {args.clients} clients x {args.requests} requests per "
          f"scenario ({args.sql_requests} on SQL), --server-workers {args.server_workers}")  # fmt: skip

    def made(seconds: float) -> str:
        return f"{seconds:.1f} s" if seconds else "copied from --fill-cache"

    print(f"filled in {made(full.fill_seconds)} ({args.rows} rows), "
          f"{made(baseline.fill_seconds)} ({args.baseline_rows})")  # fmt: skip
    views = scenarios(args.seed)[-1].paths
    print(f"distinct_views: seed {args.seed}, {len(set(views))} distinct URLs, e.g.")
    for path in views[:4]:
        print(f"  {path}")
    print(f"read model at {rows_k}: built in {full.model.build_seconds:.1f} s, "
          f"{full.model.mib:.0f} MiB; server processes {', '.join(f'{r:.0f}' for r in full.rss_mib)} "
          f"MiB resident")  # fmt: skip
    print(f"\n{'scenario':<16}{'p50 ms':>8}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>7}{'bytes':>7}"
          f"{'1-client':>9}{'cpu ms':>7}{'fail':>5}{'sql p99':>9}{'sql r/s':>8}{'p99/sql':>8}"
          f"{f'{base_k} p99':>9}{f'x{base_k}':>7}  target")  # fmt: skip
    misses: list[str] = []
    for scenario in scenarios(args.seed):
        m, b, q = (
            full.memory[scenario.name],
            baseline.memory[scenario.name],
            full.sql[scenario.name],
        )
        verdict = "-"
        if scenario.table_view:
            target = _target(scenario.name, args.rows)
            verdict = "ok" if m.p99_ms < target else f"MISS p99 >= {target:.0f} ms"
            if verdict != "ok":
                misses.append(f"{scenario.name} p99 {m.p99_ms:.0f} ms")
        if scenario.name == "default_view" and m.size_bytes >= TARGET_HTML_BYTES:
            verdict += f", MISS html >= {TARGET_HTML_BYTES // 1000} KB"
            misses.append(f"first page HTML {m.size_bytes} bytes")
        print(f"{scenario.name:<16}{m.p50_ms:>8.1f}{m.p95_ms:>9.1f}{m.p99_ms:>9.1f}"
              f"{m.per_second:>7.1f}{m.size_bytes:>7}{m.one_client_ms:>9.1f}"
              f"{m.server_cpu_ms:>7.1f}{m.failures:>5}"
              f"{q.p99_ms:>9.1f}{q.per_second:>8.1f}{m.p99_ms / q.p99_ms:>8.2f}"
              f"{b.p99_ms:>9.1f}{m.p99_ms / b.p99_ms:>7.2f}  {verdict}")  # fmt: skip
    for board_label, board in ((rows_k, full), (base_k, baseline)):
        for path, part in (("read model", board.memory), ("sql", board.sql)):
            for name, m in part.items():
                if m.failures:
                    print(f"not 200 at {board_label}, {path}, {name}: {m.failed_as}")
    first, after = max(full.first_ms), max(full.after_result_ms)
    for label, value in (
        ("first request of a process", first),
        ("first after a new result", after),
    ):
        ok = "ok" if value < TARGET_FIRST_MS else f"MISS >= {TARGET_FIRST_MS:.0f} ms"
        print(f"{label}: max {value:.1f} ms  {ok}")
        if ok != "ok":
            misses.append(f"{label} {value:.0f} ms")
    print("\np99/sql: p99 with the read model / p99 of the same scenario with every view from SQL; "
          f"x{base_k}: p99 at {rows_k} / p99 at {base_k}; 1-client: median with one client; "
          "cpu ms: the server processes' CPU per request (load-independent); "
          "fail: responses other than 200 (dropped requests included)")  # fmt: skip
    print("misses: " + ("; ".join(misses) if misses else "none"))
    print()
    # The read model's answers must all be 200. The SQL path is the baseline: at 1,000,000 rows
    # its searches meet the search deadline (503 and Retry-After, as designed), so they are
    # counted apart and do not fail the run.
    failures = sum(m.failures for board in (full, baseline) for m in board.memory.values())
    sql_failures = sum(m.failures for board in (full, baseline) for m in board.sql.values())
    d, dq = full.memory["distinct_views"], full.sql["distinct_views"]
    headline = {
        f"{s.name}_p99_ms": f"{full.memory[s.name].p99_ms:.1f}" for s in scenarios(args.seed)
    }
    headline |= {
        "distinct_views_p50_ms": f"{d.p50_ms:.1f}",
        "distinct_views_req_per_s": f"{d.per_second:.1f}",
        "distinct_views_sql_p99_ms": f"{dq.p99_ms:.1f}",
        "distinct_views_server_cpu_ms": f"{d.server_cpu_ms:.2f}",
        "distinct_views_sql_server_cpu_ms": f"{dq.server_cpu_ms:.2f}",
        "distinct_views_p99_ratio_to_sql": f"{d.p99_ms / dq.p99_ms:.3f}",
        "first_request_max_ms": f"{first:.1f}",
        "first_after_new_result_max_ms": f"{after:.1f}",
        "read_model_mib": f"{full.model.mib:.0f}",
        "read_model_build_seconds": f"{full.model.build_seconds:.1f}",
        "server_process_rss_mib_max": f"{max(full.rss_mib, default=0):.0f}",
        "default_view_1client_ms": f"{full.memory['default_view'].one_client_ms:.1f}",
        "default_view_req_per_s": f"{full.memory['default_view'].per_second:.1f}",
        "first_page_html_bytes": str(full.memory["default_view"].size_bytes),
        "non_200_responses": str(failures),
        "sql_path_non_200_responses": str(sql_failures),
        "misses": str(len(misses)),
        "rows": str(args.rows),
        "fill_seconds": f"{full.fill_seconds:.1f}",
    }
    for name, value in headline.items():
        print(f"{name}: {value}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=400, help="per scenario, under load")
    parser.add_argument("--sql-requests", type=int, default=200,
                        help="per scenario with every view from SQL (slow at 1,000,000 rows)")  # fmt: skip
    parser.add_argument("--serial", type=int, default=20, help="one-client requests (warm-up)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server; default SQLite")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--server-workers", type=int, default=2, help="openboard serve --workers")
    parser.add_argument("--fill-workers", type=int, default=FILL_WORKERS,
                        help="processes making the rows of a fill")  # fmt: skip
    parser.add_argument("--fill-cache", type=Path, default=None,
                        help="SQLite: keep each fill in this folder and copy it for later runs")  # fmt: skip
    args = parser.parse_args()
    backend = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="openboard-bench-web-") as tmp:
        folder = Path(tmp)
        baseline = measure_board(args.database_url, folder, args.baseline_rows, args, True)
        full = measure_board(args.database_url, folder, args.rows, args, True)
    failures = report(args, backend, full, baseline)
    if failures:
        sys.exit(
            f"FAILED: the read model answered {failures} requests with other than 200 (see the fail column)"
        )


if __name__ == "__main__":
    main()
