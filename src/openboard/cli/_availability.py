"""`openboard availability`: check that every evaluated commit can still be read from its source."""

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openboard.availability import AvailabilityReport, check_availability
from openboard.cli._context import Context, utc_now
from openboard.cli._output import friendly_errors, print_json


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def availability(
        ctx: typer.Context,
        model: Annotated[str | None, typer.Option(help="check this model (org/name) only")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    ) -> None:
        """Check that each evaluated commit can still be read from the model source (deleted,
        private or rewritten models become "unavailable"; the board can hide them). Run it from
        cron; exit status 1 when the source could not answer for some commit."""
        context = open_context(ctx)
        console = Console(stderr=True)
        with Progress(
            TextColumn("checking models"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True, disable=as_json or not console.is_terminal,
        ) as bar:  # fmt: skip
            task = bar.add_task("check", total=None)
            report = check_availability(
                context.store, context.source, utc_now, model,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
        if as_json:
            print_json(_payload(report))
        else:
            _print(report)
        if report.unchecked:
            raise typer.Exit(1)


def _payload(report: AvailabilityReport) -> dict[str, object]:
    return {
        "checked": len(report.checks),
        "commits": [
            {"model": c.commit.model, "revision": c.commit.revision, "available": c.available,
             "reason": c.reason, "changed_requests": list(c.changed_requests)}
            for c in report.checks
        ],
    }  # fmt: skip


def _print(report: AvailabilityReport) -> None:
    for check in report.changed:
        state = "available" if check.available else f"unavailable: {check.reason}"
        typer.echo(f"{check.commit.model}@{check.commit.revision[:12]}: {state}")
    for check in report.unchecked:
        typer.echo(
            f"{check.commit.model}@{check.commit.revision[:12]}: not checked: {check.reason}",
            err=True,
        )
    typer.echo(
        f"{len(report.checks)} commits checked: {len(report.unavailable)} unavailable, "
        f"{len(report.changed)} changed, {len(report.unchecked)} not checked"
    )
