"""One view function, two routes: a page and its JSON twin (datasette's pattern).

A view returns data; `page_and_twin` registers the HTML page, which renders the data with its
template (or answers `?format=json` with the data itself), and the `/api/...` route that answers
with the data. Views raise openboard's errors; the app's handlers turn them into 400 and 404.
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from openboard.store import BoardWouldWaitError, board_reads_never_wait
from openboard.web._json import JSONPage
from openboard.web._services import Services


@dataclass(frozen=True, slots=True)
class PageData:
    """What a view returns: the JSON twin's payload, and what else only its template shows."""

    payload: dict[str, Any]
    context: Mapping[str, Any] = field(default_factory=dict)


View = Callable[..., PageData]
Deferred = Callable[[], PageData]
Respond = Callable[[Request, Deferred], Response]


Inline = Callable[[Request], AbstractContextManager[None] | None]


def _endpoint(view: View, respond: Respond, inline: Inline) -> Callable[..., Awaitable[Response]]:
    """An endpoint with the view's parameters (and the request) that hands `respond` the view's
    call, not yet made: a page kept in the cache is then answered without running the view.
    The parameters are the endpoint's own, not a dependency's: FastAPI solves one level, not two
    (a sync dependency is another hop to the thread pool). The view runs in the thread pool,
    or on the event loop itself when `inline(request)` says it will not wait on anything (an
    anonymous reader's board from a current read model: CPU only, ~3 ms; the hop alone cost
    ~0.2 ms of CPU), inside the context it gives (the data version its check read, so that the
    page reads none again). A board read there that would wait raises instead, and the view runs
    again in the thread pool."""
    signature = inspect.signature(view)
    takes_request = "request" in signature.parameters

    async def endpoint(request: Request, **params: Any) -> Response:
        if takes_request:
            params["request"] = request

        def answer() -> Response:
            return respond(request, lambda: view(**params))

        held = inline(request)
        if held is not None:
            try:
                with held, board_reads_never_wait():
                    return answer()
            except BoardWouldWaitError:
                pass  # the read model moved meanwhile: wait for it where waiting stalls no one
        return await run_in_threadpool(answer)

    own = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    others = [p for name, p in signature.parameters.items() if name != "request"]
    endpoint.__signature__ = signature.replace(parameters=[own, *others],  # type: ignore[attr-defined]
                                               return_annotation=Response)  # fmt: skip
    return endpoint


def page_and_twin(
    router: APIRouter, services: Services, path: str, api_path: str, template: str, name: str,
    *, shared: bool = False, openapi_extra: dict[str, Any] | None = None,
    inline: Inline = lambda request: None,
) -> Callable[[View], View]:  # fmt: skip
    """Registers `view` at `path` (HTML, `{name}` in the template) and at `api_path` (JSON);
    `shared` pages are kept for anonymous readers in the page cache; `inline(request)`: the
    context in which the view may run on the event loop now (it neither reads the database nor
    waits there), or None."""

    def register(view: View) -> View:
        def serve(request: Request, render: Callable[[], Response]) -> Response:
            return services.shared(request, render) if shared else render()

        def page(request: Request, deferred: Deferred) -> Response:
            def render() -> Response:
                made = deferred()
                if request.query_params.get("format") == "json":
                    return JSONPage(made.payload)
                context = {name: made.payload, "query": request.url.query, **made.context}
                return services.render(request, template, **context)

            return serve(request, render)

        def twin(request: Request, deferred: Deferred) -> Response:
            return serve(request, lambda: JSONPage(deferred().payload))

        for route, respond, kind in ((path, page, HTMLResponse), (api_path, twin, JSONResponse)):
            endpoint = _endpoint(view, respond, inline)
            router.add_api_route(
                route, endpoint, methods=["GET"], response_class=kind, response_model=None,
                name=f"{view.__name__}_{'page' if respond is page else 'api'}",
                openapi_extra=openapi_extra,
            )  # fmt: skip
        return view

    return register
