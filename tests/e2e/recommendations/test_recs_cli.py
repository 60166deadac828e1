"""`clipcast recs refresh` as an operator runs it: every user, or named users."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CLIPCAST = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"
pytestmark = pytest.mark.slow


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLIPCAST_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [CLIPCAST, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_refresh_all_then_an_unknown_user_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert _cli(data_dir, "migrate").returncode == 0
    done = _cli(data_dir, "recs", "refresh")
    assert done.returncode == 0, done.stderr
    assert "recommendations refreshed: 0 user(s)" in done.stdout
    refused = _cli(data_dir, "recs", "refresh", "--user", "nobody")
    assert refused.returncode != 0
    assert "no such user: nobody" in refused.stdout + refused.stderr
