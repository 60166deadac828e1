"""The gate files nginx checks: exactly the public videos and each video's current key."""

from __future__ import annotations

import uuid
from pathlib import Path

from clipcast.cdn.access import MediaAccess
from clipcast.edge.gate import Gate

A = uuid.UUID("11111111-1111-4111-8111-111111111111")
B = uuid.UUID("22222222-2222-4222-8222-222222222222")


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_sync_writes_exactly_the_public_videos_and_current_keys(tmp_path: Path) -> None:
    gate = Gate(tmp_path / "gate")
    gate.create()
    gate.sync([(A, MediaAccess(True, 0)), (B, MediaAccess(False, 2))])
    assert _files(gate.root) == {f"public/{A}", f"keys/{A}/0", f"keys/{B}/2"}
    gate.sync([(B, MediaAccess(True, 3))])  # A deleted, B public at a new key version
    assert _files(gate.root) == {f"public/{B}", f"keys/{B}/3"}


def test_apply_narrows_revokes_and_deletes(tmp_path: Path) -> None:
    gate = Gate(tmp_path / "gate")
    gate.create()
    gate.apply(A, MediaAccess(True, 0))
    gate.apply(A, MediaAccess(False, 1))
    assert _files(gate.root) == {f"keys/{A}/1"}
    gate.apply(A, None)
    assert _files(gate.root) == set()
