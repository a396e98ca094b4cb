from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from openboard.cli._context import Context
from openboard.cli._output import friendly_errors, print_json
from openboard.evaluation import (
    V2,
    BenchmarkData,
    dataset_status,
    download_datasets,
    hub_api,
    import_datasets,
    write_overrides,
)

datasets = typer.Typer(
    help="The v2 suite's benchmark data: fetch it from the Hub or a folder, check what is there.",
    no_args_is_help=True,
)

_FROM_HELP = "import from this folder instead of the Hub (a layout from docs/datasets.md)"
_REVISION_HELP = "restore MMLU-Pro as it was on 2024-07-14 or 2024-07-30 (authors' layout only)"


def _print(status: list[BenchmarkData], as_json: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "benchmark": s.benchmark,
                    "available": s.available,
                    "records": s.records,
                    "detail": s.detail,
                    "modified": s.modified,
                }
                for s in status
            ]
        )
        return
    for s in status:
        mark = "✓" if s.available else "✗"
        flag = "  MODIFIED DATA" if s.modified else ""
        typer.echo(f"{mark} {s.benchmark:<10} {s.records:>7,} records  {s.detail}{flag}")


class _Bar:
    """One bar over the bytes of the whole download, on a terminal only."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._task = progress.add_task("downloading", total=None) if progress else None

    def total(self, size: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=size)

    def advance(self, size: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, size)


@contextmanager
def _bar() -> Iterator[_Bar]:
    console = Console(stderr=True)
    if not console.is_terminal:
        yield _Bar(None)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        yield _Bar(progress)


def _from_folder(
    context: Context, source: Path, as_json: bool, mmlu_pro_revision: str | None
) -> None:
    settings = context.settings
    result = import_datasets(
        source.resolve(),
        settings.datasets_dir,
        settings.tasks_dir,
        settings.cache_dir / "datasets",
        mmlu_pro_revision,
    )
    for line in [*result.warnings, *result.missing]:
        typer.echo(f"warning: {line}", err=True)
    _print(result.status, as_json)
    if not all(s.available for s in result.status):
        raise typer.Exit(1)


def _from_hub(context: Context, as_json: bool) -> None:
    settings = context.settings
    token = settings.hub_token.get_secret_value() if settings.hub_token else None
    with _bar() as bar:
        fetched = download_datasets(hub_api(), V2.data, settings.datasets_dir, token, bar)
    write_overrides(settings.datasets_dir, settings.tasks_dir, settings.cache_dir / "datasets")
    for f in fetched:
        if f.problem is not None:
            typer.echo(f.problem, err=True)
        elif not as_json:
            typer.echo(
                f"{f.benchmark}: {f.repo_id}@{(f.revision or '')[:12]}: "
                f"{f.downloaded} downloaded, {f.kept} already here and verified"
            )
    status = dataset_status(settings.datasets_dir)
    _print(status, as_json)
    if any(f.problem for f in fetched) or not all(s.available for s in status):
        raise typer.Exit(1)


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @datasets.command()
    @friendly_errors
    def download(
        ctx: typer.Context,
        source: Annotated[Path | None, typer.Option("--from", help=_FROM_HELP)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the status as JSON")] = False,
        mmlu_pro_revision: Annotated[str | None, typer.Option(help=_REVISION_HELP)] = None,
    ) -> None:
        """Fetch the six v2 benchmarks at their pinned commits (OPENBOARD_HUB_TOKEN for GPQA), check
        every file's checksum, write lm-eval task overrides. Run again to continue an interrupted one."""
        context = open_context(ctx)
        if source is not None:
            _from_folder(context, source, as_json, mmlu_pro_revision)
            return
        if mmlu_pro_revision is not None:
            raise typer.BadParameter("--mmlu-pro-revision needs --from (the authors' layout)")
        _from_hub(context, as_json)

    @datasets.command("import")
    @friendly_errors
    def import_(
        ctx: typer.Context,
        source: Annotated[Path, typer.Argument(help="a folder in a layout from docs/datasets.md")],
        as_json: Annotated[bool, typer.Option("--json", help="print the status as JSON")] = False,
        mmlu_pro_revision: Annotated[str | None, typer.Option(help=_REVISION_HELP)] = None,
    ) -> None:
        """The same as `datasets download --from DIR`."""
        _from_folder(open_context(ctx), source, as_json, mmlu_pro_revision)

    @datasets.command()
    @friendly_errors
    def status(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    ) -> None:
        """Show which benchmarks are available offline (exit status 1 when any is missing)."""
        context = open_context(ctx)
        result = dataset_status(context.settings.datasets_dir)
        _print(result, as_json)
        if not all(s.available for s in result):
            raise typer.Exit(1)

    app.add_typer(datasets, name="datasets")
