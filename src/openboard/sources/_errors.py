from openboard.domain import OpenboardError


class SourceError(OpenboardError):
    """A model or revision could not be read from its source."""


class ModelNotFoundError(SourceError):
    pass


class RevisionNotFoundError(SourceError):
    pass
