"""One method per moderation action. Every action needs a reason; each is written to the audit log
in the same transaction as the change itself (see openboard.store)."""

import re
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from openboard.domain import ModelId, ModelType, OpenboardError, parse_model_pattern
from openboard.queue import cancel, requeue, rerun
from openboard.store import EvalRequest, Store

_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_LINK = re.compile(r"^https?://[^\s<>\"'\x00-\x1f\x7f]{1,490}$")
MAX_REASON_CHARS = 2000
MAX_NUMBER = 2**31 - 1  # request ids and priorities fit every database's INTEGER


class ModerationError(OpenboardError):
    pass


class Action(StrEnum):
    FLAG = "flag"
    UNFLAG = "unflag"
    HIDE = "hide"
    UNHIDE = "unhide"
    DELETE = "delete"
    SET_MODEL_TYPE = "set-model-type"
    CANCEL = "cancel"
    REQUEUE = "requeue"
    RERUN = "rerun"
    PRIORITY = "priority"
    CONTAMINATION = "contamination"
    BLOCK = "block"
    UNBLOCK = "unblock"
    ADD_OFFICIAL = "add-official"
    REMOVE_OFFICIAL = "remove-official"


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise ModerationError(
            "every moderation action needs a reason",
            f"say why in 1-{MAX_REASON_CHARS} characters; it is kept in the audit log",
        )
    if _CONTROL.search(reason):
        # PostgreSQL cannot store NUL in text, and no reader can see the other controls.
        raise ModerationError(
            "the reason holds control characters (such as NUL)", "write it as plain text"
        )
    return reason


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# An admin's contamination switch: on, off, or back to the suite's setting.
CONTAMINATION_CHECKS: dict[str, bool | None] = {"on": True, "off": False, "suite": None}


class ModerationService:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def _request(self, request_id: int) -> EvalRequest:
        request = self._store.get_request(request_id)
        if request is None:
            raise ModerationError(f"there is no request #{request_id}", "see the queue")
        return request

    def _changed(self, done: bool, what: str) -> None:
        if not done:
            raise ModerationError(
                f"{what}: nothing changed", "look again: someone may have acted first"
            )

    def flag(self, model: str, reason: str, link: str | None, actor: str) -> None:
        model_id = str(ModelId.parse(model))
        if link and not _LINK.fullmatch(link):
            raise ModerationError(f"{link!r} is not a web address", "give an http(s) link, or none")
        self._store.moderation.flag(model_id, _reason(reason), link or None, actor, self._clock())

    def unflag(self, model: str, reason: str, actor: str) -> None:
        model_id = str(ModelId.parse(model))
        self._changed(
            self._store.moderation.unflag(model_id, actor, self._clock(), _reason(reason)),
            f"{model_id} is not flagged",
        )

    def hide(self, request_id: int, hidden: bool, reason: str, actor: str) -> None:
        self._request(request_id)
        self._store.moderation.set_hidden(request_id, hidden, actor, self._clock(), _reason(reason))

    def delete(self, request_id: int, reason: str, actor: str) -> None:
        self._changed(
            self._store.moderation.delete_request(
                request_id, actor, self._clock(), _reason(reason)
            ),
            f"request #{request_id}",
        )

    def set_model_type(self, request_id: int, model_type: str, reason: str, actor: str) -> None:
        try:
            new_type = ModelType(model_type)
        except ValueError as exc:
            raise ModerationError(
                f"unknown model type {model_type!r}",
                "one of " + ", ".join(t.value for t in ModelType),
            ) from exc
        self._request(request_id)
        self._store.moderation.set_model_type(
            request_id, new_type, actor, self._clock(), _reason(reason)
        )

    def cancel(self, request_id: int, reason: str, actor: str) -> None:
        request = self._request(request_id)
        self._changed(
            cancel(self._store, request, actor=actor, at=self._clock(), reason=_reason(reason)),
            f"request #{request_id} changed meanwhile",
        )

    def requeue(self, request_id: int, reason: str, actor: str) -> None:
        request = self._request(request_id)
        self._changed(
            requeue(self._store, request, actor=actor, at=self._clock(), reason=_reason(reason)),
            f"request #{request_id} changed meanwhile",
        )

    def rerun(self, request_id: int, reason: str, actor: str) -> None:
        """A finished evaluation evaluated again on the same pinned commit; its scores and files
        are kept as its previous run."""
        request = self._request(request_id)
        self._changed(
            rerun(self._store, request, actor=actor, at=self._clock(), reason=_reason(reason)),
            f"request #{request_id} changed meanwhile",
        )

    def set_priority(self, request_id: int, priority: int, reason: str, actor: str) -> None:
        self._request(request_id)
        self._store.set_priority(request_id, priority, actor, self._clock(), _reason(reason))

    def set_contamination_check(self, request_id: int, check: str, reason: str, actor: str) -> None:
        """Turn the contamination test on or off for one request, whatever its suite's setting
        says, or hand it back to the setting ("suite"). A worker reads it when it claims the
        request: a running evaluation keeps what it started with; a finished one needs a re-run."""
        if check not in CONTAMINATION_CHECKS:
            raise ModerationError(
                f"unknown contamination switch {check!r}",
                "one of " + ", ".join(CONTAMINATION_CHECKS),
            )
        self._request(request_id)
        self._store.set_contamination_check(
            request_id, CONTAMINATION_CHECKS[check], actor, self._clock(), _reason(reason)
        )

    def block(self, pattern: str, reason: str, actor: str) -> None:
        self._store.moderation.block(
            parse_model_pattern(pattern), _reason(reason), actor, self._clock()
        )

    def unblock(self, pattern: str, reason: str, actor: str) -> None:
        normalized = parse_model_pattern(pattern)
        self._changed(
            self._store.moderation.unblock(normalized, actor, self._clock(), _reason(reason)),
            f"{normalized} is not on the blocklist",
        )

    def _namespace(self, namespace: str) -> str:
        if not _NAMESPACE.fullmatch(namespace):
            raise ModerationError(
                f"{namespace!r} is not a namespace", "give the org part of org/name"
            )
        return namespace

    def add_official(self, namespace: str, reason: str, actor: str) -> None:
        self._changed(
            self._store.moderation.add_official(
                self._namespace(namespace), actor, self._clock(), _reason(reason)
            ),
            f"{namespace} is already an official provider",
        )

    def remove_official(self, namespace: str, reason: str, actor: str) -> None:
        self._changed(
            self._store.moderation.remove_official(
                self._namespace(namespace), actor, self._clock(), _reason(reason)
            ),
            f"{namespace} is not an official provider",
        )

    def apply(self, action: Action, fields: dict[str, Any], actor: str) -> None:
        """One action from a form or a JSON body: the web pages and the API share this."""
        reason = str(fields.get("reason", ""))

        def number(name: str) -> int:
            try:
                value = int(str(fields.get(name, "")))
            except ValueError as exc:
                raise ModerationError(f"{name} must be a whole number", f"give {name}") from exc
            if not -MAX_NUMBER <= value <= MAX_NUMBER:
                raise ModerationError(
                    f"{name} is out of range", f"give {name} within ±{MAX_NUMBER}"
                )
            return value

        match action:
            case Action.FLAG:
                link = fields.get("link")
                self.flag(str(fields.get("model", "")), reason, str(link) if link else None, actor)
            case Action.UNFLAG:
                self.unflag(str(fields.get("model", "")), reason, actor)
            case Action.HIDE | Action.UNHIDE:
                self.hide(number("request_id"), action is Action.HIDE, reason, actor)
            case Action.DELETE:
                self.delete(number("request_id"), reason, actor)
            case Action.SET_MODEL_TYPE:
                self.set_model_type(
                    number("request_id"), str(fields.get("model_type", "")), reason, actor
                )
            case Action.CANCEL:
                self.cancel(number("request_id"), reason, actor)
            case Action.REQUEUE:
                self.requeue(number("request_id"), reason, actor)
            case Action.RERUN:
                self.rerun(number("request_id"), reason, actor)
            case Action.PRIORITY:
                self.set_priority(number("request_id"), number("priority"), reason, actor)
            case Action.CONTAMINATION:
                self.set_contamination_check(
                    number("request_id"), str(fields.get("check", "")), reason, actor
                )
            case Action.BLOCK:
                self.block(str(fields.get("pattern", "")), reason, actor)
            case Action.UNBLOCK:
                self.unblock(str(fields.get("pattern", "")), reason, actor)
            case Action.ADD_OFFICIAL:
                self.add_official(str(fields.get("namespace", "")), reason, actor)
            case Action.REMOVE_OFFICIAL:
                self.remove_official(str(fields.get("namespace", "")), reason, actor)
