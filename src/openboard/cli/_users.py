"""openboard users: local accounts, roles and API tokens, for operators."""

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from openboard.cli._context import Context, operator
from openboard.cli._output import friendly_errors, print_json
from openboard.domain import Role

users_app = typer.Typer(help="Accounts, roles and API tokens.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="the user name")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @users_app.command("add")
    @friendly_errors
    def add(
        ctx: typer.Context,
        name: Name,
        role: Annotated[Role, typer.Option(help="submitter or admin")] = Role.SUBMITTER,
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="read the password from standard input")
        ] = False,
    ) -> None:
        """Add a user; the password is asked for (or read from standard input), never an argument."""
        user = (
            open_context(ctx).accounts().add_user(name, _password(password_stdin), role, operator())
        )
        typer.echo(f"added {user.name} ({user.role.value})")

    @users_app.command("list")
    @friendly_errors
    def list_users(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    ) -> None:
        """Every user with its role."""
        users = open_context(ctx).accounts().users()
        if as_json:
            print_json([{"name": u.name, "role": u.role.value,
                         "created_at": u.created_at.isoformat()} for u in users])  # fmt: skip
            return
        for user in users:
            typer.echo(f"{user.name}\t{user.role.value}\t{user.created_at:%Y-%m-%d}")

    @users_app.command("set-role")
    @friendly_errors
    def set_role(
        ctx: typer.Context,
        name: Name,
        role: Annotated[Role, typer.Argument(help="submitter or admin")],
        reason: Annotated[str, typer.Option(help="recorded in the audit log")] = "",
    ) -> None:
        """Make a user an admin, or a submitter again."""
        open_context(ctx).accounts().set_role(name, role, operator(), reason)
        typer.echo(f"{name} is now {role.value}")

    @users_app.command("passwd")
    @friendly_errors
    def passwd(
        ctx: typer.Context,
        name: Name,
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="read the password from standard input")
        ] = False,
    ) -> None:
        """Set a user's password; every web sign-in of the user ends."""
        open_context(ctx).accounts().set_password(name, _password(password_stdin), operator())
        typer.echo(f"{name}'s password is changed; their web sessions are ended")

    @users_app.command("sign-out")
    @friendly_errors
    def sign_out(
        ctx: typer.Context,
        name: Name,
        reason: Annotated[str, typer.Option(help="recorded in the audit log")] = "",
    ) -> None:
        """End every web sign-in of a user at once (a lost laptop, a copied cookie)."""
        ended = open_context(ctx).accounts().sign_out_everywhere(name, operator(), reason)
        typer.echo(f"ended {ended} session{'s' if ended != 1 else ''} of {name}")

    @users_app.command("token")
    @friendly_errors
    def token(
        ctx: typer.Context,
        name: Name,
        label: Annotated[str, typer.Option(help="what the token is for")] = "cli",
        days: Annotated[
            float | None, typer.Option(help="expires after this many days (default: never)")
        ] = None,
    ) -> None:
        """Issue an API token for a user. It is printed once: store it now."""
        issued = open_context(ctx).accounts().issue_token(name, label, operator(), days)
        typer.echo(issued.secret)
        typer.echo(
            f"token #{issued.token.id} ({issued.token.prefix}…) for {name}: shown once, "
            "send it as 'Authorization: Bearer <token>'",
            err=True,
        )

    @users_app.command("tokens")
    @friendly_errors
    def tokens(ctx: typer.Context, name: Annotated[str | None, typer.Argument()] = None) -> None:
        """API tokens (their prefixes, never the secrets), live and revoked."""
        for t in open_context(ctx).accounts().tokens(name):
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else (
                f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "live")  # fmt: skip
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
            typer.echo(f"#{t.id}\t{t.user}\t{t.prefix}…\t{t.label}\t{state}\t{used}")

    @users_app.command("revoke-token")
    @friendly_errors
    def revoke(
        ctx: typer.Context,
        token_id: Annotated[int, typer.Argument(help="the token's number (users tokens)")],
        reason: Annotated[str, typer.Option(help="recorded in the audit log")] = "",
    ) -> None:
        """Revoke a token at once."""
        open_context(ctx).accounts().revoke_token(token_id, operator(), reason)
        typer.echo(f"token #{token_id} revoked")

    app.add_typer(users_app, name="users")
