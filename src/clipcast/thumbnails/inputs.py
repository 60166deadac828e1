"""Local input files for ffmpeg, made from published clips: an init segment, then clips."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.thumbnails.plan import ClipRef, RenditionRef

DOWNLOAD_CONCURRENCY = 8


async def clips_file(
    storage: ObjectStorage, rendition: RenditionRef, clips: Sequence[ClipRef], dest: Path
) -> Path:
    """`dest` holding the rendition's init segment and then `clips` in order: a fragmented MP4
    that ffmpeg reads like any file (gaps between clips only make its timestamps jump).

    The objects are the ones the rows name, so this follows wherever transcoding puts them.
    """
    parts = dest.with_name(dest.name + ".parts")
    await asyncio.to_thread(parts.mkdir, parents=True, exist_ok=True)
    gate = asyncio.Semaphore(DOWNLOAD_CONCURRENCY)

    async def fetch(number: int, key: str) -> Path:
        async with gate:
            await storage.download_file(key, parts / str(number))
        return parts / str(number)

    keys = [rendition.init_key, *(c.key for c in clips)]
    files = await asyncio.gather(*(fetch(n, key) for n, key in enumerate(keys)))
    await asyncio.to_thread(_concatenate, files, dest)
    await asyncio.to_thread(shutil.rmtree, parts, True)
    return dest


def _concatenate(files: Sequence[Path], dest: Path) -> None:
    with dest.open("wb") as out:
        for path in files:
            with path.open("rb") as part:
                shutil.copyfileobj(part, out)
