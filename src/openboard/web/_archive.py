"""What the model page says about a result from the public leaderboard's archive: where it came
from (dataset, file, run, commit, with a link), the model's other runs, and the site's own row;
and, for a commit evaluated here and in the archive, the other evaluation with the difference and
which of the two the board shows (BoardQuery.prefer)."""

from typing import Any
from urllib.parse import quote

from openboard.domain import Origin, Status
from openboard.store import ArchiveProvenance, EvalRequest, Store

__all__ = ["archive_record", "twin_record"]

_HUB = "https://huggingface.co/datasets"
# The published row's fields shown beside openboard's own (those the board has no column for).
_PUBLISHED = ("Hub ❤️", "Flagged", "Official Providers", "Maintainers Choice",
              "Upload To Hub Date", "Generation", "Average ⬆️")  # fmt: skip


# v2's normalized columns, then v1's (its contents table, open-llm-leaderboard-old/contents).
_PUBLIC_SCORES = ("IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO",
                  "ARC", "HellaSwag", "MMLU", "TruthfulQA", "Winogrande", "GSM8K")  # fmt: skip


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


def _on_board(request: EvalRequest) -> bool:
    return request.status is Status.FINISHED and not request.hidden


def _twin_of(store: Store, request: EvalRequest) -> EvalRequest | None:
    """The board row of the other origin evaluating the same model, commit, precision and suite."""
    if not _on_board(request):
        return None
    return next(
        (
            other
            for other in store.list_requests(model=request.model)
            if other.origin is not request.origin and _on_board(other)
            and (other.revision, other.precision, other.suite)
            == (request.revision, request.precision, request.suite)
        ),
        None,
    )  # fmt: skip


def _difference(mine: float | None, theirs: float | None) -> float | None:
    return None if mine is None or theirs is None else round(mine - theirs, 4)


def twin_record(store: Store, request: EvalRequest, prefer: str) -> dict[str, Any] | None:
    """The same commit's evaluation of the other origin, its scores beside this one's (this minus
    it), and which row the board shows with every origin (`prefer`: local, archive or both);
    None when there is no such evaluation."""
    twin = _twin_of(store, request)
    if twin is None:
        return None
    mine = {b.benchmark: b.normalized for b in store.scores_by_benchmark(request.id)}
    theirs = {b.benchmark: b.normalized for b in store.scores_by_benchmark(twin.id)}
    benchmarks = {
        name: {"this": mine.get(name), "other": theirs.get(name),
               "difference": _difference(mine.get(name), theirs.get(name))}
        for name in sorted(mine.keys() | theirs.keys())
    }  # fmt: skip
    shows = "both" if prefer == "both" else "this" if prefer == request.origin.value else "other"
    return {
        "request_id": twin.id,
        "origin": twin.origin.value,
        "average": twin.average,
        "difference": _difference(request.average, twin.average),
        "benchmarks": benchmarks,
        "board_shows": shows,
    }
