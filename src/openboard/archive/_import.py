"""`openboard archive import`: the public leaderboard's results files beside local models.

Each file is read, checked against what an earlier import recorded (same sha256: not parsed
again), translated from its layout, merged with its model's row of the contents table, scored by
`score_suite` (the code that scores local evaluations), given its 95% intervals from lm-eval's
standard errors (no per-sample outputs come with the archive: the normal approximation, as for
`openboard results import`) and written in batches of one transaction each. A bad file is
skipped with its reason; the others go on."""

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from openboard.archive._contents import ContentsRow, ContentsTable, type_error
from openboard.archive._errors import ArchiveFileError
from openboard.archive._layouts import ArchiveRun, read_run
from openboard.archive._sources import ArchiveFolder, results_files
from openboard.domain import AVERAGE, BenchmarkScore, ModelType, WeightType
from openboard.evaluation import (
    ResultsFormatError,
    Suite,
    judge_answers,
    result_intervals,
    score_suite,
)
from openboard.store import ArchiveEntry, ArchiveOutcome, Store

__all__ = ["CHECK_TOLERANCE", "Disagreement", "ImportReport", "Skipped", "import_archive"]

CHECK_TOLERANCE = 0.01  # points: openboard's score and the site's may differ by rounding only
Progress = Callable[[int, int], None]  # files done, files in all


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Where the results file and the contents table (or the site's score and ours) differ."""

    path: str
    field: str
    ours: str
    public: str


@dataclass(slots=True)
class ImportReport:
    files: int = 0
    imported: int = 0
    updated: int = 0
    history: int = 0  # older runs of a model shown from a newer one
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)  # results vs contents
    score_differences: list[Disagreement] = field(default_factory=list)  # with --check
    dry_run: bool = False
    seconds: float = 0.0
    intervals_added: int = 0  # unchanged files whose result had no intervals: only those added
    with_intervals: int = 0  # files imported or updated with a 95% interval for every benchmark
    # "benchmark: why not" → files imported or updated without that benchmark's interval
    without_intervals: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: ArchiveOutcome, entry: ArchiveEntry) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)
        if outcome is ArchiveOutcome.HISTORY:  # kept in the history only: not shown, no interval
            return
        missing = [i for i in entry.intervals if i.low is None and i.benchmark != AVERAGE]
        if not missing:
            self.with_intervals += 1
        for i in missing:
            key = f"{i.benchmark}: {i.reason}"
            self.without_intervals[key] = self.without_intervals.get(key, 0) + 1


@dataclass(frozen=True, slots=True)
class _Options:
    contents: ContentsTable | None
    default_type: ModelType | None
    check: bool


def import_archive(
    store: Store, folder: ArchiveFolder, suites: Mapping[str, Suite], now: Callable[[], datetime],
    *, contents: ContentsTable | None = None, default_type: ModelType | None = None,
    dry_run: bool = False, check: bool = False, batch_size: int = 500,
    progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    """Import every results file under `folder`. `dry_run`: everything is written in one
    transaction that is rolled back, so that the report is exact and nothing stays."""
    began = time.perf_counter()
    report = ImportReport(dry_run=dry_run)
    options = _Options(contents, default_type, check)
    known = store.archive.known_files(folder.dataset)
    # Shown files imported before imports computed intervals are read again for them alone.
    lacking = store.archive.without_intervals(folder.dataset)
    known = {path: sha for path, sha in known.items() if path not in lacking}
    files = list(results_files(folder))
    report.files = len(files)
    batch: list[ArchiveEntry] = []
    with store.archive.writer(keep=not dry_run) as write:
        for done, (path, file) in enumerate(files, 1):
            entry = _entry(report, folder, suites, options, known, path, file.read_bytes)
            if entry is not None:
                batch.append(entry)
            if len(batch) >= batch_size or (done == len(files) and batch):
                for outcome, written in zip(write(batch, now()), batch, strict=True):
                    report.count(outcome, written)
                batch = []
            if progress is not None:
                progress(done, len(files))
    report.seconds = time.perf_counter() - began
    return report


def _entry(
    report: ImportReport, folder: ArchiveFolder, suites: Mapping[str, Suite], options: _Options,
    known: Mapping[str, str], path: str, read: Callable[[], bytes],
) -> ArchiveEntry | None:  # fmt: skip
    """The file as an entry to write; None when it is unchanged or skipped (and reported)."""
    try:
        data = read()
        sha256 = hashlib.sha256(data).hexdigest()
        if known.get(path) == sha256:
            report.unchanged += 1
            return None
        run = read_run(path, json.loads(data))
        return _scored(report, folder, suites, options, path, sha256, run)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.skipped.append(Skipped(path, f"unreadable: {exc}"))
    except (ArchiveFileError, ResultsFormatError) as exc:
        report.skipped.append(Skipped(path, str(exc)))
    return None


def _scored(
    report: ImportReport, folder: ArchiveFolder, suites: Mapping[str, Suite], options: _Options,
    path: str, sha256: str, run: ArchiveRun,
) -> ArchiveEntry:  # fmt: skip
    suite = suites.get(run.suite)
    if suite is None:
        raise ArchiveFileError(f"openboard has no {run.suite} suite", "see `openboard suites`")
    row, precision_differs = (
        options.contents.find(run.model, run.precision) if options.contents else (None, False)
    )
    model_type = _model_type(row, options.default_type)
    # No per-sample outputs come with the archive: MATH stays as lm-eval scored it, and says so.
    scores = score_suite(run.results, suite, None, judge_answers)  # refuses NaN, missing subtasks
    intervals = result_intervals(suite, scores, run.results, None)
    if row is not None:
        report.disagreements += _disagreements(path, run, row, precision_differs)
        if options.check and row.suite == run.suite:
            report.score_differences += _differences(
                path, scores.benchmark_scores, scores.average, row
            )
    return ArchiveEntry(
        model=run.model, revision=run.revision or (row.revision if row else ""),
        precision=run.precision, suite=suite.name, model_type=model_type,
        weight_type=row.weight_type if row else WeightType.ORIGINAL,
        use_chat_template=run.chat_template, params=(row.params if row else None) or run.params,
        architectures=row.architectures if row else [], license=row.license if row else None,
        merged=row.merged if row else False, moe=row.moe if row else False,
        base_model=row.base_model if row else None, available=row.available if row else None,
        submitted_time=(row.submitted if row and row.submitted else run.run_at),
        eval_seconds=run.eval_seconds, co2_kg=row.co2_kg if row else None,
        task_scores=scores.task_scores, benchmark_scores=scores.benchmark_scores,
        average=scores.average, scorer=scores.scorer, source=folder.dataset, path=path,
        sha256=sha256, run_at=run.run_at, dataset_commit=folder.commit,
        contents=row.published if row else None, intervals=intervals,
    )  # fmt: skip


def _model_type(row: ContentsRow | None, default: ModelType | None) -> ModelType:
    if row is not None:
        if row.model_type is None:
            raise type_error(row)
        return row.model_type
    if default is None:
        raise ArchiveFileError(
            "no row of the contents table gives its model type",
            "pass the contents table (--contents), or --default-type for files without a row",
        )
    return default


def _disagreements(
    path: str, run: ArchiveRun, row: ContentsRow, precision_differs: bool
) -> list[Disagreement]:
    """The rule: the results file wins for what was evaluated (commit, precision, chat template,
    scores); the contents table for what describes the model (type, license, parameters, flags,
    dates, CO₂). Each difference is listed."""
    found = []
    if (
        row.suite != run.suite
    ):  # a v1 table beside v2 files (or the reverse): its scores are others'
        found.append(Disagreement(path, "contents layout", run.suite, row.suite))
    if precision_differs:
        found.append(Disagreement(path, "precision", run.precision.value, row.precision))
    if run.revision and row.revision and run.revision != row.revision:
        found.append(Disagreement(path, "commit", run.revision, row.revision))
    public_template = row.published.get("Chat Template")
    if (
        run.suite == "v2"
        and isinstance(public_template, bool)
        and public_template != run.chat_template
    ):
        found.append(
            Disagreement(path, "chat template", str(run.chat_template), str(public_template))
        )
    return found


def _differences(
    path: str, benchmarks: list[BenchmarkScore], average: float, row: ContentsRow
) -> list[Disagreement]:
    """openboard's normalized scores against the site's (`--check`), beyond CHECK_TOLERANCE."""
    found = []
    ours = {b.benchmark: b.normalized for b in benchmarks}
    for name, public in row.public_scores.items():
        mine = ours.get(name)
        if mine is not None and abs(mine - public) > CHECK_TOLERANCE:
            found.append(Disagreement(path, name, f"{mine:.2f}", f"{public:.2f}"))
    if row.public_average is not None and abs(average - row.public_average) > CHECK_TOLERANCE:
        found.append(Disagreement(path, "average", f"{average:.2f}", f"{row.public_average:.2f}"))
    return found
