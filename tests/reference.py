"""What lm-eval's own `simple_evaluate` gives, called directly: the yardstick for openboard's scores."""

from pathlib import Path

from openboard.evaluation import Suite, ensure_punkt_tab


def lm_eval_raw_scores(
    model: Path | dict[str, str],
    suite: Suite,
    include: Path,
    limit: int,
    seed: int,
    nltk_data: Path,
) -> dict[str, float]:
    """Each task's raw score (the mean of its benchmark's metrics), straight from lm-eval."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    ensure_punkt_tab(nltk_data)  # IFEval's checkers split sentences
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args={"pretrained": str(model), "dtype": "bfloat16"}
        if isinstance(model, Path)
        else {**model, "dtype": "bfloat16"},
        tasks=suite.task_names,
        task_manager=TaskManager(include_path=str(include), include_defaults=False),
        batch_size="8",
        device="cpu",
        limit=limit,
        random_seed=seed,
        numpy_random_seed=seed,
        torch_random_seed=seed,
        fewshot_random_seed=seed,
    )
    assert results is not None
    return {
        task: sum(results["results"][task][m if "," in m else f"{m},none"] for m in b.metrics)
        / len(b.metrics)
        for b in suite.benchmarks
        for task in b.tasks
    }
