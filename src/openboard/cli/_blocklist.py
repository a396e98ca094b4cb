from collections.abc import Callable
from typing import Annotated

import typer

from openboard.cli._context import Context, operator, utc_now
from openboard.cli._output import friendly_errors, print_json
from openboard.domain import parse_model_pattern

blocklist_app = typer.Typer(
    help="Models (org/name) or namespaces (org/*) whose authors asked not to be evaluated.",
    no_args_is_help=True,
)

Pattern = Annotated[str, typer.Argument(help="org/name, or org/* for a whole namespace")]


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @blocklist_app.command("add")
    @friendly_errors
    def add(
        ctx: typer.Context,
        pattern: Pattern,
        reason: Annotated[str, typer.Option(help="shown to whoever submits a blocked model")],
    ) -> None:
        """Refuse every future submission of a model or namespace, with a reason."""
        if not reason.strip():
            raise typer.BadParameter("give a reason; submitters see it", param_hint="--reason")
        entry = open_context(ctx).store.moderation.block(
            parse_model_pattern(pattern), reason.strip(), operator(), utc_now()
        )
        typer.echo(f"blocked {entry.pattern}: {entry.reason}")

    @blocklist_app.command("remove")
    @friendly_errors
    def remove(ctx: typer.Context, pattern: Pattern) -> None:
        """Accept submissions of a model or namespace again."""
        normalized = parse_model_pattern(pattern)
        if not open_context(ctx).store.moderation.unblock(normalized, operator(), utc_now()):
            typer.echo(f"{normalized} is not on the blocklist", err=True)
            raise typer.Exit(1)
        typer.echo(f"unblocked {normalized}")

    @blocklist_app.command("list")
    @friendly_errors
    def list_entries(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    ) -> None:
        """Show the blocklist."""
        entries = open_context(ctx).store.moderation.blocklist()
        if as_json:
            print_json(
                [
                    {
                        "pattern": e.pattern,
                        "reason": e.reason,
                        "added_by": e.added_by,
                        "added_at": e.added_at.isoformat(),
                    }
                    for e in entries
                ]
            )
            return
        for e in entries:
            typer.echo(f"{e.pattern}\t{e.reason}\t(by {e.added_by}, {e.added_at:%Y-%m-%d})")

    app.add_typer(blocklist_app, name="blocklist")
