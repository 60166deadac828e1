"""NATS for tests: the shared server at 127.0.0.1:4222, and private ones a fault test may kill."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from shutil import which

from tests.services import reachable, require

NATS_HOST, NATS_PORT = "127.0.0.1", 4222
NATS_URL = f"nats://{NATS_HOST}:{NATS_PORT}"
START_TIMEOUT = 10.0


def require_nats() -> None:
    require(reachable(NATS_HOST, NATS_PORT), f"NATS at {NATS_URL}")


def unique_prefix() -> str:
    """A stream prefix of one test's own, so tests never see each other's streams."""
    return f"t{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((NATS_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _binary() -> str | None:
    found = which("nats-server") or "/usr/sbin/nats-server"  # Debian puts it in sbin
    return found if Path(found).exists() else None


class PrivateNats:
    """A nats-server with JetStream of our own, which a test may SIGKILL and start again."""

    def __init__(self, store_dir: Path) -> None:
        self.port = free_port()
        self.store_dir = store_dir
        self.url = f"nats://{NATS_HOST}:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = _binary()
        assert binary is not None
        argv = [binary, "-a", NATS_HOST, "-p", str(self.port), "-js", "-sd", str(self.store_dir)]
        with (self.store_dir.parent / f"nats-{self.port}.log").open("ab") as log:
            self._process = subprocess.Popen(argv, stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while not reachable(NATS_HOST, self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nats-server on port {self.port} did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as a crash or power cut would stop it; only the process we started."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)
        self._process = None


@contextlib.contextmanager
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    require(_binary() is not None, "the nats-server binary")
    server = PrivateNats(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.kill()
