"""Where a suite's lm-eval task YAMLs live on disk, written on first use."""

from pathlib import Path

from openboard.evaluation._starter import write_starter_tasks
from openboard.evaluation._suites import Suite


def prepare_tasks(suite: Suite, tasks_dir: Path) -> Path:
    """The include folder for `suite` under `tasks_dir`, generated if missing; returns its path."""
    folder = tasks_dir / f"{suite.name}-v{suite.version}"
    if suite.task_source == "starter" and not all(
        (folder / f"{task}.yaml").is_file() for task in suite.task_names
    ):
        write_starter_tasks(folder)
    return folder
