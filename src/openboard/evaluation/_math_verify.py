"""MATH Lvl 5 answers judged with Math-Verify, as the public leaderboard re-scored them in 2025-02.

The settings are those of lm-eval's frozen `leaderboard/math/utils.py` (the code the public site
ran for its re-scoring): the generation is parsed with Math-Verify's default extraction (LaTeX and
plain expressions, first match), the gold answer is the `\\boxed{}` of the reference solution parsed
as LaTeX, and `verify(gold, prediction)` compares them with its defaults (6-digit float rounding,
strict). Math-Verify bounds its own work with `signal.alarm`, which works only in a process's main
thread; so every judgement runs in the main thread of a child process, and the parent also holds
a deadline per answer: an answer whose judgement stalls (in C, where no signal reaches) has its
child killed, and the rest of the batch carries on in a fresh child. An answer that timed out
either way is tried once more (a loaded machine is slow, not wrong), then counts as wrong.
"""

import contextlib
import json
import os
import selectors
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

TIMEOUT_SECONDS = 5  # Math-Verify's own limit for each parse and each comparison
_CHUNK = 64
_STARTUP_SECONDS = 120.0  # a child imports sympy before its first answer
_JUDGE = "openboard.evaluation._math_verify:judge_answer"


def judge_answer(solution: str, generation: str, timeout_seconds: int) -> bool:
    """One verdict; runs in a child's main thread, where Math-Verify's timeouts work."""
    from math_verify import LatexExtractionConfig, parse, verify

    gold = parse(
        solution, extraction_config=[LatexExtractionConfig()], parsing_timeout=timeout_seconds
    )
    prediction = parse(generation, parsing_timeout=timeout_seconds)
    return bool(verify(gold, prediction, timeout_seconds=timeout_seconds))


@dataclass
class _Child:
    process: subprocess.Popen[str]
    ready: bool = False
    work: deque[int] = field(default_factory=deque)  # indices still owed, in order
    deadline: float = 0.0
    unread: str = ""  # a line the child has begun to write


def judge_answers(
    pairs: Sequence[tuple[str, str]],
    *,
    workers: int | None = None,
    timeout_seconds: int = TIMEOUT_SECONDS,
    check: str = _JUDGE,
) -> list[bool]:
    """Math-Verify's verdict on each (reference solution, generation), in order, from any thread.

    `check` names the judging function (`module:function`) the children import."""
    with JudgePool(workers=workers, timeout_seconds=timeout_seconds, check=check) as pool:
        return pool(pairs)


class JudgePool:
    """Judging children kept from one batch to the next, so that a `rescore --all` starts them
    (each imports sympy) once, not once per request. Close it (or use it as a context manager)."""

    def __init__(
        self, *, workers: int | None = None, timeout_seconds: int = TIMEOUT_SECONDS,
        check: str = _JUDGE,
    ) -> None:  # fmt: skip
        self._workers = workers or os.cpu_count() or 1
        self._timeout = timeout_seconds
        self._check = check
        self._selector = selectors.DefaultSelector()
        self._children: list[_Child] = []
        self.started = 0  # judge processes started so far (a killed one is replaced)

    def __enter__(self) -> "JudgePool":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for child in self._children:
            _stop(child, self._selector, kill=False)
        self._children.clear()
        self._selector.close()

    def _start(self) -> _Child:
        process = subprocess.Popen(
            [sys.executable, "-m", "openboard.evaluation._judge_child", self._check,
             str(self._timeout)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )  # fmt: skip
        child = _Child(process, deadline=time.monotonic() + _STARTUP_SECONDS)
        assert process.stdout is not None
        self.started += 1
        self._selector.register(process.stdout, selectors.EVENT_READ, child)
        return child

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[bool]:
        if not pairs:
            return []
        verdicts: list[bool | None] = [None] * len(pairs)
        todo = deque(range(len(pairs)))
        retried: set[int] = set()
        children, selector = self._children, self._selector

        def timed_out(index: int) -> None:
            if index in retried:
                verdicts[index] = False
            else:
                retried.add(index)
                todo.append(index)

        def replace(child: _Child) -> None:
            """A stalled or dead child is killed: its current answer is wrong, the rest go back."""
            _stop(child, selector, kill=True)
            if child.work:
                stalled = child.work.popleft()
                todo.extendleft(reversed(child.work))
                timed_out(stalled)
            children[children.index(child)] = self._start()

        per_answer = (
            6 * self._timeout + 10.0
        )  # two parses and a comparison, slack for a busy machine
        while len(children) < max(1, min(self._workers, -(-len(pairs) // _CHUNK))):
            children.append(self._start())
        while todo or any(c.work for c in children):
            for child in children:
                if child.ready and not child.work and todo:
                    indices = [todo.popleft() for _ in range(min(_CHUNK, len(todo)))]
                    child.work.extend(indices)
                    assert child.process.stdin is not None
                    child.process.stdin.write(json.dumps([pairs[i] for i in indices]) + "\n")
                    child.process.stdin.flush()
                    child.deadline = time.monotonic() + per_answer
            waiting = [c for c in children if c.work or not c.ready]
            timeout = max(0.0, min(c.deadline for c in waiting) - time.monotonic())
            for key, _ in selector.select(timeout):
                child = key.data
                assert child.process.stdout is not None
                # Straight from the pipe: a buffered readline could keep a second line where
                # select no longer sees it, and the child would look stalled.
                data = os.read(child.process.stdout.fileno(), 65536)
                if not data:  # the child died
                    replace(child)
                    continue
                child.unread += data.decode()
                *lines, child.unread = child.unread.split("\n")
                for line in (raw.strip() for raw in lines):
                    if line == "ready":
                        child.ready = True
                    elif line and child.work:
                        index = child.work.popleft()
                        if line == "t":
                            timed_out(index)
                        else:
                            verdicts[index] = line == "1"
                        child.deadline = time.monotonic() + per_answer
            for child in list(children):
                if (child.work or not child.ready) and time.monotonic() > child.deadline:
                    replace(child)
        return [bool(v) for v in verdicts]


def _stop(child: _Child, selector: selectors.BaseSelector, *, kill: bool) -> None:
    assert child.process.stdin is not None and child.process.stdout is not None
    selector.unregister(child.process.stdout)
    if kill:
        child.process.kill()
    else:
        with contextlib.suppress(OSError):
            child.process.stdin.close()  # end of input: the child exits
    try:
        child.process.wait(5)
    except subprocess.TimeoutExpired:
        child.process.kill()
        child.process.wait()
    child.process.stdout.close()
    if not child.process.stdin.closed:
        child.process.stdin.close()
