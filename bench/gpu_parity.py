"""openboard's worker on a GPU (device cuda, batch size auto) vs. lm-eval called directly, same process.

Run on a machine with a CUDA GPU:  python bench/gpu_parity.py [--suite v2] [--limit 20] [--data ../shared/data]
The lm-eval run goes first when --warm-first is given, so that the worker meets warm caches (the
first evaluation in a process pays CUDA and datasets warm-up, about 160 s on an H200 for v2).
Prints both wall times and whether every task's raw score is identical.
"""

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from openboard.config import Settings
from openboard.demo import TinyModelSpec, write_tiny_model_files
from openboard.domain import ModelType, SubmissionRequest
from openboard.evaluation import (
    ensure_punkt_tab,
    get_suite,
    import_datasets,
    parse_task_scores,
    prepare_tasks,
)
from openboard.sources import LocalModelSource
from openboard.store import Store
from openboard.submission import SubmissionService
from openboard.validation import ValidationPolicy
from openboard.worker import SubprocessEvaluation, Worker

SEED = 1234


def now() -> datetime:
    return datetime.now(UTC)


def lm_eval_direct(
    settings: Settings, model: Path, limit: int | None
) -> tuple[float, dict[str, float]]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    suite = get_suite(settings.suite)
    ensure_punkt_tab(settings.nltk_data)
    include = prepare_tasks(suite, settings.tasks_dir)
    started = time.perf_counter()
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args={"pretrained": str(model), "dtype": "bfloat16"},
        tasks=suite.task_names,
        task_manager=TaskManager(include_path=str(include), include_defaults=False),
        batch_size=settings.batch_size,
        device=settings.eval_device,
        limit=limit,
        random_seed=SEED,
        numpy_random_seed=SEED,
        torch_random_seed=SEED,
        fewshot_random_seed=SEED,
    )
    assert results is not None
    return time.perf_counter() - started, {s.task: s.raw for s in parse_task_scores(results, suite)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", default="starter")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="v2 data folder")
    parser.add_argument("--warm-first", action="store_true")
    parser.add_argument("--device", default="cuda", help="cpu to try the script without a GPU")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            home=Path(tmp),
            eval_device=args.device,
            suite=args.suite,
            eval_limit=args.limit,
            seed=SEED,
        )
        model = settings.model_root / "bench" / "tiny"
        write_tiny_model_files(model, TinyModelSpec(seed=1))
        if args.suite == "v2":
            import_datasets(
                args.data,
                settings.datasets_dir,
                settings.tasks_dir,
                settings.cache_dir / "datasets",
            )
        if args.warm_first:
            lm_wall, reference = lm_eval_direct(settings, model, args.limit)
        store = Store.open(settings.database_url)
        store.migrate()
        source = LocalModelSource(settings.model_root, settings.checkouts_dir)
        service = SubmissionService(source, store, ValidationPolicy(), now, args.suite)
        service.submit(
            SubmissionRequest(model="bench/tiny", model_type=ModelType.PRETRAINED, sender="bench")
        )
        started = time.perf_counter()
        done = Worker(settings, store, SubprocessEvaluation(settings), now).run_once()
        worker_wall = time.perf_counter() - started
        assert done is not None and done.failure_reason is None, done
        if not args.warm_first:
            lm_wall, reference = lm_eval_direct(settings, model, args.limit)
        ours = {t.task: t.raw for t in store.task_scores(done.id)}
    print(f"worker_seconds: {worker_wall:.1f}")
    print(f"lm_eval_seconds: {lm_wall:.1f}")
    print(f"scores_identical: {ours == reference}")


if __name__ == "__main__":
    main()
