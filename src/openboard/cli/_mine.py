"""A user's commands on requests: `openboard cancel N` (their own) and `openboard vote N`,
on a server's JSON API as the owner of $OPENBOARD_TOKEN, or on the local database as `--user`."""

import os
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from openboard.cli._context import Context, utc_now
from openboard.cli._output import friendly_errors
from openboard.cli._remote import TOKEN_VARIABLE
from openboard.domain import OpenboardError, Role
from openboard.queue import cancel_own
from openboard.store import User

Server = Annotated[
    str | None, typer.Option(help=f"act on this server's API as the owner of ${TOKEN_VARIABLE}")
]
AsUser = Annotated[
    str | None, typer.Option("--user", help="without --server: the local account acting")
]


def call_api(server: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise OpenboardError(f"{server} needs an API token in ${TOKEN_VARIABLE}",
                             "create one on the server's /account page")  # fmt: skip
    try:
        answer = httpx.request(method, server.rstrip("/") + path, json=body, timeout=60,
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    except httpx.HTTPError as exc:
        raise OpenboardError(
            f"cannot reach {server}: {exc}", "check the URL and the network"
        ) from exc
    if answer.status_code >= 400:
        detail = (
            answer.json().get("detail", answer.text) if answer.content else answer.reason_phrase
        )
        raise OpenboardError(f"{server} refused ({answer.status_code}): {detail}",
                             "check the request number and $OPENBOARD_TOKEN")  # fmt: skip
    return answer.json()


def local_user(context: Context, name: str | None) -> User:
    if name is None:
        raise typer.BadParameter(
            "give --server URL, or --user NAME on this machine", param_hint="--user"
        )
    user = context.accounts().user(name)
    if user is None:
        raise typer.BadParameter(
            f"no user {name!r} (see openboard users list)", param_hint="--user"
        )
    return user


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def cancel(
        ctx: typer.Context,
        request_id: Annotated[int, typer.Argument(help="the request's number")],
        reason: Annotated[str, typer.Option(help="kept in the audit log")] = "",
        server: Server = None,
        user: AsUser = None,
    ) -> None:
        """Cancel your own pending or running request (audited, like an admin's cancel)."""
        if server:
            call_api(server, "POST", f"/api/requests/{request_id}/cancel", {"reason": reason})
        else:
            context = open_context(ctx)
            account = local_user(context, user)
            request = context.store.get_request(request_id)
            if request is None:
                raise OpenboardError(f"no request #{request_id}", "see openboard queue")
            cancel_own(context.store, request, user=account.name, admin=account.role is Role.ADMIN,
                       at=utc_now(), reason=reason.strip() or f"cancelled by its submitter {account.name}")  # fmt: skip
        typer.echo(f"cancelled request #{request_id}")

    @app.command()
    @friendly_errors
    def vote(
        ctx: typer.Context,
        request_id: Annotated[int, typer.Argument(help="a pending request's number")],
        undo: Annotated[bool, typer.Option("--undo", help="take your vote back")] = False,
        server: Server = None,
        user: AsUser = None,
    ) -> None:
        """Vote for someone's pending request: votes order requests inside fair share."""
        if server:
            answer = call_api(
                server, "DELETE" if undo else "POST", f"/api/requests/{request_id}/vote"
            )
            count = int(answer["votes"])
        else:
            context = open_context(ctx)
            name = local_user(context, user).name
            votes = context.store.votes
            if undo:
                if not votes.unvote(request_id, name):
                    raise OpenboardError(
                        f"{name} has no vote on request #{request_id}", "nothing to take back"
                    )
                count = votes.counts([request_id]).get(request_id, 0)
            else:
                count = votes.vote(request_id, name, utc_now(), context.settings.votes_per_hour)
        typer.echo(f"request #{request_id}: {count} vote{'s' * (count != 1)}")
