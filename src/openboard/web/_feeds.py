"""Atom feeds of new results: the whole board, one model, one submitter (RFC 4287).

Built with ElementTree, which escapes every text and attribute: model names, cards and reasons
never reach the XML unescaped.
"""

import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from openboard.store import EvalRequest
from openboard.web._model import NotFoundError, parse_model_id
from openboard.web._services import Services

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ENTRIES = 50
_SENDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")  # user names, and tools like "import"

__all__ = ["feeds_router"]


def feeds_router(services: Services) -> APIRouter:
    router = APIRouter()
    store = services.store

    @router.get("/feeds/results.atom", response_class=Response, summary="New results (Atom)")
    def all_results(request: Request) -> Response:
        return services.shared(request, lambda: _feed(
            request, "openboard: new results", store.recent_results(ENTRIES)
        ))  # fmt: skip

    @router.get(
        "/feeds/models/{org}/{name}.atom",
        response_class=Response,
        summary="A model's new results (Atom)",
    )
    def model_results(
        request: Request, org: str = Path(max_length=96), name: str = Path(max_length=96)
    ) -> Response:
        model = str(parse_model_id(org, name))
        return services.shared(request, lambda: _feed(
            request, f"openboard: new results of {model}", store.recent_results(ENTRIES, model=model)
        ))  # fmt: skip

    @router.get(
        "/feeds/submitters/{sender}.atom", response_class=Response,
        summary="A submitter's new results (Atom)",
    )  # fmt: skip
    def submitter_results(request: Request, sender: str = Path(max_length=100)) -> Response:
        if not _SENDER.fullmatch(sender):
            raise NotFoundError(f"there is no submitter {sender[:40]!r}", "check the name")
        return services.shared(request, lambda: _feed(
            request, f"openboard: new results submitted by {sender}",
            store.recent_results(ENTRIES, sender=sender),
        ))  # fmt: skip

    return router


def _feed(request: Request, title: str, results: list[EvalRequest]) -> Response:
    base = str(request.base_url).rstrip("/")
    feed = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "id").text = f"{base}{request.url.path}"
    ET.SubElement(feed, "link", rel="self", href=str(request.url))
    ET.SubElement(feed, "link", rel="alternate", href=f"{base}/")
    newest = max((r.finished_time for r in results if r.finished_time), default=None)
    ET.SubElement(feed, "updated").text = _time(newest or datetime(1970, 1, 1, tzinfo=UTC))
    for result in results:
        feed.append(_entry(base, result))
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type=MEDIA_TYPE)


def _entry(base: str, result: EvalRequest) -> ET.Element:
    entry = ET.Element("entry")
    average = f"{result.average:.2f}" if result.average is not None else "no average"
    ET.SubElement(entry, "title").text = f"{result.model}: {average} ({result.suite})"
    ET.SubElement(entry, "id").text = f"{base}/models/{result.model}#request-{result.id}"
    ET.SubElement(entry, "link", rel="alternate", href=f"{base}/models/{result.model}")
    ET.SubElement(entry, "updated").text = _time(result.finished_time or result.submitted_time)
    ET.SubElement(entry, "published").text = _time(result.submitted_time)
    author = ET.SubElement(entry, "author")
    ET.SubElement(author, "name").text = result.sender
    ET.SubElement(entry, "summary").text = (
        f"{result.model} at {result.revision[:12]} in {result.precision.value}, "
        f"{result.model_type.value}: average {average} on the {result.suite} suite."
    )
    return entry


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
