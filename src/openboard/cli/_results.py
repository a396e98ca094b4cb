from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from openboard.cli._context import Context, utc_now
from openboard.cli._output import friendly_errors, print_json
from openboard.domain import ModelId, ModelType, PinKind, Precision, WeightType
from openboard.evaluation import all_suites
from openboard.store import NewRequest
from openboard.worker import export_results, import_results

results = typer.Typer(
    help="lm-eval results files: import scores evaluated elsewhere, export ours.",
    no_args_is_help=True,
)


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @results.command("import")
    @friendly_errors
    def import_(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="an lm-eval results_*.json")],
        model_id: Annotated[str, typer.Option("--model", help="the model id, org/name")],
        revision: Annotated[str, typer.Option(help="the commit sha the results were computed at")],
        model_type: Annotated[ModelType, typer.Option(help="what kind of model this is")],
        precision: Annotated[
            Precision, typer.Option(help="precision it was evaluated in")
        ] = Precision.BFLOAT16,
        chat_template: Annotated[
            bool, typer.Option(help="whether the chat template was used")
        ] = False,
        sender: Annotated[str, typer.Option(help="who imports")] = "import",
    ) -> None:
        """Put an lm-eval results file on the leaderboard as a finished evaluation."""
        context = open_context(ctx)
        now = utc_now()
        new = NewRequest(
            model=str(ModelId.parse(model_id)),
            base_model=None,
            requested_revision=revision,
            revision=revision,
            pin=PinKind.GIT_COMMIT,
            precision=precision,
            weight_type=WeightType.ORIGINAL,
            model_type=model_type,
            use_chat_template=chat_template,
            params=None,
            architectures=[],
            sender=sender,
            submitted_time=now,
            suite="",
        )
        settings = context.settings
        suites = all_suites(settings.suites_dir)
        done = import_results(context.store, settings.artifacts_dir, suites, file, new, sender, now)
        typer.echo(f"request #{done.id}: {done.model} {done.suite} average {done.average:.2f}")

    @results.command()
    @friendly_errors
    def export(
        ctx: typer.Context,
        request_id: Annotated[int, typer.Argument(help="a finished request's id")],
    ) -> None:
        """Print a finished evaluation's lm-eval results JSON."""
        context = open_context(ctx)
        print_json(export_results(context.store, context.settings.artifacts_dir, request_id))

    app.add_typer(results, name="results")
