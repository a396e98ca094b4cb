from collections.abc import Callable
from typing import Annotated

import typer

from openboard.cli._context import Context, operator, utc_now
from openboard.domain import OpenboardError
from openboard.queue import cancel, requeue
from openboard.store import EvalRequest

admin_app = typer.Typer(help="Operator actions on the queue.", no_args_is_help=True)

RequestId = Annotated[int, typer.Argument(help="the request number (openboard queue)")]
Reason = Annotated[str, typer.Option(help="why; recorded in the request's events")]


def _get(context: Context, request_id: int) -> EvalRequest:
    request = context.store.get_request(request_id)
    if request is None:
        raise OpenboardError(f"there is no request #{request_id}", "see `openboard queue`")
    return request


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    from openboard.cli._output import friendly_errors

    @admin_app.command("cancel")
    @friendly_errors
    def cancel_command(
        ctx: typer.Context, request_id: RequestId, reason: Reason = "cancelled by the operator"
    ) -> None:
        """Cancel a pending or running request (a running evaluation stops within seconds)."""
        context = open_context(ctx)
        request = _get(context, request_id)
        if not cancel(context.store, request, actor=operator(), at=utc_now(), reason=reason):
            raise OpenboardError(
                f"request #{request_id} changed meanwhile", "look again, then retry"
            )
        typer.echo(f"#{request_id} cancelled")

    @admin_app.command("requeue")
    @friendly_errors
    def requeue_command(
        ctx: typer.Context, request_id: RequestId, reason: Reason = "requeued by the operator"
    ) -> None:
        """Put a failed or cancelled request back in the queue."""
        context = open_context(ctx)
        request = _get(context, request_id)
        if not requeue(context.store, request, actor=operator(), at=utc_now(), reason=reason):
            raise OpenboardError(
                f"request #{request_id} changed meanwhile", "look again, then retry"
            )
        typer.echo(f"#{request_id} pending again")

    @admin_app.command("priority")
    @friendly_errors
    def priority_command(
        ctx: typer.Context,
        request_id: RequestId,
        priority: Annotated[int, typer.Argument(help="higher runs first; 0 is normal")],
    ) -> None:
        """Move a request up (or down) the queue, ahead of fair share."""
        context = open_context(ctx)
        _get(context, request_id)
        context.store.set_priority(request_id, priority, operator(), utc_now())
        typer.echo(f"#{request_id} priority {priority}")

    app.add_typer(admin_app, name="admin")
