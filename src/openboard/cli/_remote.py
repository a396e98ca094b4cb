"""Submitting through a running openboard server's JSON API, as the token's owner."""

import os

import httpx

from openboard.domain import OpenboardError, SubmissionRequest, Verdict

TOKEN_VARIABLE = "OPENBOARD_TOKEN"


def submit_remotely(
    server: str, request: SubmissionRequest, queue: bool
) -> tuple[Verdict, int | None]:
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise OpenboardError(
            f"submitting to {server} needs an API token in ${TOKEN_VARIABLE}",
            "ask the server's admin for one (openboard users token NAME) or create it on /account",
        )
    body = request.model_dump(mode="json", exclude={"sender"})  # the token says who submits
    path = "/api/submissions" if queue else "/api/validate"
    try:
        answer = httpx.post(
            server.rstrip("/") + path, json=body, timeout=120,
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
    except httpx.HTTPError as exc:
        raise OpenboardError(
            f"cannot reach {server}: {exc}", "check the URL and the network"
        ) from exc
    if answer.status_code in (401, 403, 413, 429):
        detail = (
            answer.json().get("detail", answer.text) if answer.content else answer.reason_phrase
        )
        raise OpenboardError(f"{server} refused: {detail}", "check $OPENBOARD_TOKEN and retry")
    if answer.status_code >= 500 or answer.status_code not in (200, 201, 422):
        raise OpenboardError(
            f"{server} answered {answer.status_code}", "try again later, or ask its operator"
        )
    payload = answer.json()
    return Verdict.model_validate(payload), payload.get("request_id")
