"""The gate: files the edge's nginx tests with `-f` to learn who may fetch a video's media.

`public/{video_id}` exists while the video is public; `keys/{video_id}/{key_version}` exists
for the video's current key version, the only one whose tokens nginx accepts. A video with no
files (deleted, or not known yet) is refused. Kept by `clipcast worker --role edge` from the
bus and SQL, read by nginx on every media request: a change is in force as soon as the file
is written or removed, with no reload. Removals go first, so a change never widens access
for a moment on its way to narrowing it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from clipcast.cdn.access import MediaAccess


class Gate:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._public = root / "public"
        self._keys = root / "keys"

    def create(self) -> None:
        for folder in (self.root, self._public, self._keys):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o755)  # nginx's workers read it, whatever user they run as

    def apply(self, video_id: uuid.UUID, access: MediaAccess | None) -> None:
        """Make the files say `access` (None: no such video)."""
        keys = self._keys / str(video_id)
        if access is None or not access.public:
            (self._public / str(video_id)).unlink(missing_ok=True)
        if access is None:
            shutil.rmtree(keys, ignore_errors=True)
            return
        _converge(keys, {str(access.key_version)})
        if access.public:
            _touch(self._public / str(video_id))

    def sync(self, videos: Iterable[tuple[uuid.UUID, MediaAccess]]) -> int:
        """Make the files say exactly `videos` (every video there is); returns how many."""
        wanted = {str(video_id): access for video_id, access in videos}
        _converge(self._public, {v for v, a in wanted.items() if a.public})
        for gone in set(os.listdir(self._keys)) - set(wanted):
            shutil.rmtree(self._keys / gone, ignore_errors=True)
        for video, access in wanted.items():
            _converge(self._keys / video, {str(access.key_version)})
        return len(wanted)


def _converge(folder: Path, names: set[str]) -> None:
    """Exactly `names` in `folder`: extras removed first, then the missing made."""
    folder.mkdir(mode=0o755, exist_ok=True)
    present = set(os.listdir(folder))
    for name in present - names:
        (folder / name).unlink(missing_ok=True)
    for name in names - present:
        _touch(folder / name)


def _touch(path: Path) -> None:
    path.touch(mode=0o644, exist_ok=True)
