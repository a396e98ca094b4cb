from openboard.domain import FailureKind, OpenboardError


class EvaluationError(OpenboardError):
    """An evaluation could not run or produced no usable score; the message becomes the FAILED reason."""

    kind: FailureKind = FailureKind.HARNESS


class ModelLoadError(EvaluationError):
    kind = FailureKind.MODEL_LOAD


class UnsupportedPrecisionError(EvaluationError):
    kind = FailureKind.UNSUPPORTED


class UnsupportedBackendError(EvaluationError):
    """The worker is set to a backend that cannot run this request here."""

    kind = FailureKind.UNSUPPORTED


class DatasetMissingError(EvaluationError):
    """A benchmark's data is not in the offline mirror."""

    kind = FailureKind.DATASET_MISSING
