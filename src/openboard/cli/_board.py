import csv
import io
from collections.abc import Callable
from typing import Annotated, Any

import typer

from openboard.cli._context import Context
from openboard.cli._output import friendly_errors, print_json
from openboard.evaluation import all_suites
from openboard.web import leaderboard_payload


def leaderboard_csv(payload: dict[str, Any]) -> str:
    names = [b["name"] for b in payload["benchmarks"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["rank", "model", "type", "revision", "precision", "params_b", "average", *names]
    )
    for row in payload["rows"]:
        writer.writerow(
            [
                row["rank"],
                row["model"],
                row["type"],
                row["revision"],
                row["precision"],
                row["params_b"],
                row["average"],
            ]
            + [row["scores"].get(n, {}).get("normalized", "") for n in names]
        )
    return buffer.getvalue()


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def leaderboard(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="print as CSV")] = False,
    ) -> None:
        """Print the leaderboard."""
        if as_json and as_csv:
            typer.echo("error: choose one of --json and --csv", err=True)
            raise typer.Exit(2)
        context = open_context(ctx)
        payload = leaderboard_payload(context.store, all_suites(context.settings.suites_dir))
        if as_json:
            print_json(payload)
        elif as_csv:
            typer.echo(leaderboard_csv(payload), nl=False)
        elif not payload["rows"]:
            typer.echo("no finished evaluations yet")
        else:
            names = [b["name"] for b in payload["benchmarks"]]
            typer.echo(
                f"{'#':>3}  {'model':<40} {'average':>8} "
                + " ".join(f"{n[:14]:>14}" for n in names)
            )
            for row in payload["rows"]:
                cells = " ".join(
                    f"{row['scores'][n]['normalized']:>14.2f}"
                    if n in row["scores"]
                    else f"{'–':>14}"
                    for n in names
                )
                marks = (
                    f"  [limit {row['eval_limit']}]" if row["eval_limit"] is not None else ""
                ) + ("  [modified data]" if row["data_modified"] else "")
                typer.echo(
                    f"{row['rank']:>3}  {row['type_symbol']} {row['model']:<38} {row['average']:>8.2f} {cells}{marks}"
                )
