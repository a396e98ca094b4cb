"""`openboard watch N`: one request followed on the terminal until it ends, from the local database
or a server's JSON API; the exit status says how it ended."""

import os
import time
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from openboard.cli._context import Context
from openboard.cli._output import friendly_errors
from openboard.cli._remote import TOKEN_VARIABLE
from openboard.domain import OpenboardError
from openboard.web import request_detail

# How it ended → exit status (1 is also openboard's error status: a failed request is one).
EXIT_CODES = {"FINISHED": 0, "FAILED": 1, "CANCELLED": 3}
EXIT_GAVE_UP = 4  # --timeout passed first
Fetch = Callable[[], dict[str, Any]]


def local_fetch(context: Context, request_id: int) -> Fetch:
    def fetch() -> dict[str, Any]:
        detail = request_detail(context.store, request_id)
        if detail is None:
            raise OpenboardError(f"no request #{request_id}", "see openboard queue")
        return detail

    return fetch


def remote_fetch(server: str, request_id: int, client: httpx.Client | None = None) -> Fetch:
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = client or httpx.Client(timeout=30)
    url = f"{server.rstrip('/')}/api/requests/{request_id}"

    def fetch() -> dict[str, Any]:
        try:
            answer = http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise OpenboardError(
                f"cannot reach {server}: {exc}", "check the URL and the network"
            ) from exc
        if answer.status_code == 404:
            raise OpenboardError(
                f"{server} has no request #{request_id}", "check the number on its /queue"
            )
        if answer.status_code != 200:
            raise OpenboardError(
                f"{server} answered {answer.status_code}",
                "check $OPENBOARD_TOKEN, or try again later",
            )
        payload: dict[str, Any] = answer.json()
        return payload

    return fetch


def _progress(record: dict[str, Any]) -> str | None:
    progress = record.get("progress") or {}
    if record["status"] != "RUNNING" or progress.get("percent") is None:
        return None
    return f"progress {progress['percent']:.0f}% ({progress['done']}/{progress['total']} lm-eval requests)"


def _ending(record: dict[str, Any]) -> str:
    status = record["status"]
    if status == "FINISHED":
        average = record.get("average")
        return f"#{record['id']} FINISHED" + (
            f": average {average:.2f}" if average is not None else ""
        )
    reason = record.get("failure_reason") or ""
    kind = f"{record['failure_kind']}: " if record.get("failure_kind") else ""
    return f"#{record['id']} {status}" + (f": {kind}{reason}" if reason else "")


def follow(
    fetch: Fetch, echo: Callable[[str], None], *, interval: float = 2.0,
    timeout: float | None = None, sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:  # fmt: skip
    """Print each new history entry and progress step until the request ends; its exit status."""
    started = clock()
    shown_events = 0
    last_progress: str | None = None
    record = fetch()
    echo(f"#{record['id']} {record['model']} {record['revision'][:12]} {record['precision']} "
         f"by {record['sender']}: {record['status']}")  # fmt: skip
    while True:
        history = record.get("history") or []
        for event in history[shown_events:]:
            echo(f"{event['at']}  {event['kind']}: {event['message']}")
        shown_events = len(history)
        if record["status"] == "PENDING" and record.get("position"):
            line = f"waiting: position {record['position']} in the queue"
            if line != last_progress:
                echo(line)
                last_progress = line
        progress = _progress(record)
        if progress is not None and progress != last_progress:
            echo(progress)
            last_progress = progress
        if record["status"] in EXIT_CODES:
            echo(_ending(record))
            return EXIT_CODES[record["status"]]
        if timeout is not None and clock() - started >= timeout:
            echo(
                f"#{record['id']} is still {record['status']} after {timeout:g} s; stopped watching"
            )
            return EXIT_GAVE_UP
        sleep(interval)
        record = fetch()


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def watch(
        ctx: typer.Context,
        request_id: Annotated[int, typer.Argument(help="the request's number")],
        server: Annotated[
            str | None,
            typer.Option(
                help=f"follow it on this server's API (a token in ${TOKEN_VARIABLE} if it needs one)"
            ),
        ] = None,
        interval: Annotated[float, typer.Option(min=0.1, help="seconds between looks")] = 2.0,
        timeout: Annotated[
            float | None, typer.Option(help="stop watching after this many seconds (exit 4)")
        ] = None,
    ) -> None:
        """Follow one request until it ends. Exit status: 0 finished, 1 failed, 3 cancelled,
        4 still going at --timeout."""
        fetch = (
            remote_fetch(server, request_id)
            if server
            else local_fetch(open_context(ctx), request_id)
        )
        code = follow(fetch, typer.echo, interval=interval, timeout=timeout)
        raise typer.Exit(code)
