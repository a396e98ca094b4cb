from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from openboard.backup import create_backup, restore_backup
from openboard.cli._context import Context, utc_now
from openboard.cli._output import friendly_errors
from openboard.config import Settings


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def backup(
        ctx: typer.Context,
        dest: Annotated[
            Path, typer.Argument(help="the archive to write (.tar, or .tar.gz to compress)")
        ],
    ) -> None:
        """Back up the database and the artifacts into one archive with a manifest of checksums.

        Safe while the server and workers run: SQLite is copied through its online backup API,
        PostgreSQL through pg_dump.
        """
        # Not migrated first: a backup copies the schema as it is, and takes no write lock.
        assert isinstance(ctx.obj, Settings)
        context = Context.open(ctx.obj)
        manifest = create_backup(
            context.store, context.settings.home, dest, utc_now,
            progress=lambda step: typer.echo(f"  {step}", err=True),
        )  # fmt: skip
        size = sum(f.size for f in manifest.files)
        typer.echo(
            f"backed up {len(manifest.files)} files ({size / 1e6:.1f} MB) at schema "
            f"{manifest.schema_revision} to {dest}"
        )

    @app.command()
    @friendly_errors
    def restore(
        ctx: typer.Context,
        source: Annotated[Path, typer.Argument(help="an archive made by openboard backup")],
    ) -> None:
        """Restore a backup into an empty board (this home and database), then upgrade its schema.

        Refuses a backup made by a newer openboard, and a board that already holds data.
        """
        # Not migrated first: the backup brings its own schema, upgraded once it is restored.
        assert isinstance(ctx.obj, Settings)
        context = Context.open(ctx.obj)
        manifest = restore_backup(
            context.store, context.settings.home, source,
            progress=lambda step: typer.echo(f"  {step}", err=True),
        )  # fmt: skip
        typer.echo(
            f"restored {len(manifest.files)} files made {manifest.created_at} by openboard "
            f"{manifest.openboard_version} (schema {manifest.schema_revision})"
        )
