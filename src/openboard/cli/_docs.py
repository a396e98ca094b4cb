"""`openboard dev config-docs` and `dev api-docs`: the reference pages made from the code."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from openboard.cli._context import Context
from openboard.cli._demo import dev
from openboard.config import settings_reference


def register(open_context: Callable[[typer.Context], Context]) -> None:
    @dev.command("config-docs")
    def config_docs(
        path: Annotated[Path, typer.Argument(help="the file to write")] = Path(
            "docs/configuration.md"
        ),
        check: Annotated[
            bool, typer.Option(help="only say whether the file is up to date")
        ] = False,
    ) -> None:
        """Write the configuration reference from the settings object."""
        _write(path, settings_reference(), check, "openboard dev config-docs")

    @dev.command("api-docs")
    def api_docs(
        ctx: typer.Context,
        path: Annotated[Path, typer.Argument(help="the file to write")] = Path("docs/api.md"),
        check: Annotated[
            bool, typer.Option(help="only say whether the file is up to date")
        ] = False,
    ) -> None:
        """Write the HTTP API reference from the app's OpenAPI document."""
        from openboard.web import api_reference

        app = open_context(ctx).web_app()
        _write(path, api_reference(app.openapi()), check, "openboard dev api-docs")


def _write(path: Path, text: str, check: bool, command: str) -> None:
    if check:
        if not path.is_file() or path.read_text() != text:
            typer.echo(f"{path} is stale: run `{command}`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path} is up to date")
        return
    path.write_text(text)
    typer.echo(f"wrote {path}")
