"""The root of openboard's exception hierarchy: every error says what was wrong and how to fix it."""


class OpenboardError(Exception):
    """Base class. `hint` tells the user what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidModelIdError(OpenboardError, ValueError):
    """A model id that does not follow the Hub grammar `org/name`."""
