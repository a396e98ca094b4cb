"""POST /api/validate (a dry run) and POST /api/submissions: the verdict as JSON, the same as the CLI's."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool  # validation reads files: off the event loop

from openboard.domain import Finding, Severity, SubmissionRequest, Verdict
from openboard.submission import SubmissionService, parse_submission
from openboard.web._auth import Auth
from openboard.web._json import BodyError, json_body


def _body_schema() -> dict[str, Any]:
    """SubmissionRequest's fields, for the OpenAPI document (the sender is the signed-in user)."""
    schema = SubmissionRequest.model_json_schema()
    schema["properties"].pop("sender", None)
    schema["required"] = [r for r in schema.get("required", []) if r != "sender"]
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}  # fmt: skip


def submissions_router(service: SubmissionService, auth: Auth) -> APIRouter:
    router = APIRouter()
    body = _body_schema()

    @router.post("/api/validate", openapi_extra=body)
    async def validate_api(request: Request) -> JSONResponse:
        user = auth.require(request)
        parsed = await _parse(request, user.name)
        if isinstance(parsed, JSONResponse):
            return parsed
        verdict = await run_in_threadpool(service.check, parsed)
        return JSONResponse(verdict.model_dump(mode="json"))

    @router.post("/api/submissions", openapi_extra=body)
    async def submit_api(request: Request) -> JSONResponse:
        user = auth.require(request)
        parsed = await _parse(request, user.name)
        if isinstance(parsed, JSONResponse):
            return parsed
        outcome = await run_in_threadpool(service.submit, parsed)
        payload: dict[str, Any] = outcome.verdict.model_dump(mode="json")
        if outcome.request is None:
            return JSONResponse(payload, status_code=422)
        payload["request_id"] = outcome.request.id
        return JSONResponse(
            payload,
            status_code=201,
            headers={"Location": f"/api/queue#request-{outcome.request.id}"},
        )

    return router


async def _parse(request: Request, sender: str) -> SubmissionRequest | JSONResponse:
    """The body as a request, submitted by the signed-in user (a `sender` in the body is ignored);
    or the verdict refusing it: 400 for a body that is no JSON, 422 for a wrong request."""
    try:
        body = json_body(await request.body())
    except BodyError as exc:
        return _refused(_refusal(exc.message), 400)
    if not isinstance(body, dict):
        return _refused(_refusal("the body is not a JSON object"), 422)
    parsed = parse_submission({**body, "sender": sender})
    return _refused(parsed, 422) if isinstance(parsed, Verdict) else parsed


def _refused(verdict: Verdict, status: int) -> JSONResponse:
    return JSONResponse(verdict.model_dump(mode="json"), status_code=status)


def _refusal(message: str) -> Verdict:
    finding = Finding(
        check="request",
        severity=Severity.ERROR,
        message=message,
        hint='send {"model": "org/name", "model_type": "pretrained", ...}',
    )
    return Verdict(model="", findings=[finding])
