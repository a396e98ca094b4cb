from openboard.domain import OpenboardError

__all__ = ["ArchiveError", "ArchiveFileError"]


class ArchiveError(OpenboardError):
    """The archive as a whole cannot be read (no such folder, an unreadable contents table)."""


class ArchiveFileError(ArchiveError):
    """One archive file cannot be imported: it is skipped and reported, the others go on."""
