import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def capture_log(path: Path) -> Iterator[Path]:
    """Copy every log record (openboard's, lm-eval's, transformers') into `path` while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        handler.close()


def tail(path: Path, lines: int = 30) -> str | None:
    if not path.is_file():
        return None
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
