"""`openboard status`: what /metrics and /readyz report, on a terminal, plus the disk the board uses."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer

from openboard.cli._context import Context, utc_now
from openboard.cli._output import friendly_errors, print_json
from openboard.config import Settings
from openboard.retention import disk_usage
from openboard.store import OperationalFacts, operational_facts, readiness


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def status(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """The queue, the workers, the newest result, the database's readiness and disk use."""
        assert isinstance(ctx.obj, Settings)
        context = Context.open(ctx.obj)  # read only: no migration, no write lock
        now = utc_now()
        ready = readiness(context.store.engine)
        facts = None if ready else operational_facts(context.store.engine, now, (), ())
        report = _report(context.settings, facts, ready, now)
        if ready is None:
            report["webhooks"] = context.store.webhooks.backlog()
        if as_json:
            print_json(report)
        else:
            _print(report)
        if ready is not None:
            raise typer.Exit(1)


def _report(
    settings: Settings, facts: OperationalFacts | None, not_ready: str | None, now: datetime
) -> dict[str, Any]:
    disk = {
        name: disk_usage(path)
        for name, path in (
            ("artifacts", settings.artifacts_dir), ("checkouts", settings.checkouts_dir),
            ("cache", settings.cache_dir), ("datasets", settings.datasets_dir),
        )
    }  # fmt: skip
    report: dict[str, Any] = {"ready": not_ready is None, "reason": not_ready, "disk_bytes": disk}
    if facts is not None:
        age = (now - facts.last_result_at).total_seconds() if facts.last_result_at else None
        report |= {
            "requests": {s.value: n for s, n in facts.by_status.items()},
            "failures_by_kind": facts.failures_by_kind,
            "workers_alive": facts.workers_alive,
            "last_result_at": facts.last_result_at.isoformat() if facts.last_result_at else None,
            "last_result_age_seconds": age,
            "mean_queue_wait_seconds": _mean(facts.queue_wait.total, facts.queue_wait.count),
            "mean_evaluation_seconds": _mean(facts.evaluation.total, facts.evaluation.count),
        }
    return report


def _print(report: dict[str, Any]) -> None:
    typer.echo("database: ready" if report["ready"] else f"database: NOT READY: {report['reason']}")
    if "requests" in report:
        counts = ", ".join(f"{n} {s.lower()}" for s, n in report["requests"].items())
        typer.echo(f"requests: {counts}")
        if report["failures_by_kind"]:
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(report["failures_by_kind"].items()))
            typer.echo(f"failures: {kinds}")
        typer.echo(f"workers alive: {report['workers_alive']}")
        age = report["last_result_age_seconds"]
        typer.echo(
            "newest result: none yet" if age is None else f"newest result: {_duration(age)} ago"
        )
        for label, key in (("mean queue wait", "mean_queue_wait_seconds"),
                           ("mean evaluation", "mean_evaluation_seconds")):  # fmt: skip
            if report[key] is not None:
                typer.echo(f"{label}: {_duration(report[key])}")
    if "webhooks" in report:
        backlog = report["webhooks"]
        states = ", ".join(
            f"{n} {state}" for state, n in sorted(backlog.items()) if state != "outbox"
        )
        typer.echo(f"webhooks: {backlog['outbox']} events not fanned out"
                   + (f"; deliveries {states}" if states else ""))  # fmt: skip
    disk = ", ".join(f"{name} {human_bytes(n)}" for name, n in report["disk_bytes"].items())
    typer.echo(f"disk: {disk}")


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"
