"""Import of the public Open LLM Leaderboard's published results and contents, with provenance."""

from openboard.archive._contents import PUBLIC_BENCHMARKS, ContentsRow, ContentsTable, read_contents
from openboard.archive._errors import ArchiveError, ArchiveFileError
from openboard.archive._import import (
    CHECK_TOLERANCE,
    Disagreement,
    ImportReport,
    Skipped,
    import_archive,
)
from openboard.archive._layouts import ArchiveRun, read_run, run_time_of
from openboard.archive._sources import ArchiveFolder, ArchiveHub, from_hub, results_files

__all__ = [
    "CHECK_TOLERANCE",
    "PUBLIC_BENCHMARKS",
    "ArchiveError",
    "ArchiveFileError",
    "ArchiveFolder",
    "ArchiveHub",
    "ArchiveRun",
    "ContentsRow",
    "ContentsTable",
    "Disagreement",
    "ImportReport",
    "Skipped",
    "from_hub",
    "import_archive",
    "read_contents",
    "read_run",
    "results_files",
    "run_time_of",
]
