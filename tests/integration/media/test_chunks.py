"""Chunks encoded apart join exactly: the same frames as an encode in one piece, no frame twice
or lost at a join, clip N timed at N × 2 s by whichever chunk made it, one init segment for all.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from clipcast.adapters.media.probe import probe_file
from clipcast.transcoding.chunking import plan_chunks
from clipcast.transcoding.encoder import EncodedRendition, encode
from clipcast.transcoding.ladder import build_ladder
from tests.integration.media.reading import (
    box_body,
    decode_time,
    keyframes,
    numbered_frames,
    timescale,
)
from tests.integration.media.sources import LIMITS, ffmpeg, numbered

pytestmark = pytest.mark.slow
PRESET = "veryfast"


async def _encode(source: Path, out: Path, *, chunk_seconds: int) -> list[EncodedRendition]:
    """The 240p rung, whole (`chunk_seconds` 0) or chunk by chunk: one rendition per run."""
    probe = await probe_file(source, LIMITS, timeout=10)
    rungs = build_ladder(probe.width, probe.height, True, False, [240]).video
    chunks = plan_chunks(
        probe.duration, clip_seconds=2, chunk_seconds=chunk_seconds, container=probe.container
    )
    if chunk_seconds:
        assert len(chunks) == 3
    runs = []
    for chunk in chunks or [None]:
        (rendition,) = await encode(
            source, probe, rungs, out / f"c{chunk.index if chunk else 'w'}",
            preset=PRESET, stall_seconds=20, chunk=chunk,
        )  # fmt: skip
        runs.append(rendition)
    return runs


def _joined(runs: list[EncodedRendition], out: Path) -> Path:
    """What a player fetches: the (first) init segment, then every clip in order."""
    path = out / "joined.mp4"
    clips = [c.path.read_bytes() for run in runs for c in run.clips]
    path.write_bytes(runs[0].init_path.read_bytes() + b"".join(clips))
    return path


# Each container whose index chunking relies on to seek (chunking.SEEKABLE_CONTAINERS).
_CONTAINERS = {
    "mp4-29.97fps": ("30000/1001", None),
    "mkv-25fps": ("25", ["-c", "copy", "-f", "matroska"]),
    "avi-30fps": ("30", ["-c:v", "mpeg4", "-q:v", "2", "-f", "avi"]),
}


@pytest.mark.parametrize("case", list(_CONTAINERS))
async def test_chunks_hold_exactly_the_frames_of_an_encode_in_one_piece(
    tmp_path: Path, case: str
) -> None:
    rate, remux = _CONTAINERS[case]
    source = numbered(tmp_path / "numbered.mp4", seconds=9, rate=rate)
    if remux:
        source, original = tmp_path / "numbered.remuxed", source
        ffmpeg("-i", str(original), *remux, str(source))
    whole_runs = await _encode(source, tmp_path / "w", chunk_seconds=0)
    whole = numbered_frames(_joined(whole_runs, tmp_path))
    runs = await _encode(source, tmp_path / "c", chunk_seconds=4)
    chunked = numbered_frames(_joined(runs, tmp_path))

    assert [n for _, n in chunked] == [n for _, n in whole]  # same frames, none twice or lost
    fps = 30 if rate != "25" else 25
    assert len(chunked) == 9 * fps
    steps = {b - a for (a, _), (b, _) in itertools.pairwise(chunked)}
    assert len(steps) == 1  # timestamps run on evenly across both joins


async def test_clip_n_starts_at_n_times_two_seconds_on_a_keyframe_whichever_chunk_made_it(
    tmp_path: Path,
) -> None:
    source = numbered(tmp_path / "numbered.mp4", seconds=9, rate="30")
    runs = await _encode(source, tmp_path / "c", chunk_seconds=4)
    inits = {run.init_path.read_bytes() for run in runs}
    assert len(inits) == 1  # interchangeable: same avcC, same edit list, same bytes
    init = inits.pop()
    with pytest.raises(KeyError):  # no edit list for players to honour or ignore
        box_body(init, [b"moov", b"trak", b"edts"])
    scale = timescale(init)
    clips = [c for run in runs for c in run.clips]
    assert [c.index for c in clips] == [0, 1, 2, 3, 4]
    assert [c.path.name for c in clips] == [f"seg_{i:06d}.m4s" for i in range(5)]
    assert [c.offset for c in clips] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert [c.duration for c in clips] == [2.0, 2.0, 2.0, 2.0, 1.0]
    for clip in clips:
        data = clip.path.read_bytes()
        assert decode_time(data) == clip.index * 2 * scale
        keys = keyframes(init, data, tmp_path / "one.mp4")
        assert keys[0] and sum(keys) == 1  # one closed GOP
