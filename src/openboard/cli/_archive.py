"""`openboard archive import`: the public Open LLM Leaderboard's archive beside local models."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openboard.archive import (
    ArchiveError,
    ArchiveFolder,
    ArchiveHub,
    ImportReport,
    from_hub,
    import_archive,
    read_contents,
)
from openboard.cli._context import Context, utc_now
from openboard.cli._output import friendly_errors, print_json
from openboard.domain import ModelType
from openboard.evaluation import all_suites

archive = typer.Typer(
    help="The public Open LLM Leaderboard's archive: its results beside your own models.",
    no_args_is_help=True,
)
RESULTS_DATASET = "open-llm-leaderboard/results"
_LINES_EVERY = 1000  # files between progress lines when stderr is no terminal


def hub_client(token: str | None) -> ArchiveHub:
    from huggingface_hub import HfApi

    client: ArchiveHub = HfApi(token=token)
    return client


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    console = Console(stderr=True)
    if not console.is_terminal:

        def line(done: int, total: int) -> None:
            if done % _LINES_EVERY == 0 or done == total:
                typer.echo(f"archive: {done}/{total} files read", err=True)

        yield line
        return
    columns = (TextColumn("archive"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("files", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _print(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(asdict(report))
        return
    prefix = "dry run, nothing written: " if report.dry_run else ""
    typer.echo(
        f"{prefix}{report.files} files in {report.seconds:.1f} s: {report.imported} imported, "
        f"{report.updated} updated, {report.history} older runs kept as history, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
    )
    for skipped in report.skipped:
        typer.echo(f"  skipped {skipped.path}: {skipped.reason}")
    added = (f" ({report.intervals_added} of them added to results imported before, their "
             "scores unchanged)") if report.intervals_added else ""  # fmt: skip
    typer.echo(f"95% intervals (normal approximation from lm-eval's standard errors): "
               f"{report.with_intervals} results with every benchmark's{added}")  # fmt: skip
    for why, count in sorted(report.without_intervals.items()):
        typer.echo(f"  no interval for {why}: {count} results")
    if report.disagreements:
        typer.echo(f"{len(report.disagreements)} disagreements between results and contents "
                   "(the results file wins for commit, precision and chat template):")  # fmt: skip
        for d in report.disagreements:
            typer.echo(f"  {d.path}: {d.field} {d.ours} in the results, {d.public} in contents")
    for d in report.score_differences:
        typer.echo(f"  check {d.path}: {d.field} openboard {d.ours}, public site {d.public}")


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @archive.command("import")
    @friendly_errors
    def import_(
        ctx: typer.Context,
        folder: Annotated[
            Path | None,
            typer.Argument(
                help="a local copy of the results dataset: <org>/<model>/results_*.json"
            ),
        ] = None,
        contents: Annotated[
            Path | None, typer.Option(help="the contents table's parquet file (model metadata)")
        ] = None,
        from_hub_: Annotated[
            bool, typer.Option("--from-hub", help="fetch the results dataset from the Hub")
        ] = False,
        dataset: Annotated[
            str, typer.Option(help="the dataset the files are (a copy of): their provenance")
        ] = RESULTS_DATASET,
        revision: Annotated[
            str | None, typer.Option(help="with --from-hub: the dataset's commit (default newest)")
        ] = None,
        default_type: Annotated[
            ModelType | None,
            typer.Option(help="model type of files without a contents row (else skipped)"),
        ] = None,
        dry_run: Annotated[bool, typer.Option(help="print the report, write nothing")] = False,
        check: Annotated[
            bool, typer.Option(help="list scores that differ from the site's by over 0.01")
        ] = False,
        batch_size: Annotated[int, typer.Option(min=1, help="files per transaction")] = 500,
        as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    ) -> None:
        """Import the public leaderboard's results files (v2 and v1 layouts), scored by openboard."""
        context = open_context(ctx)
        if from_hub_ == (folder is not None):
            raise ArchiveError(
                "give either a folder or --from-hub",
                "openboard archive import ./results --contents contents.parquet",
            )
        if folder is not None:
            source = ArchiveFolder(folder, dataset)
        else:
            into = context.settings.home / "archive" / dataset.replace("/", "--")
            token = context.settings.hub_token
            # Looked up when run, so that tests can stand in for the Hub (it is out of reach).
            client = hub_client(token.get_secret_value() if token is not None else None)
            source = from_hub(client, dataset, revision, into)
        table = read_contents(contents) if contents is not None else None
        suites = all_suites(context.settings.suites_dir)
        with _progress() as progress:
            report = import_archive(
                context.store, source, suites, utc_now, contents=table,
                default_type=default_type, dry_run=dry_run, check=check,
                batch_size=batch_size, progress=progress,
            )  # fmt: skip
        _print(report, as_json)

    app.add_typer(archive, name="archive")
