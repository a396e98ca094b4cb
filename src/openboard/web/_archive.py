"""What the model page says about a result from the public leaderboard's archive: where it came
from (dataset, file, run, commit, with a link), the model's other runs, and the site's own row."""

from typing import Any
from urllib.parse import quote

from openboard.domain import Origin
from openboard.store import ArchiveProvenance, EvalRequest, Store

__all__ = ["archive_record"]

_HUB = "https://huggingface.co/datasets"
# The published row's fields shown beside openboard's own (those the board has no column for).
_PUBLISHED = ("Hub ❤️", "Flagged", "Official Providers", "Upload To Hub Date", "Generation",
              "Average ⬆️")  # fmt: skip


_PUBLIC_SCORES = ("IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO")


def _source_url(run: ArchiveProvenance) -> str:
    revision = run.dataset_commit or "main"
    return (
        f"{_HUB}/{quote(run.source, safe='/')}/blob/{quote(revision)}/{quote(run.path, safe='/')}"
    )


def _run(run: ArchiveProvenance) -> dict[str, Any]:
    return {
        "dataset": run.source, "path": run.path, "sha256": run.sha256,
        "run_at": run.run_at.isoformat(), "dataset_commit": run.dataset_commit,
        "imported_at": run.imported_at.isoformat(), "shown": run.current,
        "average": run.average, "url": _source_url(run),
    }  # fmt: skip


def archive_record(store: Store, request: EvalRequest) -> dict[str, Any] | None:
    """None for a local evaluation."""
    if request.origin is not Origin.ARCHIVE:
        return None
    runs = store.archive.provenance(request.id)
    shown = next((r for r in runs if r.current), None)
    published = (shown.contents or {}) if shown is not None else {}
    return {
        "shown": _run(shown) if shown is not None else None,
        "runs": [_run(r) for r in runs],
        "published": {k: published[k] for k in _PUBLISHED if k in published},
        "public_scores": {k: published[k] for k in _PUBLIC_SCORES if k in published},
    }
