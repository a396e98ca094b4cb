from openboard.domain import OpenboardError


class EvaluationError(OpenboardError):
    """An evaluation could not run or produced no usable score; the message becomes the FAILED reason."""
