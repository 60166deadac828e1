"""What a child job is asked to encode, and what it reports back, as JSON in the jobs table
(pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from clipcast.adapters.media.probe import ProbeResult
from clipcast.transcoding.argv import DEFAULT_CRF
from clipcast.transcoding.chunking import Chunk, PartClip
from clipcast.transcoding.ladder import Rung


@dataclass(frozen=True)
class EncodeTask:
    """Some rungs of one chunk of the source, or (`chunk` None) the audio of the whole source.

    The encoder settings travel with the task, not with the worker that runs it: chunks
    encoded with the same settings have interchangeable init segments.
    """

    batch: int  # 0: what makes the video playable; 1: the other rungs
    rungs: tuple[Rung, ...]
    chunk: Chunk | None
    probe: ProbeResult
    preset: str
    crf: int
    clip_seconds: int

    def to_payload(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "rungs": [asdict(r) for r in self.rungs],
            "chunk": asdict(self.chunk) if self.chunk else None,
            "probe": self.probe.to_dict(),
            "preset": self.preset,
            "crf": self.crf,
            "clip_seconds": self.clip_seconds,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> EncodeTask:
        chunk = data["chunk"]
        return cls(
            batch=int(data["batch"]),
            rungs=tuple(Rung(**r) for r in data["rungs"]),
            chunk=Chunk(**chunk) if chunk else None,
            probe=ProbeResult.from_dict(data["probe"]),
            preset=str(data["preset"]),
            crf=int(data["crf"]),
            clip_seconds=int(data["clip_seconds"]),
        )

    @property
    def part(self) -> int:
        """Which part of its rendition this task makes: the chunk's index, 0 when whole."""
        return self.chunk.index if self.chunk else 0

    def weight(self) -> float:
        """Work, for progress: pixels × seconds (audio counts as a small picture)."""
        start = self.chunk.start if self.chunk else 0
        end = self.chunk.end if self.chunk and self.chunk.end is not None else None
        seconds = (end if end is not None else max(self.probe.duration, start)) - start
        pixels = sum(r.width * r.height or 10_000 for r in self.rungs)
        return max(seconds, 0.1) * pixels


@dataclass(frozen=True)
class Batch:
    """Rungs a parent job has encoded as child jobs: `number` 0 makes the video playable."""

    number: int
    rungs: Sequence[Rung]
    chunks: Sequence[Chunk]
    probe: ProbeResult

    def tasks(self, *, preset: str, clip_seconds: int) -> list[EncodeTask]:
        """The audio whole (it has no joins to click at), then each chunk of the pictures with
        all of the batch's picture rungs, so each chunk is decoded once."""
        audio = tuple(r for r in self.rungs if not r.has_video)
        video = tuple(r for r in self.rungs if r.has_video)

        def task(rungs: tuple[Rung, ...], chunk: Chunk | None) -> EncodeTask:
            return EncodeTask(
                self.number, rungs, chunk, self.probe, preset, DEFAULT_CRF, clip_seconds
            )

        tasks = [task(audio, None)] if audio else []
        return tasks + ([task(video, chunk) for chunk in self.chunks] if video else [])


@dataclass(frozen=True)
class EncodedPart:
    """One rung's share of a task's output: its clips, already at their final keys, and its
    init segment at a key of its own."""

    resolution: int
    codecs: str
    frame_rate: float | None
    init_key: str
    clips: tuple[PartClip, ...]


def result_of(parts: list[EncodedPart]) -> dict[str, Any]:
    return {
        "parts": [
            {
                "resolution": p.resolution,
                "codecs": p.codecs,
                "frame_rate": p.frame_rate,
                "init_key": p.init_key,
                "clips": [[c.index, c.duration, c.byte_size] for c in p.clips],
            }
            for p in parts
        ]
    }


def parts_of(result: dict[str, Any]) -> list[EncodedPart]:
    return [
        EncodedPart(
            resolution=int(p["resolution"]),
            codecs=str(p["codecs"]),
            frame_rate=None if p["frame_rate"] is None else float(p["frame_rate"]),
            init_key=str(p["init_key"]),
            clips=tuple(PartClip(int(i), float(d), int(s)) for i, d, s in p["clips"]),
        )
        for p in result["parts"]
    ]
