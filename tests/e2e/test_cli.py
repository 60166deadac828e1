"""The `clipcast` command against a running server: upload with --wait, videos ls, migrate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import running_server
from tests.media import make_video

pytestmark = pytest.mark.slow

CLIPCAST = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path / "data", {"CLIPCAST_LADDER": "[240]"}) as url:
        httpx.post(
            f"{url}/api/v1/auth/register", json={"username": "cli", "password": "cli password"}
        )
        yield url


def _cli(server: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLIPCAST_SERVER_URL": server, "COLUMNS": "200"}
    return subprocess.run(
        [CLIPCAST, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_upload_with_wait_reports_ready_and_videos_ls_lists_it(server: str, tmp_path: Path) -> None:
    source = make_video(tmp_path / "clip.mp4", seconds=3)
    done = _cli(
        server,
        "upload",
        str(source),
        "--title",
        "From the CLI",
        "--wait",
        "--username",
        "cli",
        "--password",
        "cli password",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "uploaded: video" in done.stdout
    assert "ready" in done.stdout
    assert "/cdn/videos/" in done.stdout
    listed = _cli(server, "videos", "ls")
    assert listed.returncode == 0
    assert "From the CLI" in listed.stdout
    assert "1 video(s)" in listed.stdout


def test_upload_of_a_bad_file_exits_non_zero_with_the_reason(server: str, tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("just some text, not a video\n" * 10)
    done = _cli(
        server,
        "upload",
        str(bad),
        "--title",
        "Bad",
        "--wait",
        "--username",
        "cli",
        "--password",
        "cli password",
    )
    assert done.returncode == 1
    assert "failed" in done.stdout
    assert "not a video" in done.stdout


def test_wrong_password_is_a_clear_error(server: str, tmp_path: Path) -> None:
    source = tmp_path / "x.mp4"
    source.write_bytes(b"x" * 10)
    done = _cli(
        server,
        "upload",
        str(source),
        "--title",
        "x",
        "--username",
        "cli",
        "--password",
        "wrong password",
    )
    assert done.returncode != 0
    assert "Wrong username or password" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_migrate_creates_the_schema_from_zero(tmp_path: Path) -> None:
    env = {**os.environ, "CLIPCAST_DATA_DIR": str(tmp_path / "fresh")}
    done = subprocess.run(
        [CLIPCAST, "migrate"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fresh" / "clipcast.db").stat().st_size > 0
