"""Where a suite's lm-eval task YAMLs live on disk."""

from pathlib import Path

from openboard.evaluation._datasets import overrides_dir
from openboard.evaluation._errors import DatasetMissingError
from openboard.evaluation._starter import write_starter_tasks
from openboard.evaluation._suites import Suite
from openboard.evaluation._v1 import v1_overrides


def prepare_tasks(suite: Suite, tasks_dir: Path) -> Path:
    """The include folder for `suite` under `tasks_dir`: starter tasks are generated on first use,
    v2 overrides must have been written by `openboard datasets import`."""
    if suite.task_source == "include":
        if suite.include_path is None or not suite.include_path.is_dir():
            raise DatasetMissingError(
                f"the {suite.name} suite's include_path {suite.include_path} is not a folder",
                "point include_path in the suite file at a folder of lm-eval task YAMLs",
            )
        return suite.include_path
    if suite.task_source == "v1":
        return write_v1_overrides(tasks_dir / f"{suite.name}-v{suite.version}")
    if suite.task_source == "v2":
        folder = overrides_dir(tasks_dir)
        absent = [t for t in suite.task_names if not (folder / f"{t}.yaml").is_file()]
        if absent:
            raise DatasetMissingError(
                f"dataset missing: the {suite.name} suite has no local data for {len(absent)} tasks, e.g. {absent[0]}",
                "run `openboard datasets download` (or `--from DIR` offline; see docs/datasets.md)",
            )
        return folder
    folder = tasks_dir / f"{suite.name}-v{suite.version}"
    if not all((folder / f"{task}.yaml").is_file() for task in suite.task_names):
        write_starter_tasks(folder)
    return folder


def write_v1_overrides(folder: Path) -> Path:
    """One YAML per v1 task: include lm-eval's default task, set the v1 shot count."""
    import lm_eval
    import yaml

    official = Path(lm_eval.__file__).parent / "tasks"
    folder.mkdir(parents=True, exist_ok=True)
    for override in v1_overrides():
        config = {"include": str(official / override.official_yaml), "num_fewshot": override.shots}
        (folder / f"{override.task}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder
