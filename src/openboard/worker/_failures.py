from openboard.domain import FailureKind, OpenboardError
from openboard.evaluation import EvaluationError
from openboard.sources import SourceError


def classify_failure(exc: BaseException) -> tuple[FailureKind, str]:
    """The kind of a failure and the reason a submitter reads."""
    if isinstance(exc, EvaluationError):
        return exc.kind, str(exc)
    if isinstance(exc, ConnectionError) and "Hub" in str(exc):
        return FailureKind.DATASET_MISSING, (
            f"{exc}: this worker evaluates offline; give it a Hugging Face datasets cache that holds "
            "the data, set OPENBOARD_OFFLINE=false where the Hub is reachable, or use a suite with "
            "local data (starter, or v2 after `openboard datasets import`)"
        )
    if isinstance(exc, SourceError):
        return FailureKind.MODEL_SOURCE, str(exc)
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return FailureKind.OUT_OF_MEMORY, (
            f"ran out of memory ({type(exc).__name__}); evaluate in a lower precision or on a larger machine"
        )
    if isinstance(exc, OpenboardError):
        return FailureKind.HARNESS, str(exc)
    return (
        FailureKind.HARNESS,
        f"{type(exc).__name__}: {exc} (the evaluation log has the traceback)",
    )
