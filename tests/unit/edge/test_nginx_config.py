"""`clipcast edge nginx-config`: a config nginx accepts, for an S3 origin and a media dir."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.services import require

from clipcast.edge.nginx import DiskOrigin, EdgeConfig, S3Origin, render
from clipcast.edge.process import find_nginx


def _config(tmp: Path, origin: S3Origin | DiskOrigin) -> EdgeConfig:
    return EdgeConfig(
        listen="127.0.0.1:8080",
        api=("127.0.0.1:8001", "127.0.0.1:8002"),
        origin=origin,
        link_key="ab" * 32,
        gate_dir=tmp / "gate",
        state_dir=tmp / "state",
    )


@pytest.mark.parametrize(
    "origin",
    [S3Origin("http://127.0.0.1:8333", "media"), DiskOrigin(Path("/srv/clipcast/media"))],
    ids=["s3", "disk"],
)
def test_nginx_accepts_the_rendered_config(tmp_path: Path, origin: S3Origin | DiskOrigin) -> None:
    exe = find_nginx()
    require(exe is not None, "nginx (apt-get install nginx-light; `make test` does)")
    (tmp_path / "state").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render(_config(tmp_path, origin)))
    checked = subprocess.run(
        [str(exe), "-t", "-c", str(conf), "-p", str(tmp_path / "state")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_s3_media_is_cached_once_per_object_with_a_lock_and_never_a_404(tmp_path: Path) -> None:
    text = render(_config(tmp_path, S3Origin("https://s3.example:9000", "media")))
    assert "proxy_cache_key videos/$cdn_video/$cdn_rest;" in text
    assert "proxy_cache_lock on;" in text
    assert "proxy_cache_valid 200 365d;" in text and "proxy_cache_valid 200 1s;" in text
    assert "proxy_cache_valid 404" not in text
    assert "proxy_pass https://clipcast_origin/media/videos/$cdn_video/$cdn_rest;" in text
    assert "server s3.example:9000;" in text
    assert "Cache-Control no-store always" in text
