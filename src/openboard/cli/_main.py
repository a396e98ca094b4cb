import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from openboard.cli import (
    _admin,
    _archive,
    _availability,
    _backup,
    _blocklist,
    _board,
    _datasets,
    _demo,
    _docs,
    _intervals,
    _mine,
    _prune,
    _queue,
    _rescore,
    _results,
    _status,
    _submit,
    _users,
    _watch,
    _webhooks,
)
from openboard.cli._context import Context
from openboard.cli._output import friendly_errors
from openboard.config import Settings, load_settings
from openboard.domain import OpenboardError
from openboard.store import HEAD_REVISION, current_revision

app = typer.Typer(
    help="openboard: a self-hostable Open LLM Leaderboard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _settings(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option(help="data folder (default: $OPENBOARD_HOME or ./openboard-data)")
    ] = None,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        ctx.obj = load_settings(**({"home": home} if home else {}))
    except OpenboardError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def settings_of(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def open_context(ctx: typer.Context) -> Context:
    """The services, on a database that is migrated to the newest schema."""
    context = Context.open(settings_of(ctx))
    context.store.migrate(context.settings.artifacts_dir)
    return context


@app.command()
@friendly_errors
def init(ctx: typer.Context) -> None:
    """Create the data folder and the database, or upgrade an older database in place."""
    context = Context.open(settings_of(ctx))
    before = current_revision(context.store.engine)
    context.store.migrate(context.settings.artifacts_dir)
    context.settings.model_root.mkdir(parents=True, exist_ok=True)
    action = (
        "created"
        if before is None
        else ("up to date" if before == HEAD_REVISION else f"upgraded from {before}")
    )
    shown = make_url(context.settings.database_url).render_as_string(hide_password=True)
    typer.echo(f"database {action} at schema {HEAD_REVISION}: {shown}")
    typer.echo(f"models are read from {context.settings.model_root}/<org>/<name>")


@app.command()
@friendly_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option(help="server processes (one per core; rate limits count per process)")
    ] = 1,
) -> None:
    """Serve the web leaderboard."""
    import uvicorn

    from openboard.cli._serve import SERVER_OPTIONS, serve_processes, share_metrics

    context = open_context(ctx)
    typer.echo(f"openboard leaderboard on http://{host}:{port}")
    if context.settings.webhook_deliver_in_server:
        context.notifier().start()  # a daemon thread: it ends with the server
    if workers > 1:
        # Each process builds its app from the same settings: hand them over by environment.
        os.environ["OPENBOARD_HOME"] = str(context.settings.home)
        context.secret_key()  # made once, before the processes race to make it
        if context.settings.metrics_enabled or context.settings.metrics_token is not None:
            share_metrics(context.settings.home)
        serve_processes(host, port, workers)
        return
    uvicorn.run(context.web_app(), host=host, port=port, **SERVER_OPTIONS)  # type: ignore[arg-type]


_submit.register(app, open_context)
_queue.register(app, open_context)
_queue.register_slurm(app, open_context)
_board.register(app, open_context)
_demo.register(app, open_context)
_docs.register(open_context)
_datasets.register(app, open_context)
_results.register(app, open_context)
_blocklist.register(app, open_context)
_admin.register(app, open_context)
_users.register(app, open_context)
_availability.register(app, open_context)
_backup.register(app, open_context)
_status.register(app, open_context)
_prune.register(app, open_context)
_rescore.register(app, open_context)
_archive.register(app, open_context)
_webhooks.register(app, open_context)
_intervals.register(app, open_context)
_watch.register(app, open_context)
_mine.register(app, open_context)


def main() -> None:
    app()
