"""openboard intervals: finished results' 95% confidence intervals computed from what their
evaluations stored (a backfill for results stored before intervals existed, and for imports)."""

from collections.abc import Callable
from typing import Annotated

import typer

from openboard.cli._context import Context, operator, utc_now
from openboard.cli._output import friendly_errors
from openboard.domain import OpenboardError
from openboard.evaluation import all_suites
from openboard.worker import intervals_for_all, record_intervals


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def intervals(
        ctx: typer.Context,
        request_id: Annotated[
            int | None, typer.Option("--request", help="one finished request's id")
        ] = None,
        force: Annotated[
            bool, typer.Option(help="also results that already have intervals")
        ] = False,
    ) -> None:
        """Compute and store the confidence intervals of every finished result that has none
        (or of one with --request): a bootstrap over its per-sample outcomes (1,000 resamples,
        fixed seed), or lm-eval's standard errors where it kept none. Prints one line each."""
        context = open_context(ctx)
        settings, store = context.settings, context.store
        suites = all_suites(settings.suites_dir)
        actor, now = operator(), utc_now()
        if request_id is not None:
            request = store.get_request(request_id)
            if request is None:
                raise OpenboardError(f"no request #{request_id}", "see openboard queue for the ids")
            found = iter([record_intervals(store, settings.artifacts_dir, suites, request,
                                           actor=actor, now=now)])  # fmt: skip
        else:
            found = intervals_for_all(store, settings.artifacts_dir, suites, actor=actor, now=now,
                                      force=force)  # fmt: skip
        failed = 0
        for outcome in found:
            failed += outcome.status == "failed"
            typer.echo(f"#{outcome.request_id}\t{outcome.status}\t{outcome.message}")
        if failed:
            typer.echo(
                f"{failed} result(s) have no intervals; their scores are unchanged", err=True
            )
            raise typer.Exit(1)
