"""openboard admin: moderation and queue actions for operators; each is written to the audit log."""

from collections.abc import Callable
from typing import Annotated

import typer

from openboard.cli._context import Context, operator, utc_now
from openboard.cli._output import friendly_errors, print_json
from openboard.moderation import CONTAMINATION_CHECKS, ModerationService

admin_app = typer.Typer(help="Moderation and queue actions (audited).", no_args_is_help=True)

RequestId = Annotated[int, typer.Argument(help="the request number (openboard queue)")]
Model = Annotated[str, typer.Argument(help="org/name")]


Reason = Annotated[str, typer.Option(help="why; kept in the audit log")]


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    def service(ctx: typer.Context) -> ModerationService:
        return ModerationService(open_context(ctx).store, utc_now)

    @admin_app.command("cancel")
    @friendly_errors
    def cancel_command(
        ctx: typer.Context, request_id: RequestId,
        reason: Reason = "cancelled by the operator",
    ) -> None:  # fmt: skip
        """Cancel a pending or running request (a running evaluation stops within seconds)."""
        service(ctx).cancel(request_id, reason, operator())
        typer.echo(f"#{request_id} cancelled")

    @admin_app.command("requeue")
    @friendly_errors
    def requeue_command(
        ctx: typer.Context, request_id: RequestId,
        reason: Reason = "requeued by the operator",
    ) -> None:  # fmt: skip
        """Put a failed or cancelled request back in the queue."""
        service(ctx).requeue(request_id, reason, operator())
        typer.echo(f"#{request_id} pending again")

    @admin_app.command("rerun")
    @friendly_errors
    def rerun_command(ctx: typer.Context, request_id: RequestId, reason: Reason) -> None:
        """Evaluate a finished request again on the same pinned commit (a scorer or lm-eval
        changed); its scores and files are kept as its previous run, shown on the model page."""
        service(ctx).rerun(request_id, reason, operator())
        typer.echo(f"#{request_id} pending again: a re-run; the previous scores are in its history")

    @admin_app.command("priority")
    @friendly_errors
    def priority_command(
        ctx: typer.Context, request_id: RequestId,
        priority: Annotated[int, typer.Argument(help="higher runs first; 0 is normal")],
        reason: Reason = "set by the operator",
    ) -> None:  # fmt: skip
        """Move a request up (or down) the queue, ahead of fair share."""
        service(ctx).set_priority(request_id, priority, reason, operator())
        typer.echo(f"#{request_id} priority {priority}")

    @admin_app.command("contamination")
    @friendly_errors
    def contamination_command(
        ctx: typer.Context, request_id: RequestId,
        check: Annotated[str, typer.Argument(
            help=f"{', '.join(CONTAMINATION_CHECKS)} (suite: as contamination_suites says)"
        )],
        reason: Reason,
    ) -> None:  # fmt: skip
        """Turn the contamination test on or off for one request, whatever its suite's setting
        says (read when a worker claims it; a finished request needs `admin rerun`)."""
        service(ctx).set_contamination_check(request_id, check, reason, operator())
        typer.echo(f"#{request_id} contamination test: {check}")

    @admin_app.command("flag")
    @friendly_errors
    def flag_command(
        ctx: typer.Context, model: Model, reason: Reason,
        link: Annotated[str | None, typer.Option(help="a discussion or report, http(s)")] = None,
    ) -> None:  # fmt: skip
        """Flag a model: shown with its reason and link, hidden by the leaderboard's default filter."""
        service(ctx).flag(model, reason, link, operator())
        typer.echo(f"flagged {model}")

    @admin_app.command("unflag")
    @friendly_errors
    def unflag_command(ctx: typer.Context, model: Model, reason: Reason) -> None:
        """Remove a model's flag."""
        service(ctx).unflag(model, reason, operator())
        typer.echo(f"unflagged {model}")

    @admin_app.command("hide")
    @friendly_errors
    def hide_command(ctx: typer.Context, request_id: RequestId, reason: Reason) -> None:
        """Take a result off the leaderboard (kept, and shown again with unhide)."""
        service(ctx).hide(request_id, True, reason, operator())
        typer.echo(f"#{request_id} hidden")

    @admin_app.command("unhide")
    @friendly_errors
    def unhide_command(ctx: typer.Context, request_id: RequestId, reason: Reason) -> None:
        """Show a hidden result again."""
        service(ctx).hide(request_id, False, reason, operator())
        typer.echo(f"#{request_id} shown")

    @admin_app.command("delete")
    @friendly_errors
    def delete_command(ctx: typer.Context, request_id: RequestId, reason: Reason) -> None:
        """Delete a request and its scores (the audit log keeps what it was)."""
        service(ctx).delete(request_id, reason, operator())
        typer.echo(f"#{request_id} deleted")

    @admin_app.command("set-type")
    @friendly_errors
    def set_type_command(
        ctx: typer.Context, request_id: RequestId,
        model_type: Annotated[str, typer.Argument(help="pretrained, chat, merge, ...")],
        reason: Reason,
    ) -> None:  # fmt: skip
        """Correct a request's model type."""
        service(ctx).set_model_type(request_id, model_type, reason, operator())
        typer.echo(f"#{request_id} is now {model_type}")

    @admin_app.command("official")
    @friendly_errors
    def official_command(
        ctx: typer.Context,
        namespace: Annotated[str, typer.Argument(help="the org of org/name")],
        reason: Reason,
        remove: Annotated[bool, typer.Option("--remove", help="take it off the list")] = False,
    ) -> None:
        """Mark a namespace as an official provider (exempt from rate limits), or --remove it."""
        if remove:
            service(ctx).remove_official(namespace, reason, operator())
            typer.echo(f"{namespace} is no longer an official provider")
        else:
            service(ctx).add_official(namespace, reason, operator())
            typer.echo(f"{namespace} is an official provider")

    @admin_app.command("audit")
    @friendly_errors
    def audit_command(
        ctx: typer.Context,
        limit: Annotated[int, typer.Option(help="how many, newest first")] = 50,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    ) -> None:
        """The audit log: who did what, when, to what, and why."""
        entries = open_context(ctx).store.moderation.audit_log(0, limit)
        if as_json:
            print_json([{"id": e.id, "at": e.at.isoformat(), "actor": e.actor,
                         "action": e.action, "target": e.target, "reason": e.reason,
                         "details": e.details} for e in entries])  # fmt: skip
            return
        for e in entries:
            typer.echo(
                f"#{e.id}\t{e.at:%Y-%m-%d %H:%M:%S}\t{e.actor}\t{e.action}\t{e.target}\t{e.reason}"
            )

    app.add_typer(admin_app, name="admin")
