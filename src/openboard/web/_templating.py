"""The templates' Jinja environment.

Pages read their data as `row.model`, `board.total`: Jinja looks such a name up as an attribute
first and as a key second, so on a dict every lookup raised and caught an AttributeError (a
board page does about 1,500 of them: a few milliseconds). A dict's keys are looked up first here;
a key named like a dict method (`items`, `get`) would shadow the method, and no page data has one.
"""

from pathlib import Path
from typing import Any

import jinja2

__all__ = ["PageEnvironment"]


class PageEnvironment(jinja2.Environment):
    def __init__(self, directory: Path) -> None:
        super().__init__(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=jinja2.select_autoescape(),
            # The templates ship with the package and change only with it (and a restart):
            # checking each file's time on every page cost ~3% of a loaded server's CPU.
            auto_reload=False,
        )

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)
