"""openboard rescore: finished requests' scores recomputed from their stored outputs."""

from collections.abc import Callable
from typing import Annotated

import typer

from openboard.cli._context import Context, operator, utc_now
from openboard.cli._output import friendly_errors
from openboard.domain import OpenboardError
from openboard.evaluation import all_suites
from openboard.worker import RescoreOutcome, rescore_all, rescore_request


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def rescore(
        ctx: typer.Context,
        request_id: Annotated[
            int | None, typer.Option("--request", help="one finished request's id")
        ] = None,
        every: Annotated[bool, typer.Option("--all", help="every finished request")] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="say what would change; write nothing")
        ] = False,
        force: Annotated[
            bool, typer.Option(help="with --all: also those already on the current scorer")
        ] = False,
        reason: Annotated[
            str, typer.Option(help="kept in the score history")
        ] = "rescored with the current scorer",
    ) -> None:
        """Recompute scores from the stored lm-eval results and per-sample outputs (no model is
        loaded); the previous numbers go to the score history. One transaction per request: an
        interrupted --all resumes where it stopped."""
        if (request_id is None) == (not every):
            raise OpenboardError("give either --request N or --all", "see openboard rescore --help")
        context = open_context(ctx)
        settings = context.settings
        suites = all_suites(settings.suites_dir)
        actor, now, store, artifacts = operator(), utc_now(), context.store, settings.artifacts_dir
        if request_id is not None:
            request = context.store.get_request(request_id)
            if request is None:
                raise OpenboardError(f"no request #{request_id}", "see openboard queue for the ids")
            outcomes = iter([rescore_request(
                store, artifacts, suites, request, actor=actor, now=now, reason=reason,
                dry_run=dry_run,
            )])  # fmt: skip
        else:
            outcomes = rescore_all(
                store, artifacts, suites, actor=actor, now=now, reason=reason, dry_run=dry_run,
                force=force,
            )  # fmt: skip
        failed = 0
        no_intervals: list[RescoreOutcome] = []
        for outcome in outcomes:
            failed += outcome.status == "failed"
            if outcome.intervals_failed is not None:
                no_intervals.append(outcome)
            typer.echo(_line(outcome))
        _intervals_summary(no_intervals)
        if failed:
            typer.echo(f"{failed} request(s) not rescored; their scores are unchanged", err=True)
            raise typer.Exit(1)


def _intervals_summary(no_intervals: list[RescoreOutcome]) -> None:
    """One line per run, not one per request (a rescore of thousands said it thousands of times)."""
    if not no_intervals:
        return
    first = no_intervals[0]
    typer.echo(f"no confidence intervals for {len(no_intervals)} rescored request(s), e.g. "
               f"#{first.request_id}: {first.intervals_failed}; `openboard intervals` "
               "retries them", err=True)  # fmt: skip


def _line(outcome: RescoreOutcome) -> str:
    return f"#{outcome.request_id}\t{outcome.status}\t{outcome.message}"
