"""A worker whose role dies says why and exits non-zero, so its supervisor restarts it.

It used to idle on, half-alive: an edge worker whose consumer group name the bus refused
logged only "running roles: edge" and never wrote its gate."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.e2e.cluster import EXE


def test_a_worker_whose_role_dies_exits_non_zero_and_logs_the_reason(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    env = {
        **os.environ,
        "CLIPCAST_DATA_DIR": str(tmp_path / "data"),
        "CLIPCAST_EDGE_GATE_DIR": str(not_a_dir / "gate"),  # the gate cannot be made
    }
    done = subprocess.run(
        [EXE, "worker", "--role", "edge"], env=env, capture_output=True, text=True, timeout=120
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "role task _run_edge failed" in output
    assert "NotADirectoryError" in output
