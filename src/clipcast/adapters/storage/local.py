"""Object storage on local disk: one file per key under a root directory."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import stat as stat_mode
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from clipcast.adapters.storage.base import (
    MIN_PART_BYTES,
    InvalidKey,
    ObjectInfo,
    ObjectMissing,
    PartsRefused,
    PendingUpload,
    UploadMissing,
    check_key,
    check_part_number,
    check_range,
)

CHUNK = 256 * 1024
_FALLBACK_TYPE = "application/octet-stream"
# Content types live in a parallel tree. Its name starts with a dot, which no key segment may,
# so it never collides with an object; listings skip it along with temp files.
_META = ".meta"
# Multipart uploads in progress, one directory per upload id: the target key, its type, and
# one file per part named "{number:05d}-{md5}" (the name carries the ETag, so a part and its
# ETag can never disagree after a crash).
_MULTIPART = ".multipart"
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
# A path that is missing, or a directory where a file was expected, is simply no object.
_NO_OBJECT = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


class LocalStorage:
    """Stores each object as the file `root/<key>`, so the CDN route can sendfile it."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def local_path(self, key: str) -> Path:
        """Where the object for `key` lives (or would live) on disk."""
        return self._root / check_key(key)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        # A copy, not a hard link: with a link, a later edit of the caller's file would change
        # an object that clients may already have cached under its ETag.
        await self._put(key, content_type, lambda tmp: shutil.copyfile(path, tmp))

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await self._put(key, content_type, lambda tmp: tmp.write_bytes(data))

    async def _put(self, key: str, content_type: str, fill: Callable[[Path], object]) -> None:
        dest = self.local_path(key)
        # The type goes first: once an object is visible, its type is already beside it.
        meta = content_type.encode()
        await asyncio.to_thread(
            _replace_atomic, self._meta_path(key), lambda t: t.write_bytes(meta)
        )
        await asyncio.to_thread(_replace_atomic, dest, fill)

    async def stat(self, key: str) -> ObjectInfo | None:
        return await asyncio.to_thread(self._stat, key, self.local_path(key))

    def _stat(self, key: str, path: Path) -> ObjectInfo | None:
        try:
            st = path.stat()
        except _NO_OBJECT:
            return None
        if not stat_mode.S_ISREG(st.st_mode):
            return None
        try:
            content_type = self._meta_path(key).read_text()
        except _NO_OBJECT:
            content_type = _FALLBACK_TYPE  # a file placed by hand, not through put_*
        etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
        return ObjectInfo(size=st.st_size, etag=etag, content_type=content_type)

    async def read_range(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        check_range(start, end)
        f = await asyncio.to_thread(_open_object, key, self.local_path(key))
        try:
            await asyncio.to_thread(f.seek, start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                chunk = await asyncio.to_thread(f.read, CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(f.close)

    async def get_bytes(self, key: str) -> bytes:
        return await asyncio.to_thread(_read_all, key, self.local_path(key))

    async def download_file(self, key: str, dest: Path) -> None:
        src = self.local_path(key)
        await asyncio.to_thread(_replace_atomic, dest, lambda tmp: _copy_object(key, src, tmp))

    async def delete(self, key: str) -> None:
        path = self.local_path(key)
        await asyncio.to_thread(self._delete_one, key, path)

    def _delete_one(self, key: str, path: Path) -> None:
        with contextlib.suppress(*_NO_OBJECT):
            if stat_mode.S_ISREG(path.stat().st_mode):
                path.unlink(missing_ok=True)
                self._meta_path(key).unlink(missing_ok=True)

    async def delete_prefix(self, prefix: str) -> int:
        # Demanding the trailing slash keeps "videos/ab/" from also deleting "videos/abc/…".
        if not prefix.endswith("/"):
            raise InvalidKey(f"delete_prefix needs a prefix ending in '/': {prefix!r}")
        base = check_key(prefix.removesuffix("/"))
        return await asyncio.to_thread(self._delete_tree, base)

    def _delete_tree(self, base: str) -> int:
        keys = _walk_keys(self._root, base)
        for key in keys:
            (self._root / key).unlink(missing_ok=True)
            self._meta_path(key).unlink(missing_ok=True)
        _remove_empty_dirs(self._root, base)
        _remove_empty_dirs(self._root / _META, base)
        return len(keys)

    async def list_keys(self, prefix: str) -> list[str]:
        if prefix:
            check_key(prefix.removesuffix("/"))
        # Walk only the deepest directory the prefix names; filter the rest by string prefix.
        keys = await asyncio.to_thread(_walk_keys, self._root, prefix.rpartition("/")[0])
        return sorted(k for k in keys if k.startswith(prefix))

    async def start_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        upload_id = uuid.uuid4().hex
        await asyncio.to_thread(self._start_multipart, upload_id, key, content_type)
        return upload_id

    def _start_multipart(self, upload_id: str, key: str, content_type: str) -> None:
        staged = self._root / _MULTIPART / upload_id
        staged.mkdir(parents=True)
        (staged / "type").write_text(content_type)
        (staged / "key").write_text(key)  # last: a directory without it is not an upload yet

    async def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        check_part_number(number)
        staged = self._staged(key, upload_id)
        return await asyncio.to_thread(_store_part, key, upload_id, staged, number, data)

    async def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> None:
        staged = self._staged(key, upload_id)
        files = await asyncio.to_thread(_chosen_parts, key, upload_id, staged, parts)
        content_type = await asyncio.to_thread(_read_text, staged / "type", key, upload_id)
        await self._put(key, content_type, lambda tmp: _join(files, tmp))
        await asyncio.to_thread(shutil.rmtree, staged, True)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        if _UPLOAD_ID.fullmatch(upload_id):
            await asyncio.to_thread(shutil.rmtree, self._root / _MULTIPART / upload_id, True)

    async def list_multipart(self, prefix: str) -> list[PendingUpload]:
        if prefix:
            check_key(prefix.removesuffix("/"))
        return await asyncio.to_thread(self._list_multipart, prefix)

    def _list_multipart(self, prefix: str) -> list[PendingUpload]:
        found = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self._root / _MULTIPART):
                try:
                    key_file = Path(entry.path) / "key"
                    key, started = key_file.read_text(), key_file.stat().st_mtime
                except _NO_OBJECT:
                    continue  # being started, completed or aborted right now
                if key.startswith(prefix):
                    when = datetime.fromtimestamp(started, UTC)
                    found.append(PendingUpload(key=key, upload_id=entry.name, started=when))
        return sorted(found, key=lambda p: (p.key, p.started))

    def _staged(self, key: str, upload_id: str) -> Path:
        check_key(key)
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise UploadMissing(upload_id)
        return self._root / _MULTIPART / upload_id

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        if not os.access(self._root, os.W_OK | os.X_OK):
            raise PermissionError(f"media directory is not writable: {self._root}")

    async def close(self) -> None:
        return None

    def _meta_path(self, key: str) -> Path:
        return self._root / _META / key


def _read_text(path: Path, key: str, upload_id: str) -> str:
    try:
        return path.read_text()
    except _NO_OBJECT as exc:
        raise UploadMissing(f"{key} {upload_id}") from exc


def _store_part(key: str, upload_id: str, staged: Path, number: int, data: bytes) -> str:
    if _read_text(staged / "key", key, upload_id) != key:
        raise UploadMissing(f"{key} {upload_id}")
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    name = f"{number:05d}-{digest}"
    _replace_atomic(staged / name, lambda tmp: tmp.write_bytes(data))
    for older in staged.glob(f"{number:05d}-*"):
        if older.name != name:
            older.unlink(missing_ok=True)
    if not (staged / "key").exists():  # aborted or completed while this part was written
        shutil.rmtree(staged, ignore_errors=True)
        raise UploadMissing(f"{key} {upload_id}")
    return f'"{digest}"'


def _chosen_parts(
    key: str, upload_id: str, staged: Path, parts: Sequence[tuple[int, str]]
) -> list[Path]:
    """The files of the named parts, in order, after checking them as S3 does."""
    if _read_text(staged / "key", key, upload_id) != key:
        raise UploadMissing(f"{key} {upload_id}")
    numbers = [check_part_number(number) for number, _ in parts]
    if not parts or numbers != sorted(set(numbers)):
        raise PartsRefused("parts must be named once each, in ascending order")
    files = [staged / f"{number:05d}-{etag.strip(chr(34))}" for number, etag in parts]
    for path in files:
        if not path.is_file():
            raise PartsRefused(f"part {path.name} is not stored (or has another ETag)")
    if any(path.stat().st_size < MIN_PART_BYTES for path in files[:-1]):
        raise PartsRefused(f"every part but the last must be at least {MIN_PART_BYTES} bytes")
    return files


def _join(files: list[Path], dest: Path) -> None:
    with dest.open("wb") as out:
        for path in files:
            with path.open("rb") as part:
                _append(part, out, path.stat().st_size)


def _append(src: BinaryIO, out: BinaryIO, size: int) -> None:
    """Copy `size` bytes in the kernel where it can (no trip through Python's memory)."""
    try:
        while size > 0:
            copied = os.copy_file_range(src.fileno(), out.fileno(), size)
            if copied == 0:
                break
            size -= copied
    except OSError:  # across file systems on old kernels, or not supported here
        shutil.copyfileobj(src, out, 1024 * 1024)
        out.flush()  # before the next part is copied at the descriptor's position


def _open_object(key: str, path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except _NO_OBJECT as exc:
        raise ObjectMissing(key) from exc


def _read_all(key: str, path: Path) -> bytes:
    with _open_object(key, path) as f:
        return f.read()


def _copy_object(key: str, src: Path, tmp: Path) -> None:
    try:
        shutil.copyfile(src, tmp)
    except _NO_OBJECT as exc:
        raise ObjectMissing(key) from exc


def _replace_atomic(dest: Path, fill: Callable[[Path], object]) -> None:
    """Let `fill` write a temp file beside `dest`, then swap it in: readers see old or new."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A leading dot keeps half-written files out of listings; pid + clock keep writers apart.
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        fill(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            # The kernel stamps mtime from a coarse (~ms) clock; an exact stamp keeps the ETag
            # different when an object is rewritten with the same size within one tick.
            now = time.time_ns()
            os.utime(fd, ns=(now, now))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _walk_keys(root: Path, base: str) -> list[str]:
    keys = []
    for dirpath, dirnames, filenames in os.walk(root / base):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = Path(dirpath).relative_to(root).as_posix()
        keys += [n if rel == "." else f"{rel}/{n}" for n in filenames if not n.startswith(".")]
    return keys


def _remove_empty_dirs(root: Path, base: str) -> None:
    """Remove empty directories under `root/base`, then its parents that became empty."""
    top = root / base
    for dirpath, _, _ in os.walk(top, topdown=False):
        with contextlib.suppress(OSError):  # not empty: a concurrent write, or a skipped file
            os.rmdir(dirpath)
    for parent in top.parents:
        if parent == root or not parent.is_relative_to(root):
            return
        try:
            parent.rmdir()
        except OSError:
            return
