"""Several clipcast processes sharing PostgreSQL, S3 (SeaweedFS) and NATS, as in scaled mode."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.server import free_port

EXE = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str | None = None

    def kill9(self) -> None:
        """A crash: SIGKILL, no chance to release anything."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Cluster:
    """Starts `clipcast api` and `clipcast worker` processes with one shared environment."""

    root: Path
    env: dict[str, str]
    procs: list[Proc] = field(default_factory=list)

    def _spawn(self, name: str, argv: list[str], extra: dict[str, str] | None) -> Proc:
        data = self.root / name
        data.mkdir(parents=True, exist_ok=True)
        log = self.root / f"{name}.log"
        env = {**os.environ, **self.env, "CLIPCAST_DATA_DIR": str(data), **(extra or {})}
        with log.open("ab") as out:
            process = subprocess.Popen([EXE, *argv], env=env, stdout=out, stderr=subprocess.STDOUT)
        proc = Proc(name, process, log)
        self.procs.append(proc)
        return proc

    def api(self, name: str, extra: dict[str, str] | None = None) -> Proc:
        port = free_port()
        proc = self._spawn(name, ["api", "--host", "127.0.0.1", "--port", str(port)], extra)
        proc.url = f"http://127.0.0.1:{port}"
        _wait(lambda: httpx.get(f"{proc.url}/healthz", timeout=2).status_code == 200, proc)
        return proc

    def worker(self, name: str, *roles: str, extra: dict[str, str] | None = None) -> Proc:
        argv = ["worker", *(a for r in roles for a in ("--role", r))]
        proc = self._spawn(name, argv, extra)
        _wait(lambda: "running roles" in proc.log.read_text(errors="replace"), proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


def _wait(ready: object, proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if ready():  # type: ignore[operator]
                return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not start:\n{proc.tail()}")


def scaled_environment(
    *, database_url: str, s3_url: str, bucket: str, nats_url: str, prefix: str, search_dir: Path
) -> dict[str, str]:
    """The settings every process of one scaled deployment shares."""
    return {
        "CLIPCAST_DATABASE_URL": database_url,
        "CLIPCAST_STORAGE_BACKEND": "s3",
        "CLIPCAST_S3_ENDPOINT_URL": s3_url,
        "CLIPCAST_S3_BUCKET": bucket,
        "CLIPCAST_BUS_BACKEND": "nats",
        "CLIPCAST_NATS_URL": nats_url,
        "CLIPCAST_NATS_PREFIX": prefix,
        "CLIPCAST_SECRET_KEY": "one key for every process",
        "CLIPCAST_SEARCH_DIR": str(search_dir),
        "CLIPCAST_WORKER_POLL_SECONDS": "0.1",
    }


@contextlib.contextmanager
def cluster(root: Path, env: dict[str, str]) -> Iterator[Cluster]:
    running = Cluster(root, env)
    try:
        yield running
    finally:
        running.stop_all()
