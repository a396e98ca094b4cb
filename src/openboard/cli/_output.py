import json
from typing import Any

import typer

from openboard.domain import Severity, Verdict

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
