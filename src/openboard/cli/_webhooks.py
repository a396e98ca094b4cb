"""`openboard webhooks ...` (subscriptions, deliveries, re-sends) and `openboard notify`, the
delivery loop on its own (for a deployment whose servers do not run it)."""

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Annotated

import typer

from openboard.cli._context import Context, operator
from openboard.cli._output import friendly_errors, print_json
from openboard.store import WEBHOOK_EVENTS
from openboard.web import delivery_record, webhook_record

webhooks_app = typer.Typer(
    help="Webhooks: the board's and users', their deliveries with every attempt, re-sends.",
    no_args_is_help=True,
)

Events = Annotated[
    list[str] | None,
    typer.Option(
        "--event", help=f"an event to send (repeat; default all): {', '.join(WEBHOOK_EVENTS)}"
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print as JSON")]


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @webhooks_app.command("add")
    @friendly_errors
    def add(
        ctx: typer.Context,
        url: Annotated[str, typer.Argument(help="http(s) URL that receives the POSTs")],
        events: Events = None,
        user: Annotated[
            str | None, typer.Option(help="a user's webhook (their requests); default: the board's")
        ] = None,
    ) -> None:
        """Add a webhook and print its signing secret (shown this once)."""
        context = open_context(ctx)
        service = context.webhooks()
        if user is None:
            hook = service.add_board(url, events, operator())
        else:
            account = context.accounts().user(user)
            if account is None:
                raise typer.BadParameter(f"no user {user!r}", param_hint="--user")
            hook = service.add(account, url, events)
        typer.echo(f"webhook #{hook.id} → {hook.url} ({', '.join(hook.events)})")
        typer.echo(f"signing secret (verify X-Openboard-Signature with it): {hook.secret}")

    @webhooks_app.command("list")
    @friendly_errors
    def list_hooks(ctx: typer.Context, as_json: AsJson = False) -> None:
        """Every webhook, the board's and users'."""
        hooks = open_context(ctx).store.webhooks.hooks(everyone=True)
        if as_json:
            print_json([webhook_record(h) for h in hooks])
            return
        for h in hooks:
            typer.echo(f"#{h.id:<4} {h.owner or 'board':<12} {h.url}  {', '.join(h.events)}")

    @webhooks_app.command("remove")
    @friendly_errors
    def remove(ctx: typer.Context, webhook_id: int) -> None:
        """Remove a webhook; its pending deliveries fail at their next attempt."""
        open_context(ctx).webhooks().remove(None, webhook_id)
        typer.echo(f"removed webhook #{webhook_id}")

    @webhooks_app.command("deliveries")
    @friendly_errors
    def deliveries(
        ctx: typer.Context,
        state: Annotated[
            str | None, typer.Option(help="only pending, delivered or failed ones")
        ] = None,
        limit: Annotated[int, typer.Option(help="newest N")] = 50,
        as_json: AsJson = False,
    ) -> None:
        """Recent deliveries, newest first, with each attempt under --json."""
        store = open_context(ctx).store
        listed = store.webhooks.deliveries(everyone=True, state=state, limit=limit)
        if as_json:
            print_json([delivery_record(store.webhooks.delivery(d.id) or d) for d in listed])
            return
        for d in listed:
            error = f"  {d.last_error}" if d.last_error else ""
            typer.echo(f"#{d.id:<5} {d.state:<9} {d.attempts} tries  {d.event:<18} "
                       f"request {d.request_id or '-'}  {d.owner or 'board'} → {d.url}{error}")  # fmt: skip

    @webhooks_app.command("resend")
    @friendly_errors
    def resend(ctx: typer.Context, delivery_id: int) -> None:
        """Send a delivery again (same body and delivery id) with a fresh attempt budget."""
        delivery = open_context(ctx).webhooks().resend(None, delivery_id)
        typer.echo(f"delivery #{delivery_id} ({delivery.event} → {delivery.url}) queued again")

    app.add_typer(webhooks_app, name="webhooks")

    @app.command()
    @friendly_errors
    def notify(
        ctx: typer.Context,
        once: Annotated[
            bool, typer.Option("--once", help="deliver what is due now, then exit")
        ] = False,
    ) -> None:
        """Deliver webhooks: fan events out, POST what is due, retry with backoff, until stopped."""
        notifier = open_context(ctx).notifier()
        if once:
            total = 0
            while done := notifier.run_once():
                total += done
            typer.echo(f"{total} events and deliveries handled")
            return
        stop = threading.Event()

        def halt(signum: int, _: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, halt)
        signal.signal(signal.SIGINT, halt)
        typer.echo("delivering webhooks (Ctrl-C stops)")
        notifier.run(stop)
