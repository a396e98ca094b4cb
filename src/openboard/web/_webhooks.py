"""Webhooks on the account page and the JSON API: a submitter's own, their deliveries with every
attempt, re-sends; admins see and re-send everyone's (`openboard.notify` decides who may)."""

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from openboard.domain import OpenboardError, Role
from openboard.notify import WebhookNotFoundError
from openboard.store import WEBHOOK_EVENTS, Delivery, User, Webhook
from openboard.web._auth import CSRF_FIELD, check_csrf, form_fields, login_redirect
from openboard.web._ids import RowId
from openboard.web._json import BodyError, json_body
from openboard.web._services import Services

_ADD_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["url"],
    "properties": {
        "url": {"type": "string", "description": "http(s) URL that receives the POSTs"},
        "events": {"type": "array", "items": {"type": "string", "enum": list(WEBHOOK_EVENTS)},
                   "description": "the events to send; all when absent"},
    },
}}}}}  # fmt: skip


def webhook_record(hook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": hook.id, "owner": hook.owner, "url": hook.url, "events": list(hook.events),
        "created_at": hook.created_at.isoformat(), "created_by": hook.created_by,
    }  # fmt: skip
    if with_secret:
        record["secret"] = hook.secret
    return record


def delivery_record(delivery: Delivery) -> dict[str, Any]:
    def time(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": delivery.id, "delivery_id": delivery.delivery_id, "url": delivery.url,
        "owner": delivery.owner, "event": delivery.event, "request_id": delivery.request_id,
        "state": delivery.state, "attempts": delivery.attempts,
        "created_at": time(delivery.created_at), "next_attempt_at": time(delivery.next_attempt_at),
        "delivered_at": time(delivery.delivered_at), "last_error": delivery.last_error,
        "history": [
            {"at": a.at.isoformat(), "status_code": a.status_code, "error": a.error,
             "seconds": round(a.seconds, 3)}
            for a in delivery.history
        ],
    }  # fmt: skip


def _refused(exc: OpenboardError) -> HTTPException:
    status = 404 if isinstance(exc, WebhookNotFoundError) else 400
    return HTTPException(status_code=status, detail=f"{exc.message} ({exc.hint})")


def webhooks_router(services: Services) -> APIRouter:
    router = APIRouter()
    auth, webhooks, store = services.auth, services.webhooks, services.store

    @router.get("/api/webhooks")
    def list_api(request: Request) -> dict[str, Any]:
        user = auth.require(request)
        return {"schema_version": 1, "events": list(WEBHOOK_EVENTS),
                "webhooks": [webhook_record(h) for h in webhooks.hooks(user)]}  # fmt: skip

    @router.post("/api/webhooks", openapi_extra=_ADD_BODY, status_code=201)
    async def add_api(request: Request) -> JSONResponse:
        user = auth.require(request)
        try:
            body = json_body(await request.body())
        except BodyError as exc:
            raise HTTPException(status_code=400, detail=f"{exc.message} ({exc.hint})") from exc
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            raise HTTPException(status_code=400, detail='send {"url": "https://…", "events": […]}')
        events = body.get("events")
        if events is not None and not (
            isinstance(events, list) and all(isinstance(e, str) for e in events)
        ):
            raise HTTPException(status_code=400, detail="events: a list of event names")
        try:
            hook = webhooks.add(user, body["url"], events)
        except OpenboardError as exc:
            raise _refused(exc) from exc
        # The secret is shown this once: the receiver verifies signatures with it.
        return JSONResponse(webhook_record(hook, with_secret=True), status_code=201)

    @router.delete("/api/webhooks/{webhook_id}")
    def remove_api(request: Request, webhook_id: RowId) -> dict[str, Any]:
        user = auth.require(request)
        try:
            webhooks.remove(user, webhook_id)
        except OpenboardError as exc:
            raise _refused(exc) from exc
        return {"removed": webhook_id}

    @router.get("/api/webhooks/deliveries")
    def deliveries_api(
        request: Request, limit: int = Query(50, ge=1, le=500),
        everyone: bool = Query(False, description="admins: every user's and the board's"),
    ) -> dict[str, Any]:  # fmt: skip
        user = auth.require(request, Role.ADMIN if everyone else Role.SUBMITTER)
        listed = (
            store.webhooks.deliveries(everyone=True, limit=limit)
            if everyone
            else webhooks.deliveries(user, limit)
        )
        return {"schema_version": 1, "deliveries": [delivery_record(d) for d in listed]}

    @router.post("/api/webhooks/deliveries/{delivery_id}/resend")
    def resend_api(request: Request, delivery_id: RowId) -> dict[str, Any]:
        user = auth.require(request)
        try:
            webhooks.resend(user, delivery_id)
        except OpenboardError as exc:
            raise _refused(exc) from exc
        return {"resent": delivery_id}

    @router.post("/account/webhooks", response_model=None)
    async def account_form(request: Request) -> Response:
        user = auth.user(request)
        if user is None:
            return login_redirect(request)
        fields = form_fields(await request.body())
        check_csrf(request, fields.get(CSRF_FIELD, ""))
        action, back = fields.get("action", ""), fields.get("back", "/account")
        back = back if back in ("/account", "/admin") else "/account"
        try:
            if action == "add":
                events = [e for e in WEBHOOK_EVENTS if fields.get(f"event.{e}")]
                hook = webhooks.add(user, fields.get("url", ""), events)
                return _account(services, request, user, new_webhook=hook)
            if action == "remove":
                webhooks.remove(user, _number(fields.get("webhook_id", "")))
            elif action == "resend":
                webhooks.resend(user, _number(fields.get("delivery_id", "")))
            else:
                raise HTTPException(status_code=400, detail=f"unknown action {action!r}")
        except OpenboardError as exc:
            return _account(services, request, user, status=_refused(exc).status_code,
                            webhook_error=f"{exc.message} → {exc.hint}")  # fmt: skip
        return RedirectResponse(f"{back}#webhooks", status_code=303)

    return router


def _account(
    services: Services, request: Request, user: User, status: int = 200, **extra: Any
) -> Response:
    """The account page with a new webhook's secret (shown once) or what was wrong."""
    response = services.render(
        request, "account.html", status_code=status, account=user,
        tokens=services.auth.accounts.tokens(user.name), issued=None, **extra,
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


def account_webhooks(services: Services, user: User) -> dict[str, Any]:
    """What the account page's webhook section shows (a template global)."""
    return {
        "events": WEBHOOK_EVENTS,
        "hooks": services.webhooks.hooks(user),
        "deliveries": services.webhooks.deliveries(user, 20),
    }


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"{text!r} is not a number") from exc
