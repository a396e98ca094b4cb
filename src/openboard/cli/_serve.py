"""`openboard serve --workers N`: N server processes on one port (SO_REUSEPORT: the kernel spreads
connections over them), each building its app from the same settings. Kept-alive connections are
spread evenly over the processes (cli/_balance.py).

Each process opens its own TCP socket. Handing one inherited socket to child processes (uvicorn's
own --workers) loses TCP_NODELAY on its connections, and every keep-alive response then waits
about 40 ms for a delayed ACK.

Every process runs uvicorn on uvloop with httptools' parser (dependencies of openboard, named
here so that a missing one is an error, not a quiet fallback): a kept page costs ~0.3 ms that way,
against ~1.5 ms on asyncio with h11 (bench/web_load.py: 2,800 against 540 requests/s).
"""

import multiprocessing
import os
import shutil
import signal
import socket
from collections.abc import MutableSequence
from pathlib import Path
from types import FrameType

from openboard.cli._balance import BalancedServer, ConnectionShares
from openboard.cli._context import Context
from openboard.config import load_settings

# No access log: at the warning level it printed nothing, yet every response still built its
# line's arguments (the path quoted again, the client address).
SERVER_OPTIONS: dict[str, str | bool] = {
    "loop": "uvloop", "http": "httptools", "log_level": "warning", "access_log": False,
}  # fmt: skip


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _serve_one(host: str, port: int, slots: MutableSequence[int], index: int) -> None:
    app = Context.open(load_settings()).web_app()
    server = BalancedServer(app, ConnectionShares(slots, index), **SERVER_OPTIONS)
    server.run(sockets=[_listen(host, port)])


def share_metrics(home: Path) -> None:
    """Give the processes one prometheus-client multiprocess directory, emptied first (its files
    are counters of processes that no longer exist), so that /metrics sums them all."""
    folder = home / "run" / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def serve_processes(host: str, port: int, workers: int) -> None:
    context = multiprocessing.get_context("spawn")
    slots = context.RawArray("q", workers)  # each process's open connections
    processes = [context.Process(target=_serve_one, args=(host, port, slots, index))
                 for index in range(workers)]  # fmt: skip
    for process in processes:
        process.start()

    def stop(signum: int, _: FrameType | None) -> None:
        for process in processes:
            if process.pid is not None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
