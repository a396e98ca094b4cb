"""GET and POST /submit: the submission form, with a "check" that validates without queueing.

The form posts plain `application/x-www-form-urlencoded` fields, so it works without JavaScript; the
verdict's findings are shown next to the field they are about.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool  # validation reads files: off the event loop

from openboard.domain import ModelType, Precision, Severity, Verdict, WeightType
from openboard.submission import SubmissionService, parse_submission
from openboard.web._auth import CSRF_FIELD, Auth, check_csrf, form_fields, login_redirect

FORM_FIELDS = ("model", "revision", "precision", "weight_type", "base_model", "model_type",
               "use_chat_template")  # fmt: skip
MAX_FORM_BYTES = 16 * 1024
# Which field of the form each check is about; the others are shown above the form.
_CHECK_FIELD = {
    "model_id": "model", "source": "model", "public": "model", "config": "model",
    "remote_code": "model", "loadability": "model", "safetensors": "model",
    "safetensors_header": "model", "shards": "model", "model_card": "model", "blocklist": "model",
    "duplicate": "model", "rate_limit": "model", "size": "precision", "precision": "precision",
    "weight_type": "weight_type", "adapter": "weight_type", "delta": "weight_type",
    "base_model": "base_model", "model_type": "model_type", "chat_template": "use_chat_template",
}  # fmt: skip

Page = Callable[..., HTMLResponse]


def _by_field(verdict: Verdict) -> dict[str, list[dict[str, str]]]:
    fields: dict[str, list[dict[str, str]]] = {}
    for finding in verdict.findings:
        if finding.severity is Severity.INFO:
            continue
        fields.setdefault(_CHECK_FIELD.get(finding.check, ""), []).append(
            {"check": finding.check, "severity": finding.severity.value,
             "message": finding.message, "hint": finding.hint}
        )  # fmt: skip
    return fields


def submit_form_router(service: SubmissionService | None, auth: Auth, page: Page) -> APIRouter:
    router = APIRouter()
    choices: dict[str, Any] = {
        "precisions": list(Precision), "weight_types": list(WeightType),
        "model_types": list(ModelType), "accepting": service is not None,
    }  # fmt: skip

    @router.get("/submit", response_model=None)
    def submit_page(request: Request) -> Response:
        if auth.user(request) is None:
            return login_redirect(request)
        values = {"revision": "main", "precision": Precision.BFLOAT16.value,
                  "weight_type": WeightType.ORIGINAL.value}  # fmt: skip
        return page(request, "submit.html", values=values, outcome=None, **choices)

    @router.post("/submit", response_model=None)
    async def submit_post(request: Request) -> Response:
        user = auth.user(request)
        if user is None:
            return login_redirect(request)
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return page(request, "submit.html", values={}, status_code=413, outcome={
                "accepted": False, "checked_only": True, "request_id": None,
                "fields": {"": [{"check": "request", "severity": "error",
                                 "message": f"the form is over {MAX_FORM_BYTES} bytes",
                                 "hint": "send shorter values"}]},
            }, **choices)  # fmt: skip
        pairs = form_fields(body)
        check_csrf(request, pairs.get(CSRF_FIELD, ""))
        values = {k: pairs.get(k, "").strip() for k in FORM_FIELDS}
        fields: dict[str, Any] = {k: v for k, v in values.items() if v}
        fields["sender"] = user.name
        fields["use_chat_template"] = values["use_chat_template"] == "on"
        checked_only = pairs.get("action") != "submit"
        parsed = parse_submission(fields)
        request_id = None
        if service is None:
            return page(request, "submit.html", values=values, outcome=None, status_code=503,
                        **choices)  # fmt: skip
        if isinstance(parsed, Verdict):
            verdict = parsed
        elif checked_only:
            verdict = await run_in_threadpool(service.check, parsed)
        else:
            outcome = await run_in_threadpool(service.submit, parsed)
            verdict = outcome.verdict
            request_id = outcome.request.id if outcome.request is not None else None
        result = {
            "accepted": verdict.accepted, "checked_only": checked_only, "request_id": request_id,
            "revision": verdict.revision, "params": verdict.params, "fields": _by_field(verdict),
            "checked": verdict.checked,
        }  # fmt: skip
        status = 201 if request_id is not None else (200 if verdict.accepted else 422)
        return page(request, "submit.html", values=values, outcome=result, status_code=status,
                    **choices)  # fmt: skip

    return router
