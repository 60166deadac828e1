"""Child jobs' tasks and results survive the trip through the jobs table's JSON columns."""

from __future__ import annotations

import json

from clipcast.adapters.media.probe import ProbeResult
from clipcast.transcoding.chunking import Chunk, PartClip, plan_chunks
from clipcast.transcoding.ladder import AUDIO_RUNG, build_ladder
from clipcast.transcoding.tasks import Batch, EncodedPart, EncodeTask, parts_of, result_of

PROBE = ProbeResult("mov", 61.2, True, True, 1920, 1080, 0, 29.97, "h264", "aac", 2, 48000, 10**8)


def _via_json(data: object) -> object:
    return json.loads(json.dumps(data))


def test_a_chunk_task_round_trips() -> None:
    ladder = build_ladder(1920, 1080, True, True, [240, 720, 1080])
    task = EncodeTask(1, tuple(ladder.rest), Chunk(1, 30, 60, 15), PROBE, "veryfast", 23, 2)
    payload = _via_json(task.to_payload())
    assert isinstance(payload, dict)
    assert EncodeTask.from_payload(payload) == task
    assert task.part == 1


def test_the_audio_task_is_whole_and_counts_for_little() -> None:
    audio = EncodeTask(0, (AUDIO_RUNG,), None, PROBE, "veryfast", 23, 2)
    assert audio.part == 0
    ladder = build_ladder(1920, 1080, True, True, [240])
    chunk = EncodeTask(0, ladder.video, Chunk(0, 0, 30, 0), PROBE, "veryfast", 23, 2)
    assert 0 < audio.weight() < chunk.weight()


def test_the_last_chunk_weighs_what_is_left_of_the_source() -> None:
    ladder = build_ladder(1920, 1080, True, True, [240])
    last = EncodeTask(0, ladder.video, Chunk(2, 60, None, 30), PROBE, "veryfast", 23, 2)
    first = EncodeTask(0, ladder.video, Chunk(0, 0, 30, 0), PROBE, "veryfast", 23, 2)
    assert last.weight() / first.weight() == (61.2 - 60) / 30


def test_a_result_round_trips() -> None:
    parts = [
        EncodedPart(240, "avc1.64000d", 30.0, "videos/x/240p/parts/00001-init.mp4",
                    (PartClip(2, 2.0, 1234), PartClip(3, 2.0, 987))),
        EncodedPart(0, "mp4a.40.2", None, "videos/x/audio/parts/00000-init.mp4",
                    (PartClip(0, 2.005333, 33000),)),
    ]  # fmt: skip
    result = _via_json(result_of(parts))
    assert isinstance(result, dict)
    assert parts_of(result) == parts


def test_the_first_batch_is_the_audio_whole_then_each_chunk_of_the_lowest_rung() -> None:
    ladder = build_ladder(1920, 1080, True, True, [240, 720, 1080])
    chunks = plan_chunks(61.2, clip_seconds=2, chunk_seconds=30)
    tasks = Batch(0, ladder.first, chunks, PROBE).tasks(preset="veryfast", clip_seconds=2)
    assert [(t.rungs, t.chunk) for t in tasks] == [
        ((AUDIO_RUNG,), None),
        *(((ladder.video[0],), chunk) for chunk in chunks),
    ]
    assert {(t.batch, t.preset, t.crf, t.clip_seconds) for t in tasks} == {(0, "veryfast", 23, 2)}


def test_later_chunks_encode_every_other_rung_from_one_decode() -> None:
    ladder = build_ladder(1920, 1080, True, True, [240, 720, 1080])
    chunks = plan_chunks(61.2, clip_seconds=2, chunk_seconds=30)
    tasks = Batch(1, ladder.rest, chunks, PROBE).tasks(preset="veryfast", clip_seconds=2)
    assert [t.chunk for t in tasks] == list(chunks)
    assert all(t.rungs == ladder.video[1:] for t in tasks)


def test_a_silent_source_has_no_audio_task() -> None:
    ladder = build_ladder(1920, 1080, True, False, [240])
    chunks = plan_chunks(61.2, clip_seconds=2, chunk_seconds=30)
    tasks = Batch(0, ladder.first, chunks, PROBE).tasks(preset="veryfast", clip_seconds=2)
    assert all(t.chunk is not None for t in tasks) and len(tasks) == len(chunks)
