"""`openboard rescore --all` over 1,000 stored v2 evaluations, cold against warm side by side.

Run: .venv/bin/python bench/rescore.py [--count 1000] [--math-samples 2] [--cold 20]

Each evaluation is a FINISHED v2 result, stored as a worker stores it: its task and benchmark rows,
lm-eval's results file (every subtask, group values, n-samples) and a gzipped samples file whose
MATH records have the real size of lm-eval's (a 4-shot Minerva prompt of ~3 KB, the document with
its reference solution, a ~1 KB generation), `--math-samples` per MATH subset. Its scorer is
recorded as `v2/2`, so the current one (`v2/3`, MATH by Math-Verify) has work to do.

The cold pass rescores the first `--cold` evaluations, which judges every generation with
Math-Verify (in child processes) and leaves a verdict cache beside the samples. The warm pass then
rescores all of them again with `--force`, the cold ones from their cache: what a rescore costs
when a scorer's aggregation changes but its verdicts do not. The other evaluations are warmed by
copying a cold one's verdict cache (all hold the same generations), so no judging is left out of
the cold figures. Headline figures come last as `name: value` lines.
"""

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import update
from tests.test_conformance import published_results
from tests.test_score_migration import T0

from openboard.config import Settings
from openboard.domain import ModelType, PinKind, Precision, WeightType
from openboard.evaluation import SAMPLES_FILE, SUITES, V2
from openboard.store import NewRequest, Store
from openboard.store._tables import requests
from openboard.worker import import_results, rescore_all
from openboard.worker._rescore import VERDICTS_FILE

MATH_TASKS = [t for b in V2.benchmarks if b.name == "math" for t in b.tasks]
PROMPT = ("Problem:\nFind the domain of the expression $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.\n\n"
          "Solution: The expressions inside each square root must be non-negative. " * 12)  # fmt: skip
SOLUTION = "We add the two equations and divide by two, " * 8 + "so $x = \\boxed{\\frac{7}{2}}$."
ANSWERS = ["so $x = \\frac{7}{2}$.", "Final Answer: The final answer is $3.5$.", "so $x = 4$."]


def _new(index: int) -> NewRequest:
    return NewRequest(
        model=f"org{index % 50}/model-{index}", base_model=None, requested_revision="main",
        revision=f"{index:040x}", pin=PinKind.GIT_COMMIT, precision=Precision.BFLOAT16,
        weight_type=WeightType.ORIGINAL, model_type=ModelType.PRETRAINED,
        use_chat_template=False, params=None, architectures=[], sender="bench",
        submitted_time=T0, suite="",
    )  # fmt: skip


def fill(store: Store, settings: Settings, count: int, per_subset: int) -> None:
    results_file = settings.home / "results.json"
    results_file.write_text(json.dumps(published_results(7)))
    for index in range(count):
        request = import_results(store, settings.artifacts_dir, SUITES, results_file,
                                 _new(index), "bench", T0)  # fmt: skip
        with gzip.open(settings.artifacts_dir / str(request.id) / SAMPLES_FILE, "wt") as stream:
            for task in MATH_TASKS:
                for doc_id in range(per_subset):
                    generation = ANSWERS[doc_id % len(ANSWERS)] + " Let me check. " * 60
                    record = {"task": task, "doc_id": doc_id, "arguments": [[PROMPT, {}]],
                              "doc": {"problem": PROMPT[:300], "solution": SOLUTION, "answer": "7/2"},
                              "resps": [[generation]], "filtered_resps": [generation],
                              "exact_match": 0, "exact_match_original": 0}  # fmt: skip
                    stream.write(json.dumps(record) + "\n")
    with store.engine.begin() as conn:
        conn.execute(update(requests).values(scorer="v2/2"))


def timed(store: Store, settings: Settings, force: bool, limit: int | None) -> tuple[int, float]:
    began = time.perf_counter()
    done = 0
    for outcome in rescore_all(store, settings.artifacts_dir, SUITES, actor="bench",
                               now=datetime.now(UTC), reason="bench", force=force):  # fmt: skip
        assert outcome.status != "failed", outcome.message
        done += outcome.status != "skipped"
        if limit is not None and done >= limit:
            break
    return done, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--math-samples", type=int, default=2, help="per MATH subset")
    parser.add_argument("--cold", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")
        settings.home.mkdir(parents=True)
        store = Store.open(settings.database_url)
        store.migrate()
        began = time.perf_counter()
        fill(store, settings, args.count, args.math_samples)
        print(f"stored {args.count} evaluations in {time.perf_counter() - began:.1f} s")
        cold, cold_s = timed(store, settings, force=False, limit=args.cold)
        cache = settings.artifacts_dir / "1" / VERDICTS_FILE
        for folder in settings.artifacts_dir.iterdir():
            if folder.is_dir() and not (folder / VERDICTS_FILE).exists():
                shutil.copyfile(cache, folder / VERDICTS_FILE)
        warm, warm_s = timed(store, settings, force=True, limit=None)
        answers = cold * len(MATH_TASKS) * args.math_samples
        print(f"{'pass':<6}{'requests':>10}{'seconds':>10}{'requests/s':>12}")
        print(f"{'cold':<6}{cold:>10}{cold_s:>10.1f}{cold / cold_s:>12.1f}")
        print(f"{'warm':<6}{warm:>10}{warm_s:>10.1f}{warm / warm_s:>12.1f}")
        print(f"warm_requests_per_s: {warm / warm_s:.1f}")
        print(f"cold_requests_per_s: {cold / cold_s:.2f}")
        print(f"math_verify_answers_per_s: {answers / cold_s:.1f}")
        print(f"warm_vs_cold: {(warm / warm_s) / (cold / cold_s):.1f}x")


if __name__ == "__main__":
    main()
