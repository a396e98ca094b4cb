from openboard.domain import OpenboardError


class StoreError(OpenboardError):
    pass


class DuplicateRequestError(StoreError):
    """(model, sha, precision) is already pending, running or finished."""

    def __init__(
        self, existing_id: int, status: str, model: str, revision: str, precision: str
    ) -> None:
        super().__init__(
            f"{model} at {revision[:12]} in {precision} is already {status} (request #{existing_id})",
            "wait for that evaluation, or submit another revision or precision",
        )
        self.existing_id = existing_id
        self.status = status
