"""Long sources as chunk jobs that any worker takes: exact joins, seamless audio, shared work,
a killed worker replaced, `ready` once. Tiny media: 9 s, 2 s clips, 4 s chunks (3 chunks)."""

from __future__ import annotations

import asyncio
import itertools
import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from clipcast.bootstrap import Adapters, transcode_deps
from clipcast.core.clock import utcnow
from clipcast.jobs import queue
from clipcast.jobs.models import Job
from clipcast.outbox.models import OutboxEvent
from clipcast.transcoding import children, service
from clipcast.transcoding.worker import run_worker
from clipcast.videos.models import Clip, Video
from tests.integration.api import tus_helpers as tus
from tests.integration.api.flow import run_pending_jobs
from tests.integration.conftest import auth
from tests.integration.media.reading import (
    decode_time,
    keyframes,
    numbered_frames,
    samples,
    timescale,
)
from tests.integration.media.sources import numbered

pytestmark = pytest.mark.slow

SECONDS, FPS, RATE = 9, 30, 48_000
AAC_FRAME = 1024  # samples; also the encoder's delay ahead of the first real sample


@pytest.fixture(scope="session")
def long_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """9 s of numbered frames at 640x360 (two rungs: 360p, 240p) with a 440 Hz tone."""
    path = tmp_path_factory.mktemp("chunked") / "numbered.mp4"
    return numbered(path, seconds=SECONDS, rate=str(FPS), size="640x360", sound=True)


@pytest.fixture
def chunked(adapters: Adapters) -> Adapters:
    adapters.settings.chunk_seconds = 4
    return adapters


@pytest.fixture
def whole_encodes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The rungs of every encode the parent made in one piece (its fallback when chunks fail)."""
    seen: list[list[str]] = []
    real = service.encode

    async def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append([r.name for r in args[2]])
        return await real(*args, **kwargs)

    monkeypatch.setattr(service, "encode", spy)
    return seen


async def _upload(client: httpx.AsyncClient, token: str, source: Path) -> uuid.UUID:
    return uuid.UUID(await tus.upload_bytes(client, token, source.read_bytes()))


async def _video(adapters: Adapters, video_id: uuid.UUID) -> Video:
    async with adapters.sessions() as session:
        video = await session.get(Video, video_id)
    assert video is not None
    return video


async def _jobs(adapters: Adapters) -> list[Job]:
    async with adapters.sessions() as session:
        return list(await session.scalars(select(Job).order_by(Job.created_at)))


async def _ready_events(adapters: Adapters) -> int:
    async with adapters.sessions() as session:
        count = await session.scalar(select(func.count()).where(OutboxEvent.topic == "video.ready"))
    return int(count or 0)


async def _joined(adapters: Adapters, video_id: uuid.UUID, directory: str, out: Path) -> Path:
    """The rendition as a player fetches it: its published init segment, then every clip."""
    prefix = f"videos/{video_id}/{directory}/"
    keys = [k for k in await adapters.storage.list_keys(prefix) if k.endswith(".m4s")]
    data = [await adapters.storage.get_bytes(prefix + "init.mp4")]
    data += [await adapters.storage.get_bytes(k) for k in sorted(keys)]
    out.write_bytes(b"".join(data))
    return out


async def _assert_pictures_exact(
    adapters: Adapters, video_id: uuid.UUID, directory: str, tmp: Path
) -> None:
    """Every source frame once, in order, on an even clock; 2 s clips on keyframes."""
    frames = numbered_frames(await _joined(adapters, video_id, directory, tmp / "all.mp4"))
    assert [n for _, n in frames] == list(range(SECONDS * FPS))
    assert len({b - a for (a, _), (b, _) in itertools.pairwise(frames)}) == 1
    prefix = f"videos/{video_id}/{directory}/"
    init = await adapters.storage.get_bytes(prefix + "init.mp4")
    for index in range(math.ceil(SECONDS / 2)):
        clip = await adapters.storage.get_bytes(f"{prefix}{index:06d}.m4s")
        assert decode_time(clip) == index * 2 * timescale(init)
        keys = keyframes(init, clip, tmp / "one.mp4")
        assert keys[0] and sum(keys) == 1
        assert len(keys) == (2 * FPS if index < 4 else FPS)


async def _assert_one_set_of_objects(adapters: Adapters, video_id: uuid.UUID) -> None:
    """Exactly what the rows name, plus init segments and playlists: no stray part, no dupe."""
    async with adapters.sessions() as session:
        uris = set(await session.scalars(select(Clip.uri).where(Clip.video_id == video_id)))
    dirs = {u.rsplit("/", 1)[0] for u in uris}
    expected = uris | {f"{d}/{name}" for d in dirs for name in ("init.mp4", "index.m3u8")}
    expected.add(f"videos/{video_id}/master.m3u8")
    assert set(await adapters.storage.list_keys(f"videos/{video_id}/")) == expected
    assert {d.rsplit("/", 1)[1] for d in dirs} == {"240p", "360p", "audio"}


async def test_a_long_video_becomes_chunk_jobs_whose_joins_are_exact(
    client: httpx.AsyncClient,
    chunked: Adapters,
    alice: str,
    long_source: Path,
    tmp_path: Path,
    whole_encodes: list[list[str]],
) -> None:
    video_id = await _upload(client, alice, long_source)
    await run_pending_jobs(chunked)
    assert whole_encodes == []  # every rendition is stitched from its chunks

    video = await _video(chunked, video_id)
    assert (video.state, video.progress, video.playable) == ("ready", 100, True)
    jobs = await _jobs(chunked)
    (parent,) = [j for j in jobs if j.kind == queue.JobKind.TRANSCODE]
    kids = [j for j in jobs if j.parent_id == parent.id]
    assert sorted(j.kind for j in kids) == ["encode_audio"] + ["encode_chunk"] * 6
    assert all(j.state == "done" and j.last_error is None for j in jobs)
    batches = sorted(
        (j.payload["batch"], j.payload["chunk"]["index"] if j.payload["chunk"] else -1)
        for j in kids
        if j.payload
    )
    assert batches == [(0, -1), (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]

    for directory in ("240p", "360p"):
        await _assert_pictures_exact(chunked, video_id, directory, tmp_path)
    await _assert_one_set_of_objects(chunked, video_id)
    chain = await client.get(
        f"/api/v1/videos/{video_id}/clips",
        params={"resolution": 240, "limit": 10},
        headers=auth(alice),
    )
    clips = chain.json()["clips"]
    assert [c["offset"] for c in clips] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert [c["duration"] for c in clips] == [2.0, 2.0, 2.0, 2.0, 1.0]
    # The chain walks across the chunk joins (after clips 1 and 3) as anywhere else.
    assert [n["id"] for n in clips[1]["next"]] == [c["id"] for c in clips[2:5]]
    assert [n["id"] for n in clips[3]["next"]] == [clips[4]["id"]]


async def test_the_audio_has_no_gap_or_click_at_the_chunk_joins(
    client: httpx.AsyncClient, chunked: Adapters, alice: str, long_source: Path, tmp_path: Path
) -> None:
    video_id = await _upload(client, alice, long_source)
    await run_pending_jobs(chunked)

    chain = await client.get(
        f"/api/v1/videos/{video_id}/clips", params={"resolution": 0}, headers=auth(alice)
    )
    assert chain.status_code == 200 and chain.json()["total_clips"] == 5
    tone = samples(await _joined(chunked, video_id, "audio", tmp_path / "audio.mp4"))
    assert abs(len(tone) - AAC_FRAME - SECONDS * RATE) < AAC_FRAME  # nothing lost or added
    # A 440 Hz sine moves at most 2π·440/48000 of its peak per sample: a click is a jump
    # well beyond that, a gap a dip in loudness. Checked all along, the picture's chunk joins
    # (4 s, 8 s) included; the first and last 50 ms hold the encoder's fade in and out.
    body = tone[RATE // 20 : -RATE // 20]
    peak = max(abs(x) for x in body)
    assert peak > 0.05  # the tone, not silence (mono upmixed to stereo: 1/8 at -3 dB)
    steepest = peak * 2 * math.pi * 440 / RATE
    assert max(abs(b - a) for a, b in itertools.pairwise(body)) < 1.5 * steepest
    for join in (4, 8):
        window = tone[AAC_FRAME + join * RATE - 480 : AAC_FRAME + join * RATE + 480]
        rms = math.sqrt(sum(x * x for x in window) / len(window))
        assert rms == pytest.approx(peak / math.sqrt(2), rel=0.05)


async def _wait_for(predicate: Callable[[], Awaitable[bool]], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not await predicate():  # noqa: ASYNC110 - polls SQL
            await asyncio.sleep(0.05)


async def _run_until_done(adapters: Adapters, workers: list[Awaitable[None]]) -> None:
    """Run the workers until every job is done (the video's last step), then stop them."""
    tasks = [asyncio.ensure_future(w) for w in workers]

    async def all_done() -> bool:
        jobs = await _jobs(adapters)
        return bool(jobs) and all(j.state == "done" for j in jobs)

    try:
        await _wait_for(all_done, seconds=120)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_two_workers_share_the_chunks_of_one_video_and_it_is_ready_once(
    client: httpx.AsyncClient,
    chunked: Adapters,
    alice: str,
    long_source: Path,
    tmp_path: Path,
    whole_encodes: list[list[str]],
) -> None:
    video_id = await _upload(client, alice, long_source)
    await _run_until_done(
        chunked, [run_worker(transcode_deps(chunked), name=name) for name in ("w1", "w2")]
    )
    assert whole_encodes == []

    assert (await _video(chunked, video_id)).state == "ready"
    jobs = await _jobs(chunked)
    assert all(j.state == "done" and j.last_error is None for j in jobs)
    assert {j.worker for j in jobs if j.parent_id} == {"w1", "w2"}  # both took parts
    assert await _ready_events(chunked) == 1
    for directory in ("240p", "360p"):
        await _assert_pictures_exact(chunked, video_id, directory, tmp_path)
    await _assert_one_set_of_objects(chunked, video_id)


async def test_a_worker_killed_mid_chunk_is_replaced_and_the_video_is_ready_once(
    client: httpx.AsyncClient,
    chunked: Adapters,
    alice: str,
    long_source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_encodes: list[list[str]],
) -> None:
    video_id = await _upload(client, alice, long_source)

    async def no_release(*_args: Any) -> None:
        """A kill -9 gives nothing back: the leases of its jobs just stop being renewed."""

    monkeypatch.setattr(queue, "release", no_release)
    real_encode, encoding = children.encode, asyncio.Event()

    async def encode_then_die(*args: Any, **kwargs: Any) -> Any:
        chunk = kwargs.get("chunk")
        if encoding.is_set() or chunk is None or chunk.index != 1:
            return await real_encode(*args, **kwargs)
        run = asyncio.ensure_future(real_encode(*args, **kwargs))  # ffmpeg starts...
        encoding.set()
        return await run  # ...and is killed with the worker, long before it ends

    monkeypatch.setattr(children, "encode", encode_then_die)
    doomed = asyncio.ensure_future(run_worker(transcode_deps(chunked), name="doomed"))
    await asyncio.wait_for(encoding.wait(), 60)
    doomed.cancel()
    await asyncio.gather(doomed, return_exceptions=True)
    held = [j for j in await _jobs(chunked) if j.state == "running"]
    assert {j.kind for j in held} == {"transcode", "encode_chunk"}  # the parent and its chunk
    async with chunked.sessions() as session:  # ...until their leases run out
        await session.execute(
            update(Job)
            .where(Job.state == "running")
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    await run_pending_jobs(chunked)

    assert whole_encodes == []  # the survivor carried on with the chunks, not from scratch
    assert (await _video(chunked, video_id)).state == "ready"
    assert await _ready_events(chunked) == 1
    jobs = await _jobs(chunked)
    assert all(j.state == "done" and j.last_error is None for j in jobs)
    assert {j.id for j in jobs if j.attempts == 2} == {j.id for j in held}  # taken over
    for directory in ("240p", "360p"):
        await _assert_pictures_exact(chunked, video_id, directory, tmp_path)
    await _assert_one_set_of_objects(chunked, video_id)


async def test_if_a_chunk_fails_the_batch_is_encoded_whole_and_the_video_still_plays(
    client: httpx.AsyncClient,
    chunked: Adapters,
    alice: str,
    long_source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_encodes: list[list[str]],
) -> None:
    from clipcast.adapters.media.ffmpeg import FfmpegFailed

    real = children.encode

    async def second_chunk_fails(*args: Any, **kwargs: Any) -> Any:
        chunk = kwargs.get("chunk")
        if chunk is not None and chunk.index == 1:
            raise FfmpegFailed(1, "Invalid data found when processing input")
        return await real(*args, **kwargs)

    monkeypatch.setattr(children, "encode", second_chunk_fails)
    video_id = await _upload(client, alice, long_source)
    await run_pending_jobs(chunked)

    assert (await _video(chunked, video_id)).state == "ready"
    failed = [j for j in await _jobs(chunked) if j.last_error]
    assert len(failed) == 2  # chunk 1 of each batch, each then encoded whole by the parent
    assert whole_encodes == [["240p", "audio"], ["360p"]]
    for directory in ("240p", "360p"):
        await _assert_pictures_exact(chunked, video_id, directory, tmp_path)
    await _assert_one_set_of_objects(chunked, video_id)
