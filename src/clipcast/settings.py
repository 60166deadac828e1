"""Settings: the only reader of CLIPCAST_* environment variables."""

from __future__ import annotations

import socket
from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageBackend(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class UploadStaging(StrEnum):
    """Where a tus upload's bytes wait for the last one."""

    LOCAL = "local"  # a file on the disk of the API process that created the upload
    STORAGE = "storage"  # parts of a multipart upload in object storage: any API process


class BusBackend(StrEnum):
    LOCAL = "local"  # in-process delivery, stored in the SQL database
    NATS = "nats"  # NATS JetStream, shared by every process


class Settings(BaseSettings):
    """Every knob of a clipcast process; defaults give the embedded mode."""

    model_config = SettingsConfigDict(env_prefix="CLIPCAST_", extra="ignore")

    data_dir: Path = Path("./clipcast-data")
    database_url: str = ""  # empty: SQLite file in data_dir
    secret_key: str = ""  # empty: generated once and kept in data_dir/secret.key
    public_url: str = ""  # empty: links are relative to the host the caller used
    cookie_secure: bool = False  # set true behind HTTPS
    # This process's name where other processes must find it (the API process holding a tus
    # upload); empty: host name and data dir.
    node: str = ""

    storage_backend: StorageBackend = StorageBackend.LOCAL
    s3_endpoint_url: str = ""
    s3_bucket: str = "clipcast"
    s3_region: str = "us-east-1"
    s3_access_key: str = "clipcast"
    s3_secret_key: str = "clipcast"  # noqa: S105 - SeaweedFS default accepts any pair

    bus_backend: BusBackend = BusBackend.LOCAL
    nats_url: str = "nats://127.0.0.1:4222"
    nats_prefix: str = "clipcast"  # streams {prefix}_EVENTS / {prefix}_DEAD; one per deployment

    # Uploads and untrusted media caps.
    max_upload_bytes: int = 8 * 1024**3
    upload_expiry_seconds: int = 24 * 3600
    # None: storage when the storage backend is S3 (any API process takes any PATCH), local
    # otherwise (faster on one machine: bench/uploads.py).
    upload_staging: UploadStaging | None = None
    max_width: int = 7680
    max_height: int = 4320
    max_pixels: int = 7680 * 4320
    max_duration_seconds: float = 6 * 3600
    max_fps: float = 240.0
    max_streams: int = 8
    probe_timeout_seconds: float = 30.0
    ffmpeg_stall_seconds: float = 60.0  # no progress this long: the run is killed

    # Transcoding.
    ladder: list[int] = Field(default_factory=lambda: [1080, 720, 480, 360, 240])
    x264_preset: str = "veryfast"
    clip_seconds: int = 2
    # Sources longer than 1.5 chunks are cut into chunks of this many seconds (whole clips)
    # that any worker encodes in parallel; 0 encodes every source in one piece, which on one
    # machine is faster (no extra ffmpeg start-ups and pre-rolls: bench/vod_pipeline.py).
    chunk_seconds: int = 0
    worker_poll_seconds: float = 0.5
    # Settled bus rows (published outbox rows, acked deliveries, dedupe records) are deleted
    # once this old, by the process that runs the outbox relay.
    event_retention_hours: float = Field(default=168.0, gt=0)
    job_lease_seconds: float = 120.0
    # `clipcast worker` serves its /metrics (job and bus handler metrics) on this port; 0: off.
    # `api` and `serve` have /metrics on their HTTP port.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    run_workers: bool = True  # `serve` runs the transcode worker in-process

    playback_token_seconds: int = 6 * 3600
    # Memory the CDN route of each API process keeps media in (playlists, clip documents, hot
    # clips); objects over 8 MiB are streamed from storage instead.
    cdn_memory_mb: int = Field(default=256, ge=0)
    # The CDN edge (scaled mode): the gate files nginx checks access against, kept by
    # `worker --role edge` on each nginx host (None: data_dir/edge/gate), which also re-reads
    # every video from SQL this often, a safety net under the bus.
    edge_gate_dir: Path | None = None
    edge_resync_seconds: float = Field(default=300.0, gt=0)
    access_token_days: int = 30
    # uvicorn's access line for each media request answered well (refusals are always
    # logged): off, a player fetches a clip every two seconds (ops/logs.QuietMedia).
    log_media_requests: bool = False

    # Search: each search node keeps its own tantivy index (None: data_dir/search).
    search_dir: Path | None = None
    search_node: str = ""  # a search node's consumer group name; empty: the host name
    # Processes that answer searches (each reads the index; searches then use every core);
    # 0 answers them in threads of the process that asks, enough for a small site.
    search_readers: int = Field(default=0, ge=0)

    # Activity and popularity counters.
    redis_url: str = ""  # empty: counters in SQL tables (embedded); redis://… in scaled mode
    redis_prefix: str = "clipcast"  # every counter key starts with "{prefix}:"
    activity_max_events: int = Field(default=500, ge=1)  # per POST /api/v1/activity
    activity_max_bytes: int = Field(default=256 * 1024, ge=1024)
    # Events per viewer per minute, per API process (a player sends about 30).
    activity_rate_per_minute: int = Field(default=1200, ge=1)
    # Days of the append-only activity log kept (older days are rolled up into per-video
    # hourly totals, then dropped); 0 keeps every event.
    activity_retention_days: int = Field(default=0, ge=0)

    # Recommendations (issue 11). The recs worker remakes every list this often, and a user's
    # list once they have been quiet recs_debounce_seconds after activity (at most
    # recs_max_wait_seconds after the first). The collaborative model covers the most watched
    # recs_model_items videos and the most active recs_model_users users (dense matrices:
    # memory ≈ 4 bytes × items × (items + users)).
    recs_refresh_minutes: float = Field(default=30.0, gt=0)
    recs_debounce_seconds: float = Field(default=5.0, ge=0)
    recs_max_wait_seconds: float = Field(default=60.0, ge=0)
    recs_model_items: int = Field(default=5000, ge=2)
    recs_model_users: int = Field(default=10000, ge=2)

    # Live streams (issue 12). A feed whose picture is H.264 no larger than
    # live_max_resolution (short side) is copied; any other is encoded to live_ladder.
    live_max_resolution: int = Field(default=720, ge=144, le=2160)
    live_ladder: list[int] = Field(default_factory=lambda: [720, 360])
    live_x264_preset: str = "veryfast"
    live_max_frame_bytes: int = Field(default=1024 * 1024, ge=4096)  # one WebSocket message
    live_idle_seconds: float = Field(default=10.0, gt=0)  # a silent feed is closed with an error
    live_end_after_seconds: float = Field(default=300.0, gt=0)  # no feed this long: it ends
    # SRT for encoders (OBS, ffmpeg): a listener per stream, on a UDP port of this range
    # (e.g. "19350-19359") bound to live_srt_host, opened by its owner with a passphrase of
    # its own; empty: SRT off (the ingest WebSocket always works).
    live_srt_ports: str = ""
    live_srt_host: str = "127.0.0.1"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'clipcast.db').resolve()}"

    def resolved_node(self) -> str:
        return self.node or f"{socket.gethostname()}:{self.data_dir.resolve()}"

    def resolved_upload_staging(self) -> UploadStaging:
        if self.upload_staging is not None:
            return self.upload_staging
        if self.storage_backend is StorageBackend.S3:
            return UploadStaging.STORAGE
        return UploadStaging.LOCAL

    def resolved_edge_gate_dir(self) -> Path:
        gate = self.edge_gate_dir
        return gate if gate is not None else self.data_dir / "edge" / "gate"

    def resolved_search_dir(self) -> Path:
        return self.search_dir if self.search_dir is not None else self.data_dir / "search"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    # The command-line client (`clipcast upload`, `clipcast videos ls`).
    server_url: str = "http://127.0.0.1:8000"
    api_token: str = ""
