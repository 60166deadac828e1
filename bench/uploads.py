"""tus upload throughput by staging: local disk against object storage (multipart parts).

Real `clipcast serve` processes (SQLite, in-process workers off so no encode competes) take
the same random file over loopback, as one PATCH and in 5 MiB PATCHes (the upload page's
chunk size), from creation to the 204 of the last PATCH (which includes making the source:
a copy from the staging file, or CompleteMultipartUpload). Four set-ups: media on local disk
with local staging (the embedded default) and with storage staging; media on S3 (a SeaweedFS
started here) with storage staging (the default on S3) and with local staging. The set-ups
of one medium run side by side and take turns, round after round, so a machine whose load
changes during the run changes each figure alike; beside MiB/s each row gives the server
process's CPU seconds per GiB, which a busy machine disturbs less than wall-clock time.

The anchors, measured in the same run: for disk, writing the same bytes to a file in 1 MiB
writes with an fsync at the end, then copying it once (what local staging does at least);
for S3, boto3's `upload_fileobj` of the same bytes straight to the bucket (its own multipart
upload, 8 MiB parts on 10 threads).

    .venv/bin/python bench/uploads.py [--mib 64] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import httpx
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.seaweedfs import running_seaweedfs  # the one SeaweedFS launcher, tests' and ours

from clipcast import client
from clipcast.devserver import running_server_process

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
PAGE_CHUNK = 5 * MIB  # web/static/js/upload.js
STAGINGS = ("local", "storage")
# SeaweedFS with no identities configured accepts any key pair; clipcast's defaults are these.
S3_KEY = S3_SECRET = "clipcast"  # noqa: S105 - a throwaway local server


def upload(api: str, token: str, data: bytes, chunk: int) -> float:
    """Seconds from creating the upload to the 204 of its last PATCH."""
    auth = {**TUS, "Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=300) as http:
        began = time.perf_counter()
        created = http.post(
            f"{api}/api/v1/uploads", headers={**auth, "Upload-Length": str(len(data))}
        )
        created.raise_for_status()
        location = created.headers["location"]
        for start in range(0, len(data), chunk):
            headers = {
                **auth,
                "Upload-Offset": str(start),
                "Content-Type": "application/offset+octet-stream",
            }
            sent = http.patch(location, headers=headers, content=data[start : start + chunk])
            assert sent.status_code == 204, sent.text
        return time.perf_counter() - began


@dataclass
class Figures:
    """Timings of one set-up and one way of sending, over the rounds."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # seconds of the server process's CPU

    def rate(self, size: int) -> float:
        return size / MIB / statistics.median(self.seconds)

    def row(self, label: str, size: int, anchor: float | None = None) -> str:
        cpu = ""
        if self.cpu:
            cpu = f"{statistics.median(self.cpu) * 1024 * MIB / size:6.1f} CPU s/GiB"
        versus = f"{self.rate(size) / anchor:5.2f}× anchor" if anchor else ""
        return f"  {label:40} {self.rate(size):7.1f} MiB/s  {cpu:16} {versus}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc: Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def server(root: Path, name: str, env: dict[str, str]) -> Iterator[tuple[str, str, int]]:
    """`clipcast serve` (workers off); yields its URL, a user's token and its pid."""
    off = {"CLIPCAST_RUN_WORKERS": "false"}
    with running_server_process(root / name, off | env) as (api, pid):
        account = {"username": "bench", "password": "b3nch!pw"}
        httpx.post(f"{api}/api/v1/auth/register", json=account)
        yield api, client.login(api, account["username"], account["password"]), pid


def compare(
    root: Path, setups: dict[str, dict[str, str]], data: bytes, runs: int
) -> dict[str, Figures]:
    """Every set-up takes the file both ways, in turns, `runs` rounds."""
    figures: dict[str, Figures] = {}
    with contextlib.ExitStack() as stack:
        servers = {
            label: stack.enter_context(
                server(root, label.replace(", ", "-").replace(" ", "-"), env)
            )
            for label, env in setups.items()
        }
        for _ in range(runs):
            for label, (api, token, pid) in servers.items():
                for how, chunk in (("one PATCH", len(data)), ("5 MiB PATCHes", PAGE_CHUNK)):
                    got = figures.setdefault(f"{label}, {how}", Figures())
                    cpu = cpu_seconds(pid)
                    got.seconds.append(upload(api, token, data, chunk))
                    got.cpu.append(cpu_seconds(pid) - cpu)
    return figures


def disk_anchor(root: Path, data: bytes) -> float:
    path = root / "anchor.bin"
    began = time.perf_counter()
    with path.open("wb") as f:
        for start in range(0, len(data), MIB):
            f.write(data[start : start + MIB])
        f.flush()
        os.fsync(f.fileno())
    shutil.copyfile(path, root / "anchor-copy.bin")
    elapsed = time.perf_counter() - began
    path.unlink()
    (root / "anchor-copy.bin").unlink()
    return elapsed


def s3_client(url: str, attempts: int = 3) -> S3Client:
    config = Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": attempts},
        request_checksum_calculation="when_required",  # as clipcast's S3 adapter
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        config=config,
    )


def s3_anchor(s3_url: str, bucket: str, data: bytes) -> float:
    s3 = s3_client(s3_url)
    began = time.perf_counter()
    s3.upload_fileobj(io.BytesIO(data), bucket, f"anchor/{time.monotonic_ns()}")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data, runs = os.urandom(args.mib * MIB), args.runs
    print(f"{args.mib} MiB, median of {runs} rounds taken in turns; host {socket.gethostname()}")
    with tempfile.TemporaryDirectory(prefix="clipcast-bench-uploads-") as tmp:
        root = Path(tmp)
        disk = Figures(seconds=[disk_anchor(root, data) for _ in range(runs)])
        print(disk.row("disk anchor: write, fsync, one copy", len(data)))
        setups = {f"disk, {s} staging": {"CLIPCAST_UPLOAD_STAGING": s} for s in STAGINGS}
        for label, got in compare(root, setups, data, runs).items():
            print(got.row(label, len(data), disk.rate(len(data))))
        (root / "weed").mkdir()
        with running_seaweedfs(root / "weed") as weed, weed.temporary_bucket("bench") as bucket:
            s3_url = weed.s3_url
            s3 = {
                "CLIPCAST_STORAGE_BACKEND": "s3",
                "CLIPCAST_S3_ENDPOINT_URL": s3_url,
                "CLIPCAST_S3_BUCKET": bucket,
                "CLIPCAST_S3_ACCESS_KEY": S3_KEY,
                "CLIPCAST_S3_SECRET_KEY": S3_SECRET,
            }
            direct = Figures(seconds=[s3_anchor(s3_url, bucket, data) for _ in range(runs)])
            print(direct.row("S3 anchor: boto3 upload_fileobj", len(data)))
            setups = {f"S3, {s} staging": s3 | {"CLIPCAST_UPLOAD_STAGING": s} for s in STAGINGS}
            for label, got in compare(root, setups, data, runs).items():
                print(got.row(label, len(data), direct.rate(len(data))))


if __name__ == "__main__":
    main()
