"""One view function, two routes: a page and its JSON twin (datasette's pattern).

A view returns data; `page_and_twin` registers the HTML page, which renders the data with its
template (or answers `?format=json` with the data itself), and the `/api/...` route that answers
with the data. Views raise openboard's errors; the app's handlers turn them into 400 and 404.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from openboard.web._services import Services


@dataclass(frozen=True, slots=True)
class PageData:
    """What a view returns: the JSON twin's payload, and what else only its template shows."""

    payload: dict[str, Any]
    context: Mapping[str, Any] = field(default_factory=dict)


View = Callable[..., PageData]
Deferred = Callable[[], PageData]


def _deferred(view: View) -> Callable[..., Deferred]:
    """A dependency with the view's parameters that returns the view's call, not yet made: a page
    kept in the cache is then answered without running the view."""

    def bind(**params: Any) -> Deferred:
        return lambda: view(**params)

    bind.__signature__ = inspect.signature(view).replace(return_annotation=Deferred)  # type: ignore[attr-defined]
    return bind


def page_and_twin(
    router: APIRouter, services: Services, path: str, api_path: str, template: str, name: str,
    *, shared: bool = False, openapi_extra: dict[str, Any] | None = None,
) -> Callable[[View], View]:  # fmt: skip
    """Registers `view` at `path` (HTML, `{name}` in the template) and at `api_path` (JSON);
    `shared` pages are kept for anonymous readers in the page cache."""

    def register(view: View) -> View:
        dependency = _deferred(view)

        def serve(request: Request, render: Callable[[], Response]) -> Response:
            return services.shared(request, render) if shared else render()

        def page(request: Request, deferred: Annotated[Deferred, Depends(dependency)]) -> Response:
            def render() -> Response:
                made = deferred()
                if request.query_params.get("format") == "json":
                    return JSONResponse(made.payload)
                context = {name: made.payload, "query": request.url.query, **made.context}
                return services.render(request, template, **context)

            return serve(request, render)

        def twin(request: Request, deferred: Annotated[Deferred, Depends(dependency)]) -> Response:
            return serve(request, lambda: JSONResponse(deferred().payload))

        for route, endpoint, kind in ((path, page, HTMLResponse), (api_path, twin, JSONResponse)):
            router.add_api_route(
                route, endpoint, methods=["GET"], response_class=kind, response_model=None,
                name=f"{view.__name__}_{'page' if endpoint is page else 'api'}",
                openapi_extra=openapi_extra,
            )  # fmt: skip
        return view

    return register
