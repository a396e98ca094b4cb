"""A request's runs on disk: the published run in `artifacts/<id>/`, and the runs before it (an
admin's re-runs) kept inside it under `history/attempt-N/`, where the score history points."""

import json
import logging
from pathlib import Path

from openboard.evaluation import COMPARISON_FILE, compare_runs
from openboard.queue import PREVIOUS_RUNS
from openboard.store import Store

log = logging.getLogger(__name__)

__all__ = ["publish_run"]


def publish_run(store: Store, request_id: int, attempt: int, workdir: Path, final: Path) -> None:
    """The recorded attempt's files (`workdir`) become the request's artifacts (`final`). Files
    already there are a re-run's previous run: they move, with the runs before them, to the
    folder its score history entry names, so nothing of an earlier run is lost."""
    if not final.exists():
        if workdir.exists():
            workdir.rename(final)
        return
    previous = _previous_folder(store, request_id, attempt)
    parked = final.with_name(f".{final.name}.previous-{attempt}")
    final.rename(parked)
    if workdir.exists():
        workdir.rename(final)
    else:
        final.mkdir()
    runs = final / PREVIOUS_RUNS
    runs.mkdir(exist_ok=True)
    older = parked / PREVIOUS_RUNS
    if older.is_dir():
        for run in sorted(older.iterdir()):
            run.rename(runs / run.name)
        older.rmdir()
    parked.rename(final / previous)
    _compare(request_id, final, previous)


def _compare(request_id: int, final: Path, previous: str) -> None:
    """Written once beside the new run, for the model page; outputs that differ on the same
    setup (commit, hardware, versions, seed) are a reproducibility problem, said in the log too."""
    comparison = compare_runs(final, final / previous)
    record = comparison.as_json(previous)
    (final / COMPARISON_FILE).write_text(json.dumps(record, indent=2))
    if not comparison.identical_outputs:
        log.warning(
            "request #%d: the re-run's outputs differ from %s in %d samples%s", request_id,
            previous, record["output_changed"],
            "" if comparison.setup_differences else " on the same setup: not reproducible",
        )  # fmt: skip


def _previous_folder(store: Store, request_id: int, attempt: int) -> str:
    reruns = [c for c in store.scores.history(request_id) if c.kind == "rerun"]
    folder = reruns[-1].details.get("artifacts") if reruns else None
    if isinstance(folder, str) and folder.startswith(f"{PREVIOUS_RUNS}/"):
        return folder
    # Files with no re-run on record (a database restored from before it): kept, named by this run.
    name = f"{PREVIOUS_RUNS}/before-attempt-{attempt}"
    log.warning("request #%d: earlier files without a re-run record kept in %s", request_id, name)
    return name
