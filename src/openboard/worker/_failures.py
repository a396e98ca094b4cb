from openboard.domain import FailureKind, OpenboardError
from openboard.evaluation import EvaluationError
from openboard.sources import SourceError


def classify_failure(exc: BaseException) -> tuple[FailureKind, str]:
    """The kind of a failure and the reason a submitter reads."""
    if isinstance(exc, EvaluationError):
        return exc.kind, str(exc)
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
