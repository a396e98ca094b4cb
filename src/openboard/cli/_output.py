import functools
import json
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer

from openboard.domain import OpenboardError, Severity, Verdict

P = ParamSpec("P")
R = TypeVar("R")

_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "·"}


def print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def verdict_payload(verdict: Verdict, request_id: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "accepted": verdict.accepted,
        "model": verdict.model,
        "revision": verdict.revision,
        "params": verdict.params,
        "architectures": verdict.architectures,
        "findings": [f.model_dump(mode="json") for f in verdict.findings],
    }
    if request_id is not None:
        payload["request_id"] = request_id
    return payload


def print_verdict(verdict: Verdict) -> None:
    head = "accepted" if verdict.accepted else "refused"
    revision = f" at {verdict.revision[:12]}" if verdict.revision else ""
    typer.echo(f"{verdict.model}{revision}: {head}")
    for finding in verdict.findings:
        typer.echo(f"  {_MARK[finding.severity]} [{finding.check}] {finding.message}")
        if finding.hint:
            typer.echo(f"      fix: {finding.hint}")


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn openboard's own errors into a message and a fix on stderr, with exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OpenboardError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                typer.echo(f"  fix: {exc.hint}", err=True)
            raise typer.Exit(1) from exc

    return wrapper
