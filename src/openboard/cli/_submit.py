import getpass
import os
from collections.abc import Callable
from typing import Annotated, NoReturn

import typer

from openboard.cli._context import Context
from openboard.cli._output import friendly_errors, print_json, print_verdict, verdict_payload
from openboard.cli._remote import submit_remotely
from openboard.domain import ModelType, Precision, SubmissionRequest, Verdict, WeightType
from openboard.submission import parse_submission

Revision = Annotated[str, typer.Option(help="branch, tag or commit (pinned to the commit sha)")]
PrecisionOpt = Annotated[Precision, typer.Option(help="precision to evaluate in")]
WeightTypeOpt = Annotated[WeightType, typer.Option(help="Original, Delta or Adapter")]
BaseModel = Annotated[str | None, typer.Option(help="base model id (Delta and Adapter only)")]
ModelTypeOpt = Annotated[ModelType, typer.Option(help="what kind of model this is")]
Sender = Annotated[
    str | None, typer.Option(help="who submits (default: $OPENBOARD_USER or your login)")
]
JsonOut = Annotated[bool, typer.Option("--json", help="print the verdict as JSON")]
Server = Annotated[
    str | None,
    typer.Option(help="an openboard server's URL: submit through its API with $OPENBOARD_TOKEN"),
]


def _request(
    model_id: str,
    revision: str,
    precision: Precision,
    weight_type: WeightType,
    base_model: str | None,
    model_type: ModelType,
    chat_template: bool | None,
    sender: str | None,
) -> SubmissionRequest | Verdict:
    """The typed request, or a refusal verdict that says which field was wrong."""
    return parse_submission(
        {
            "model": model_id,
            "revision": revision,
            "precision": precision,
            "weight_type": weight_type,
            "base_model": base_model,
            "model_type": model_type,
            "use_chat_template": chat_template,
            "sender": sender or os.environ.get("OPENBOARD_USER") or getpass.getuser(),
        }
    )


ChatTemplate = Annotated[
    bool | None,
    typer.Option(
        "--chat-template/--no-chat-template",
        help="evaluate with the chat template (default: on for chat models)",
    ),
]


def _command(open_context: Callable[[typer.Context], Context], queue: bool) -> Callable[..., None]:
    """`submit` (queue=True) and `validate` share every option and every check."""

    def command(
        ctx: typer.Context,
        model_id: Annotated[str, typer.Argument(help="the model id, org/name")],
        model_type: ModelTypeOpt,
        revision: Revision = "main",
        precision: PrecisionOpt = Precision.BFLOAT16,
        weight_type: WeightTypeOpt = WeightType.ORIGINAL,
        base_model: BaseModel = None,
        chat_template: ChatTemplate = None,
        sender: Sender = None,
        as_json: JsonOut = False,
        server: Server = None,
    ) -> None:
        request = _request(
            model_id,
            revision,
            precision,
            weight_type,
            base_model,
            model_type,
            chat_template,
            sender,
        )
        if isinstance(request, Verdict):
            _finish(request, None, as_json)
        if server is not None:
            verdict, request_id = submit_remotely(server, request, queue)
            _finish(verdict, request_id, as_json)
        service = open_context(ctx).submission()
        if not queue:
            _finish(service.check(request), None, as_json)
        outcome = service.submit(request)
        _finish(outcome.verdict, outcome.request.id if outcome.request else None, as_json)

    return command


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    app.command(
        "submit", help="Check a model and queue it for evaluation (exit status 1 when refused)."
    )(friendly_errors(_command(open_context, queue=True)))
    app.command(
        "validate",
        help="Run every submission check without queueing (exit status 0 accepted, 1 refused).",
    )(friendly_errors(_command(open_context, queue=False)))


def _finish(verdict: Verdict, request_id: int | None, as_json: bool) -> NoReturn:
    if as_json:
        print_json(verdict_payload(verdict, request_id))
    else:
        print_verdict(verdict)
        if request_id is not None:
            typer.echo(f"queued as request #{request_id}")
    raise typer.Exit(0 if verdict.accepted else 1)
