"""The servers a benchmark script starts: a free loopback port for each, waiting until one answers
over HTTP, and stopping them (SIGTERM, then SIGKILL after a grace period). Shared by the bench/*.py
scripts, which run as programs with bench/ on sys.path."""
from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import time
from collections.abc import Iterable


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str = "/health", timeout: float = 120) -> None:
    """Returns once GET path on 127.0.0.1:port answers with a status below 500."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on :{port}{path} within {timeout}s")


def stop_processes(procs: Iterable[subprocess.Popen | None], grace: float = 10) -> None:
    """SIGTERM to every process still running, then waits for each; one that outlives the grace
    period is killed."""
    running = [p for p in procs if p is not None and p.poll() is None]
    for p in running:
        p.send_signal(signal.SIGTERM)
    for p in running:
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
