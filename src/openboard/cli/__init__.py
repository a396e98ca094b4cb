"""The command line: `openboard --help`."""

from openboard.cli._main import app, main

__all__ = ["app", "main"]
