"""The child process of `judge_answers`: it judges in its own main thread, where Math-Verify's
signal-based timeouts work. Run as `python -m openboard.evaluation._judge_child CHECK TIMEOUT`."""

import importlib
import json
import logging
import sys

__all__ = ["serve"]


class _TimeoutSeen(logging.Handler):
    """Math-Verify says "Timeout during parsing/comparison" and returns False: the one way to tell
    a timed-out answer (retried once: a loaded machine is slow, not wrong) from a wrong one."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen = self.seen or record.getMessage().startswith("Timeout during")


def serve(check_name: str, timeout_seconds: int) -> None:
    """The child: a JSON list of [solution, generation] pairs per line in, one verdict per line
    out: 1 right, 0 wrong, t wrong after a timeout."""
    seen = _TimeoutSeen()
    for name in ("math_verify", "latex2sympy2_extended"):
        logging.getLogger(name).handlers = [seen]
        logging.getLogger(name).propagate = False
    module, _, name = check_name.partition(":")
    check = getattr(importlib.import_module(module), name)
    check("$1$", "$1$", timeout_seconds)  # imports sympy and Math-Verify before "ready"
    print("ready", flush=True)
    for line in sys.stdin:
        for solution, generation in json.loads(line):
            seen.seen = False
            try:
                verdict = bool(check(solution, generation, timeout_seconds))
            except Exception:  # noqa: BLE001 - an answer Math-Verify cannot read is not right
                verdict = False
            print("1" if verdict else "t" if seen.seen else "0", flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
