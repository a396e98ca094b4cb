import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from openboard.cli._context import Context
from openboard.cli._output import friendly_errors, print_json
from openboard.cli._progress import worker_progress
from openboard.config import Settings
from openboard.domain import OpenboardError
from openboard.store import DatabaseUnavailableError, Store
from openboard.web import history_records, queue_payload, request_record

log = logging.getLogger("openboard.worker")


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def queue(
        ctx: typer.Context,
        request_id: Annotated[
            int | None, typer.Argument(help="show this request with its history")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the queue as JSON")] = False,
    ) -> None:
        """Show pending, running, finished and failed requests, or one request and its story."""
        store = open_context(ctx).store
        if request_id is not None:
            _show_request(store, request_id, as_json)
            return
        payload = queue_payload(store)
        if as_json:
            print_json(payload)
            return
        counts = "  ".join(f"{status} {n}" for status, n in payload["counts"].items())
        typer.echo(counts)
        for r in payload["requests"]:
            eta = f", starts about {r['estimated_start']}" if r["estimated_start"] else ""
            where = f" (position {r['position']}{eta})" if r["position"] else ""
            typer.echo(
                f"#{r['id']:<4} {r['status']:<9}{where} {r['model']} {r['revision'][:12]} {r['precision']} by {r['sender']}"
            )
            if r["failure_reason"]:
                typer.echo(f"      reason: {r['failure_reason']}")

    @app.command()
    @friendly_errors
    def worker(
        ctx: typer.Context,
        once: Annotated[
            bool, typer.Option("--once", help="evaluate at most one request, then exit")
        ] = False,
        until_empty: Annotated[
            bool,
            typer.Option("--until-empty", help="evaluate until no request is pending, then exit"),
        ] = False,
        poll: Annotated[float, typer.Option(help="seconds between looks at an empty queue")] = 5.0,
        gpus: Annotated[
            str | None,
            typer.Option(
                help="GPUs for this worker's evaluations, e.g. 0,1 (CUDA_VISIBLE_DEVICES)"
            ),
        ] = None,
        request: Annotated[
            int | None,
            typer.Option(help="evaluate this request, already claimed by a launcher (SLURM jobs)"),
        ] = None,
        attempt: Annotated[int, typer.Option(help="the claimed attempt (with --request)")] = 0,
        settings_file: Annotated[
            Path | None,
            typer.Option("--settings", help="settings as JSON, written by the launcher"),
        ] = None,
    ) -> None:
        """Evaluate queued requests (runs until stopped unless --once or --until-empty).

        SIGTERM or Ctrl-C once: finish the current evaluation, then stop. Twice: stop it now and
        hand the request back to the queue."""
        if settings_file is not None:
            # The file holds the plain settings; secrets (the database URL) come by environment.
            ctx.obj = Settings(**json.loads(settings_file.read_text()))
        context = _open_waiting(open_context, ctx, poll)
        runner = context.worker(gpus=gpus)
        if request is not None:
            # A batch job: SLURM's scancel or time limit sends SIGTERM; stop the evaluation and
            # leave the verdict to the launcher, which reads why SLURM ended the job.
            signal.signal(
                signal.SIGTERM, lambda *_: runner.stop_current("terminated by the batch system")
            )
            done = runner.run_claimed(request, attempt)
            if done is None:
                typer.echo(f"request #{request} attempt {attempt} is no longer current")
                return
            _report(done.id, done.model, done.status.value, done.average, done.failure_reason)
            return
        progress = worker_progress(lambda: context.store.queue.running_jobs(runner.name))
        stop = threading.Event()
        if once or until_empty:
            with progress:
                while True:
                    done = runner.run_waiting(stop, poll_seconds=poll)
                    if done is None:
                        typer.echo("no pending request")
                        return
                    _report(done.id, done.model, done.status.value, done.average,
                            done.failure_reason)  # fmt: skip
                    if once:
                        return

        def _stop(signum: int, _: FrameType | None) -> None:
            if stop.is_set():
                typer.echo(f"signal {signum} again: stopping now and returning the request")
                runner.stop_current()
                return
            typer.echo(f"signal {signum}: finishing the current request, then stopping")
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        typer.echo(f"worker {runner.name} waiting for requests (Ctrl-C stops)")
        with progress:
            runner.run_forever(stop, poll_seconds=poll)


def _open_waiting(
    open_context: Callable[[typer.Context], Context], ctx: typer.Context, poll_seconds: float
) -> Context:
    """The worker's services once the database answers: a worker started while the database is
    restarting or locked waits for it, as a running worker does, instead of exiting."""
    while True:
        try:
            return open_context(ctx)
        except DatabaseUnavailableError as exc:
            log.warning("database unavailable at start (%s); retrying in %.1f s", exc.reason,
                        poll_seconds)  # fmt: skip
            time.sleep(poll_seconds)


def _show_request(store: Store, request_id: int, as_json: bool) -> None:
    request = store.get_request(request_id)
    if request is None:
        raise OpenboardError(f"there is no request #{request_id}", "see `openboard queue`")
    record = {**request_record(request), "history": history_records(store.events_for(request_id))}
    if as_json:
        print_json(record)
        return
    typer.echo(
        f"#{request.id} {request.status} {request.model} {request.revision[:12]} {request.precision}"
        f" by {request.sender} (attempt {request.counted_attempts})"
    )
    if request.failure_reason:
        typer.echo(f"reason: {request.failure_reason}")
    for event in record["history"]:
        typer.echo(f"  {event['at']}  {event['kind']:<9} {event['message']}  ({event['actor']})")


def _report(
    request_id: int, model: str, status: str, average: float | None, reason: str | None
) -> None:
    detail = f"average {average:.2f}" if average is not None else (reason or "")
    typer.echo(f"#{request_id} {model}: {status} {detail}")


def register_slurm(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def slurm(
        ctx: typer.Context,
        once: Annotated[bool, typer.Option("--once", help="one round, then exit")] = False,
        poll: Annotated[float, typer.Option(help="seconds between rounds")] = 10.0,
    ) -> None:
        """Run pending requests as SLURM jobs (one per request) and follow them until they end."""
        from openboard.cli._context import utc_now
        from openboard.worker import SlurmDispatcher, default_worker_name

        context = open_context(ctx)
        dispatcher = SlurmDispatcher(
            context.settings, context.store, utc_now, default_worker_name()
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while True:
            in_flight = dispatcher.poll_once()
            if once or stop.wait(poll):
                typer.echo(f"{in_flight} SLURM jobs in flight")
                return
