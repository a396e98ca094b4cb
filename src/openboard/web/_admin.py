"""The moderation pages for admins: flags, official providers, the blocklist, request actions and
the audit log; each action through `openboard.moderation`, which audits it."""

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from openboard.domain import ModelType, OpenboardError, Role
from openboard.moderation import CONTAMINATION_CHECKS, Action
from openboard.store import Store, User
from openboard.web._auth import CSRF_FIELD, check_csrf, form_fields, login_redirect
from openboard.web._board import MAX_PAGE
from openboard.web._json import BodyError, json_body
from openboard.web._services import Services

AUDIT_PAGE = 100
_ACTION_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["action", "reason"],
    "properties": {
        "action": {"type": "string", "enum": [a.value for a in Action]},
        "reason": {"type": "string"}, "request_id": {"type": "integer"},
        "model": {"type": "string"}, "link": {"type": "string"},
        "model_type": {"type": "string"}, "priority": {"type": "integer"},
        "pattern": {"type": "string"}, "namespace": {"type": "string"},
        "check": {"type": "string", "enum": list(CONTAMINATION_CHECKS)},
    },
}}}}}  # fmt: skip


def _admin_payload(store: Store, audit_page: int) -> dict[str, Any]:
    moderation = store.moderation
    audit = moderation.audit_log((audit_page - 1) * AUDIT_PAGE, AUDIT_PAGE)
    return {
        "schema_version": 1,
        "actions": [a.value for a in Action],
        "flags": [
            {"model": f.model, "reason": f.reason, "link": f.link, "flagged_by": f.flagged_by,
             "flagged_at": f.flagged_at.isoformat()}
            for f in moderation.flags()
        ],
        "official_providers": sorted(moderation.official_namespaces()),
        "blocklist": [
            {"pattern": b.pattern, "reason": b.reason, "added_by": b.added_by,
             "added_at": b.added_at.isoformat()}
            for b in store.moderation.blocklist()
        ],
        "audit_page": audit_page,
        "audit": [
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "target": e.target, "reason": e.reason, "details": e.details}
            for e in audit
        ],
    }  # fmt: skip


def admin_router(services: Services) -> APIRouter:
    router = APIRouter()
    store, moderation, auth, page = (services.store, services.moderation, services.auth,
                                     services.render)  # fmt: skip

    def admin_or_none(request: Request) -> User | None:
        user = auth.user(request)
        if user is not None and user.role is not Role.ADMIN:
            raise HTTPException(status_code=403, detail=f"{user.name} is not an admin")
        return user

    def render(request: Request, audit_page: int, status: int = 200, **extra: Any) -> HTMLResponse:
        return page(request, "admin.html", admin=_admin_payload(store, audit_page),
                    model_types=list(ModelType), status_code=status, **extra)  # fmt: skip

    @router.get("/admin", response_model=None)
    def admin_page(
        request: Request, audit_page: int = Query(1, alias="page", ge=1, le=MAX_PAGE)
    ) -> Response:
        if admin_or_none(request) is None:
            return login_redirect(request)
        return render(request, audit_page, done=request.query_params.get("done"), error=None)

    @router.post("/admin/actions", response_model=None)
    async def admin_action(request: Request) -> Response:
        user = admin_or_none(request)
        if user is None:
            return login_redirect(request)
        fields = form_fields(await request.body())
        check_csrf(request, fields.get(CSRF_FIELD, ""))
        try:
            moderation.apply(_action(fields.get("action", "")), fields, user.name)
        except OpenboardError as exc:
            return render(request, 1, status=400, done=None, error=f"{exc.message} → {exc.hint}")
        return RedirectResponse(f"/admin?done={fields.get('action', '')}", status_code=303)

    @router.get("/api/admin")
    def admin_api(
        request: Request, audit_page: int = Query(1, alias="page", ge=1, le=MAX_PAGE)
    ) -> dict[str, Any]:
        auth.require(request, Role.ADMIN)
        return _admin_payload(store, audit_page)

    @router.post("/api/admin/actions", openapi_extra=_ACTION_BODY)
    async def admin_action_api(request: Request) -> JSONResponse:
        user = auth.require(request, Role.ADMIN)
        try:
            body = json_body(await request.body())
        except BodyError as exc:
            raise HTTPException(status_code=400, detail=f"{exc.message} ({exc.hint})") from exc
        if not isinstance(body, dict):
            raise HTTPException(status_code=400, detail="the body is not a JSON object")
        try:
            moderation.apply(_action(str(body.get("action", ""))), body, user.name)
        except OpenboardError as exc:
            return JSONResponse({"detail": exc.message, "hint": exc.hint}, status_code=400)
        return JSONResponse({"done": body["action"]})

    return router


def _action(name: str) -> Action:
    try:
        return Action(name)
    except ValueError as exc:
        raise OpenboardError(
            f"unknown action {name!r}", "one of " + ", ".join(a.value for a in Action)
        ) from exc
