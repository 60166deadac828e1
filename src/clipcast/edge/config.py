"""The edge's nginx config for this deployment's settings (which origin, which gate, which key)."""

from __future__ import annotations

from pathlib import Path

from clipcast.cdn.signing import link_key
from clipcast.edge.nginx import DiskOrigin, EdgeConfig, S3Origin
from clipcast.settings import Settings, StorageBackend


def edge_config(
    settings: Settings,
    secret: bytes,
    *,
    listen: str,
    api: tuple[str, ...],
    state_dir: Path | None = None,
    **options: object,
) -> EdgeConfig:
    """Origin from the storage settings (bucket or media directory), gate and key from the
    settings' gate dir and secret; `options` are EdgeConfig's tuning fields."""
    origin: S3Origin | DiskOrigin
    if settings.storage_backend is StorageBackend.S3:
        endpoint = settings.s3_endpoint_url or f"https://s3.{settings.s3_region}.amazonaws.com"
        origin = S3Origin(endpoint=endpoint, bucket=settings.s3_bucket)
    else:
        origin = DiskOrigin(media_dir=settings.media_dir.resolve())
    return EdgeConfig(
        listen=listen,
        api=api,
        origin=origin,
        link_key=link_key(secret),
        gate_dir=settings.resolved_edge_gate_dir().resolve(),
        state_dir=(state_dir or settings.data_dir / "edge").resolve(),
        **options,  # type: ignore[arg-type]
    )
