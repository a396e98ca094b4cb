from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from openboard.cli._context import Context
from openboard.cli._output import friendly_errors, print_json
from openboard.evaluation import BenchmarkData, dataset_status, import_datasets

datasets = typer.Typer(help="The offline benchmark mirror for the v2 suite.", no_args_is_help=True)


def _print(status: list[BenchmarkData], as_json: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "benchmark": s.benchmark,
                    "available": s.available,
                    "records": s.records,
                    "detail": s.detail,
                }
                for s in status
            ]
        )
        return
    for s in status:
        mark = "✓" if s.available else "✗"
        typer.echo(f"{mark} {s.benchmark:<10} {s.records:>7,} records  {s.detail}")


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @datasets.command("import")
    @friendly_errors
    def import_(
        ctx: typer.Context,
        source: Annotated[
            Path, typer.Argument(help="folder laid out like shared/data (see its README.md)")
        ],
        as_json: Annotated[bool, typer.Option("--json", help="print the status as JSON")] = False,
        mmlu_pro_revision: Annotated[
            str | None,
            typer.Option(
                help="restore MMLU-Pro as it was on 2024-07-14 or 2024-07-30 (default: latest)"
            ),
        ] = None,
    ) -> None:
        """Copy the six v2 benchmarks into the mirror and write lm-eval task overrides for them."""
        context = open_context(ctx)
        settings = context.settings
        status = import_datasets(
            source.resolve(),
            settings.datasets_dir,
            settings.tasks_dir,
            settings.cache_dir / "datasets",
            mmlu_pro_revision,
        )
        _print(status, as_json)
        if not all(s.available for s in status):
            raise typer.Exit(1)

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
