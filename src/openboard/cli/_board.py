from collections.abc import Callable
from typing import Annotated, Any

import typer
from starlette.datastructures import QueryParams

from openboard.cli._context import Context
from openboard.cli._output import friendly_errors, print_json
from openboard.evaluation import all_suites
from openboard.web import WholeBoard, view_of


def _table(payload: dict[str, Any]) -> None:
    names = [b["name"] for b in payload["benchmarks"]]
    typer.echo(
        f"{'#':>3}  {'model':<40} {'average':>8} " + " ".join(f"{n[:14]:>14}" for n in names)
    )
    for row in payload["rows"]:
        cells = " ".join(
            f"{row['scores'][n]['normalized']:>14.2f}" if n in row["scores"] else f"{'–':>14}"
            for n in names
        )
        marks = (f"  [limit {row['eval_limit']}]" if row["eval_limit"] is not None else "") + (
            "  [modified data]" if row["data_modified"] else ""
        )
        typer.echo(
            f"{row['rank']:>3}  {row['type_symbol']} {row['model']:<38} {row['average']:>8.2f} {cells}{marks}"
        )


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def leaderboard(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="print as CSV")] = False,
        suite: Annotated[
            str | None, typer.Option(help="the suite's board [default: the configured suite]")
        ] = None,
        view: Annotated[
            str,
            typer.Option(
                help="the web board's URL parameters, e.g. 'q=llama&type=pretrained&flagged=show'"
            ),
        ] = "",
    ) -> None:
        """Print the leaderboard: every row of the web board's view (by default its default view:
        flagged models and hidden results left out, best average first)."""
        if as_json and as_csv:
            typer.echo("error: choose one of --json and --csv", err=True)
            raise typer.Exit(2)
        context = open_context(ctx)
        settings = context.settings
        params = QueryParams(view)
        if suite is not None:
            params = QueryParams([*params.multi_items(), ("suite", suite)])
        chosen = view_of(
            context.store, all_suites(settings.suites_dir), settings.suite,
            frozenset(settings.official_providers), params, settings.board_origin,
            settings.board_prefer,
        )  # fmt: skip
        board = WholeBoard.read(context.store, chosen, exported=as_csv)
        if as_json:
            print_json(board.payload())
        elif as_csv:
            typer.echo(board.export("csv"), nl=False)
        elif not board.rows:
            typer.echo("no finished evaluations yet")
        else:
            _table(board.payload())
