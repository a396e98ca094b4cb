import functools
import json
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from openboard.domain import Finding, OpenboardError, Severity, Verdict

P = ParamSpec("P")
R = TypeVar("R")

_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "·"}
_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


def print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def verdict_payload(verdict: Verdict, request_id: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = verdict.model_dump(mode="json")
    if request_id is not None:
        payload["request_id"] = request_id
    return payload


def print_verdict(verdict: Verdict) -> None:
    """Every rule applied, one row each: passed, or each finding with its fix."""
    head = "[green]accepted[/]" if verdict.accepted else "[red]refused[/]"
    revision = f" at {verdict.revision[:12]}" if verdict.revision else ""
    size = f", {verdict.params / 1e9:.2f} B parameters" if verdict.params else ""
    table = Table(title=f"{escape(verdict.model)}{revision}: {head}{size}", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("outcome")
    table.add_column("fix")
    by_check: dict[str, list[Finding]] = {}
    for finding in verdict.findings:
        by_check.setdefault(finding.check, []).append(finding)
    for check in [*verdict.checked, *(c for c in by_check if c not in verdict.checked)]:
        findings = by_check.get(check, [])
        if not findings:
            table.add_row("[green]✓[/]", check, "passed", "")
        for finding in findings:
            style = _STYLE[finding.severity]
            table.add_row(
                f"[{style}]{_MARK[finding.severity]}[/]",
                escape(finding.check),
                f"[{style}]{escape(finding.message)}[/]",
                escape(finding.hint),
            )
    Console(width=max(120, Console().width)).print(table)


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
