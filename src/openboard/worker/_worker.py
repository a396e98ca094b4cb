import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from openboard.config import Settings
from openboard.domain import ModelId
from openboard.evaluation import EvaluationSpec, co2_kg, get_suite, prepare_tasks, run_evaluation
from openboard.queue import claim_next, fail, finish
from openboard.store import EvalRequest, Store
from openboard.worker._artifacts import write_artifacts
from openboard.worker._failures import classify_failure
from openboard.worker._logcapture import capture_log, tail

log = logging.getLogger(__name__)


class CheckoutSource(Protocol):
    def checkout(self, model_id: ModelId, revision: str) -> Path: ...


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Evaluates queued requests one at a time; every failure is stored with its reason."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        source: CheckoutSource,
        clock: Callable[[], datetime],
        name: str | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._source = source
        self._clock = clock
        self.name = name or default_worker_name()

    def run_once(self) -> EvalRequest | None:
        """Evaluate the oldest pending request, if any; returns it as stored afterwards."""
        request = claim_next(self._store, self.name, self._clock())
        if request is None:
            return None
        log.info("evaluating request #%d: %s@%s", request.id, request.model, request.revision[:12])
        artifacts = self._settings.artifacts_dir / str(request.id)
        log_file = artifacts / "evaluation.log"
        try:
            with capture_log(log_file):
                try:
                    self._evaluate(request, artifacts)
                except Exception:
                    log.exception("evaluation of request #%d failed", request.id)
                    raise
        except Exception as exc:  # noqa: BLE001 - every failure is stored with its kind and reason
            kind, reason = classify_failure(exc)
            fail(
                self._store,
                request,
                actor=self.name,
                at=self._clock(),
                reason=reason,
                kind=kind,
                log_tail=tail(log_file),
            )
        return self._store.get_request(request.id)

    def run_forever(self, stop: threading.Event, poll_seconds: float = 5.0) -> None:
        while not stop.is_set():
            if self.run_once() is None:
                stop.wait(poll_seconds)

    def _evaluate(self, request: EvalRequest, artifacts: Path) -> None:
        suite = get_suite(request.suite, self._settings.suites_dir)
        model_path = self._source.checkout(ModelId.parse(request.model), request.revision)
        base_path = (
            self._source.checkout(ModelId.parse(request.base_model), request.base_revision)
            if request.base_model and request.base_revision
            else None
        )
        spec = EvaluationSpec(
            model_path=model_path,
            precision=request.precision,
            suite=suite,
            tasks_dir=self._settings.tasks_dir,
            apply_chat_template=request.use_chat_template,
            limit=self._settings.eval_limit,
            batch_size=self._settings.batch_size,
            device=self._settings.eval_device,
            seed=self._settings.seed,
            nltk_data=self._settings.nltk_data,
            weight_type=request.weight_type,
            base_path=base_path,
            offline=self._settings.offline,
        )
        output = run_evaluation(
            spec, progress=lambda done, total: self._store.set_progress(request.id, done, total)
        )
        settings = self._settings
        co2 = co2_kg(output.wall_seconds, settings.co2_power_kw, settings.co2_grid_g_per_kwh)
        write_artifacts(
            artifacts, request, spec, output, prepare_tasks(suite, settings.tasks_dir), co2
        )
        finish(
            self._store,
            request,
            actor=self.name,
            at=self._clock(),
            task_scores=output.task_scores,
            benchmark_scores=output.benchmark_scores,
            average=output.average,
            eval_seconds=output.wall_seconds,
            co2_kg=co2,
        )
