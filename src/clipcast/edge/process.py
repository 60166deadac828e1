"""Running nginx in the foreground as a child process with a config of our own, for tests,
benchmarks and scripts (stopped by its pid); production runs it under systemd (deploy/)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")


def find_nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in NGINX_PATHS if Path(p).exists()), None)


class NginxError(RuntimeError):
    pass


@dataclass
class Nginx:
    """One running nginx: its address and how to stop or restart it."""

    config: Path
    prefix: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = find_nginx()
        if exe is None:
            raise NginxError("no nginx binary: apt-get install nginx-light")
        argv = [exe, "-c", str(self.config), "-p", str(self.prefix), "-g", "daemon off;"]
        check = subprocess.run([*argv, "-t", "-q"], capture_output=True, check=False)
        if check.returncode != 0:
            raise NginxError(check.stderr.decode(errors="replace"))
        with (self.prefix / "stderr.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self._wait_listening()

    def stop(self) -> None:
        """SIGQUIT: finish the requests in hand, then exit (what `systemctl stop` does)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                tail = (self.prefix / "stderr.log").read_text(errors="replace")[-2000:]
                raise NginxError(f"nginx exited: {tail}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise NginxError("nginx did not start listening")


@contextmanager
def running_nginx(config_text: str, prefix: Path, port: int) -> Iterator[Nginx]:
    """Write `config_text` under `prefix`, start nginx on it, yield it, stop it by its pid."""
    prefix.mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(config_text)
    nginx = Nginx(config, prefix, port)
    nginx.start()
    try:
        yield nginx
    finally:
        nginx.stop()
