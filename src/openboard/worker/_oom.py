"""Whether the kernel killed for memory: its out-of-memory kill counters, read before and after.

A SIGKILL of the evaluation process is either the kernel's out-of-memory killer (the model does
not fit: trying again is futile) or someone outside (an operator, a runaway script: worth another
try). The counters tell them apart: the evaluation's cgroup (v2 `memory.events`, v1
`memory.oom_control`, both `oom_kill N`) and the kernel's own count (`/proc/vmstat`).
"""

from collections.abc import Iterable
from pathlib import Path

_PROC = Path("/proc")
_CGROUP = Path("/sys/fs/cgroup")


def counter_files(proc: Path = _PROC, cgroup_root: Path = _CGROUP) -> list[Path]:
    """This process's cgroup counters (the evaluation inherits its cgroup) and the kernel's."""
    files: list[Path] = []
    try:
        lines = (proc / "self" / "cgroup").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2: one unified hierarchy
            files.append(cgroup_root / path.lstrip("/") / "memory.events")
        elif "memory" in controllers.split(","):  # v1; in a container the mount is its own root
            files.append(cgroup_root / "memory" / path.lstrip("/") / "memory.oom_control")
            files.append(cgroup_root / "memory" / "memory.oom_control")
    files.append(proc / "vmstat")
    return files


def read_counters(files: Iterable[Path]) -> dict[Path, int]:
    """`oom_kill` from each file that exists and has it."""
    counters: dict[Path, int] = {}
    for file in files:
        try:
            text = file.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                counters[file] = int(value)
    return counters


def oom_kill_between(before: dict[Path, int], after: dict[Path, int]) -> Path | None:
    """The counter that moved (an out-of-memory kill happened meanwhile), or None."""
    return next((file for file, n in after.items() if n > before.get(file, n)), None)
