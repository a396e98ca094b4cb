"""Progress of a running evaluation, read off lm-eval's own progress bars.

lm-eval has no progress callback. Its HF and vLLM models count requests on a `tqdm` bar per phase
(log-likelihood, generation); while an evaluation runs, those modules' `tqdm` is swapped for a
subclass that also reports each update. Nothing about the evaluation itself changes.
"""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ProgressCallback = Callable[[int, int], None]


@contextmanager
def report_progress(callback: ProgressCallback, every_seconds: float = 1.0) -> Iterator[None]:
    """Call `callback(done, total)` over all phases so far, at most once per `every_seconds`."""
    from lm_eval.models import huggingface
    from tqdm import tqdm as real_tqdm

    finished_phases = {"done": 0, "total": 0}
    last = {"at": 0.0}

    class ReportingBar(real_tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._report(force=True)

        def update(self, n: float | None = 1) -> None:
            super().update(n)
            self._report(force=self.total is not None and self.n >= self.total)

        def close(self) -> None:
            if not getattr(self, "_closed_once", False):
                self._closed_once = True
                finished_phases["done"] += int(self.n)
                finished_phases["total"] += int(self.total or 0)
            super().close()

        def _report(self, force: bool) -> None:
            now = time.monotonic()
            if force or now - last["at"] >= every_seconds:
                last["at"] = now
                callback(
                    finished_phases["done"] + int(self.n),
                    finished_phases["total"] + int(self.total or 0),
                )

    # The vLLM module imports vllm itself: it is patched only where the model already loaded it.
    vllm_module = sys.modules.get("lm_eval.models.vllm_causallms")
    modules = [huggingface, *([vllm_module] if vllm_module else [])]
    originals = [module.tqdm for module in modules]
    for module in modules:
        module.tqdm = ReportingBar
    try:
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.tqdm = original
