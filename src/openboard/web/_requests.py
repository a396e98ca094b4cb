"""One request over the JSON API (what `openboard watch --server` follows), what its submitter
may do to it (cancel it: `openboard.queue.cancel_own`, audited like an admin's cancel), and votes
from other signed-in users while it is pending."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from openboard.domain import OpenboardError, Role, Status
from openboard.queue import NotYourRequestError, cancel_own
from openboard.store import Store, VoteError, VoteLimitError
from openboard.web._auth import CSRF_FIELD, check_csrf, form_fields, login_redirect
from openboard.web._ids import RowId
from openboard.web._json import BodyError, json_body
from openboard.web._services import Services
from openboard.web._views import history_records, request_record

_REASON_BODY = {"requestBody": {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"reason": {"type": "string"}},
}}}}}  # fmt: skip
MAX_REASON_CHARS = 500


def request_detail(store: Store, request_id: int) -> dict[str, Any] | None:
    """The queue's record of one request with its history, position and average."""
    request = store.get_request(request_id)
    if request is None:
        return None
    position = None
    if request.status is Status.PENDING:
        order = store.queue.pending_in_order()
        position = order.index(request.id) + 1 if request.id in order else None
    return {
        **request_record(request),
        "average": request.average,
        "position": position,
        "history": history_records(store.events_for(request_id)),
    }


def _reason(text: str, user: str) -> str:
    text = text.strip()
    if len(text) > MAX_REASON_CHARS:
        raise HTTPException(
            status_code=400, detail=f"reason: at most {MAX_REASON_CHARS} characters"
        )
    return text or f"cancelled by its submitter {user}"


def requests_router(services: Services) -> APIRouter:
    router = APIRouter()
    store, auth = services.store, services.auth

    @router.get("/api/requests/{request_id}")
    def request_api(request_id: RowId) -> dict[str, Any]:
        detail = request_detail(store, request_id)
        if detail is None:
            raise HTTPException(status_code=404, detail=f"no request #{request_id}")
        return detail

    def cancel(user_name: str, is_admin: bool, request_id: int, reason: str) -> None:
        request = store.get_request(request_id)
        if request is None:
            raise HTTPException(status_code=404, detail=f"no request #{request_id}")
        try:
            cancel_own(store, request, user=user_name, admin=is_admin, at=datetime.now(UTC),
                       reason=reason)  # fmt: skip
        except NotYourRequestError as exc:
            raise HTTPException(status_code=403, detail=f"{exc.message} ({exc.hint})") from exc
        except OpenboardError as exc:
            raise HTTPException(status_code=409, detail=f"{exc.message} ({exc.hint})") from exc

    @router.post("/api/requests/{request_id}/cancel", openapi_extra=_REASON_BODY)
    async def cancel_api(request: Request, request_id: RowId) -> dict[str, Any]:
        user = auth.require(request)
        raw = await request.body()
        try:
            body = json_body(raw) if raw.strip() else {}
        except BodyError as exc:
            raise HTTPException(status_code=400, detail=f"{exc.message} ({exc.hint})") from exc
        if not isinstance(body, dict) or not isinstance(body.get("reason", ""), str):
            raise HTTPException(status_code=400, detail='send {"reason": "..."} or no body')
        cancel(
            user.name,
            user.role is Role.ADMIN,
            request_id,
            _reason(body.get("reason", ""), user.name),
        )
        return {"cancelled": request_id}

    def vote(user_name: str, request_id: int, undo: bool) -> dict[str, Any]:
        if undo:
            removed = store.votes.unvote(request_id, user_name)
            return {"request_id": request_id, "removed": removed,
                    "votes": store.votes.counts([request_id]).get(request_id, 0)}  # fmt: skip
        try:
            count = store.votes.vote(request_id, user_name, datetime.now(UTC),
                                     services.settings.votes_per_hour)  # fmt: skip
        except VoteError as exc:
            status = 429 if isinstance(exc, VoteLimitError) else 409
            raise HTTPException(status_code=status, detail=f"{exc.message} ({exc.hint})") from exc
        return {"request_id": request_id, "votes": count}

    @router.post("/api/requests/{request_id}/vote")
    def vote_api(request: Request, request_id: RowId) -> dict[str, Any]:
        return vote(auth.require(request).name, request_id, undo=False)

    @router.delete("/api/requests/{request_id}/vote")
    def unvote_api(request: Request, request_id: RowId) -> dict[str, Any]:
        return vote(auth.require(request).name, request_id, undo=True)

    @router.post("/requests/{request_id}/vote", response_model=None)
    async def vote_form(request: Request, request_id: RowId) -> Response:
        user = auth.user(request)
        if user is None:
            return login_redirect(request)
        fields = form_fields(await request.body())
        check_csrf(request, fields.get(CSRF_FIELD, ""))
        vote(user.name, request_id, undo=fields.get("action") == "unvote")
        return RedirectResponse(f"/queue#request-{request_id}", status_code=303)

    @router.post("/requests/{request_id}/cancel", response_model=None)
    async def cancel_form(request: Request, request_id: RowId) -> Response:
        user = auth.user(request)
        if user is None:
            return login_redirect(request)
        fields = form_fields(await request.body())
        check_csrf(request, fields.get(CSRF_FIELD, ""))
        cancel(
            user.name,
            user.role is Role.ADMIN,
            request_id,
            _reason(fields.get("reason", ""), user.name),
        )
        return RedirectResponse(f"/queue#request-{request_id}", status_code=303)

    return router
