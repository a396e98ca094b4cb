"""`openboard serve --workers 2`: two real server processes on one port, stopped together."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(p) for p in found.split()}


def test_workers_share_a_port_and_stop_together(cli_env: dict[str, str], tmp_path: Path) -> None:
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "openboard", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **cli_env}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/leaderboard", timeout=5).is_success:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (
                tmp_path / "serve.log"
            ).read_text()
            time.sleep(0.2)
        workers = _children(server.pid) - {server.pid}
        assert len(workers) >= 2  # the processes serving (spawn may add a resource tracker)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:  # keep-alive
            assert all(client.get("/").status_code == 200 for _ in range(20))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    time.sleep(0.5)
    assert not [pid for pid in workers if _alive(pid)]  # no orphan left serving


def _alive(pid: int) -> bool:
    """Running, not a zombie (an exited child reparented to a PID 1 that does not reap)."""
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
