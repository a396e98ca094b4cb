"""This test's own processes, found through /proc by parentage and process group, never by name:
another openboard on the machine (a developer's worker, a parallel test run) cannot disturb them."""

import os
from pathlib import Path

_PROC = Path("/proc")


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of `pid`, or None when it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the command name in parentheses may hold spaces
    return fields[0], int(fields[1]), int(fields[2])


def _all() -> dict[int, tuple[str, int, int]]:
    found = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def evaluation_groups(root: int | None = None) -> set[int]:
    """Process groups of the evaluation processes below `root` (default: this test process):
    each evaluation runs in a session of its own, whose id is its pid."""
    table = _all()
    below, frontier = set(), {root or os.getpid()}
    while frontier:
        frontier = {pid for pid, (_, parent, _) in table.items() if parent in frontier} - below
        below |= frontier
    return {
        pid for pid in below
        if table[pid][2] == pid and b"openboard.worker._child" in _cmdline(pid)
    }  # fmt: skip


def _cmdline(pid: int) -> bytes:
    try:
        return (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def alive_in(groups: set[int]) -> list[int]:
    """Processes still running (not zombies) in these process groups."""
    return sorted(
        pid for pid, (state, _, group) in _all().items() if group in groups and state != "Z"
    )
