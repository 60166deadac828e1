"""Running `clipcast serve` as a child process on a free loopback port, for tests, benchmarks
and scripts (stopped by its pid)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `clipcast serve` (it migrates itself); yield its base URL; stop it by its pid."""
    with running_server_process(data_dir, env) as (url, _pid):
        yield url


@contextmanager
def running_server_process(
    data_dir: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """`running_server`, also yielding the server's pid (benchmarks read its CPU time)."""
    port = free_port()
    exe = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"
    log = (data_dir.parent / f"server-{port}.log").open("wb")
    full_env = {
        **os.environ,
        "CLIPCAST_DATA_DIR": str(data_dir),
        "CLIPCAST_WORKER_POLL_SECONDS": "0.1",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc, data_dir.parent / f"server-{port}.log")
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"clipcast serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/api/v1/videos", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"clipcast serve did not come up: {log.read_text()[-3000:]}")
