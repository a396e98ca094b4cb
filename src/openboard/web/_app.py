from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from openboard import __version__
from openboard.domain import InvalidModelIdError, ModelId
from openboard.evaluation import Suite
from openboard.store import Store
from openboard.submission import SubmissionService
from openboard.web._submissions import submissions_router
from openboard.web._views import leaderboard_payload, queue_payload, request_record

_HERE = Path(__file__).parent


def create_app(
    store: Store, suites: Mapping[str, Suite], submissions: SubmissionService | None = None
) -> FastAPI:
    """The ASGI app. It reads the store and, given `submissions`, takes submissions; evaluations
    run in workers."""
    app = FastAPI(title="openboard", version=__version__)
    if submissions is not None:
        app.include_router(submissions_router(submissions))
    templates = Jinja2Templates(directory=_HERE / "templates")  # autoescapes every variable
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")

    def page(request: Request, template: str, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {"version": __version__, **context})

    @app.get("/", response_class=HTMLResponse)
    def leaderboard_page(request: Request) -> HTMLResponse:
        return page(request, "leaderboard.html", board=leaderboard_payload(store, suites))

    @app.get("/api/leaderboard")
    def leaderboard_api() -> dict[str, Any]:
        return leaderboard_payload(store, suites)

    @app.get("/queue", response_class=HTMLResponse)
    def queue_page(request: Request) -> HTMLResponse:
        return page(request, "queue.html", queue=queue_payload(store))

    @app.get("/api/queue")
    def queue_api() -> dict[str, Any]:
        return queue_payload(store)

    def model_payload(org: str, name: str) -> dict[str, Any]:
        try:
            model_id = ModelId.parse(f"{org}/{name}")
        except InvalidModelIdError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        requests = store.list_requests(model=str(model_id))
        if not requests:
            raise HTTPException(status_code=404, detail=f"no evaluation of {model_id}")
        return {
            "model": str(model_id),
            "evaluations": [
                {
                    **request_record(r),
                    "average": r.average,
                    "tasks": [
                        {
                            "benchmark": t.benchmark,
                            "task": t.task,
                            "metric": t.metric,
                            "raw": t.raw,
                            "stderr": t.stderr,
                            "normalized": t.normalized,
                            "samples": t.samples,
                        }
                        for t in store.task_scores(r.id)
                    ],
                }
                for r in requests
            ],
        }

    @app.get("/models/{org}/{name}", response_class=HTMLResponse)
    def model_page(request: Request, org: str, name: str) -> HTMLResponse:
        return page(request, "model.html", model=model_payload(org, name))

    @app.get("/api/models/{org}/{name}")
    def model_api(org: str, name: str) -> dict[str, Any]:
        return model_payload(org, name)

    return app
