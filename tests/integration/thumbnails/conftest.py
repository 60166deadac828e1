"""Fixtures of the thumbnail tests: users, media, and a transcoded video made once per module."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageFilter, ImageStat

from clipcast.bootstrap import build_adapters
from clipcast.db.migrate import upgrade
from clipcast.settings import Settings
from clipcast.web.app import create_app
from tests.integration.api import tus_helpers as tus
from tests.integration.api.flow import upload_and_process
from tests.integration.api.test_accounts import register, token_for
from tests.integration.conftest import auth
from tests.media import make_video

BLACK_UNTIL = 2.5  # seconds of black at the start: clips 0 and 1 start black
BLUR_FROM = 5.5  # seconds; heavily blurred from here on: clip 3 starts blurred
SECONDS = 8  # so clip 2 (4–6 s) is the only one that starts sharp


@pytest.fixture(scope="session")
def mixed_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """640×360: black, then a sharp test pattern, then the same pattern under a strong blur."""
    picture = (
        f"drawbox=enable='lt(t,{BLACK_UNTIL})':x=0:y=0:w=iw:h=ih:color=black:t=fill,"
        f"boxblur=enable='gte(t,{BLUR_FROM})':luma_radius=12:luma_power=3"
    )
    return make_video(
        tmp_path_factory.mktemp("media") / "mixed.mp4",
        seconds=SECONDS,
        size="640x360",
        fps=25,
        extra=["-vf", picture],
    )


def settings_for(data_dir: Path, database_url: str) -> Settings:
    """As tests/conftest.py's `settings`: two rungs, so the poster and the storyboard come from
    different renditions (360p and 240p)."""
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret",
        ladder=[360, 240],
        ffmpeg_stall_seconds=30,
        worker_poll_seconds=0.05,
    )


@dataclass(frozen=True)
class Template:
    """A data directory and SQLite database holding alice and her transcoded public video."""

    root: Path
    video_id: str
    alice: str  # her access token

    def copy_to(self, tmp_path: Path) -> str:
        """Copy into `tmp_path` (as `settings` expects it) and return the database URL."""
        shutil.copytree(self.root / "data", tmp_path / "data")
        shutil.copy2(self.root / "clipcast.db", tmp_path / "clipcast.db")
        return f"sqlite+aiosqlite:///{tmp_path / 'clipcast.db'}"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, mixed_video: Path) -> Template:
    """Transcoding once per module and copying the result per test keeps tests isolated and
    fast: a copy takes milliseconds, a transcode seconds."""
    root = tmp_path_factory.mktemp("template")
    url = f"sqlite+aiosqlite:///{root / 'clipcast.db'}"
    upgrade(url)
    video_id, token = asyncio.run(_publish(settings_for(root / "data", url), mixed_video))
    return Template(root, video_id, token)


async def _publish(settings: Settings, source: Path) -> tuple[str, str]:
    adapters = build_adapters(settings)
    app = create_app(adapters=adapters, run_workers=False)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                await register(c, "alice", "alice's password")
                token = await token_for(c, "alice", "alice's password")
                video_id = await upload_and_process(
                    c, adapters, token, source, title="Mixed", visibility="public"
                )
    finally:
        await adapters.close()
    return video_id, token


async def video_in_processing(
    client: httpx.AsyncClient, token: str, visibility: str = "public"
) -> str:
    """A video still processing (no job is run): a poster may be set before it is ready."""
    return await tus.upload_bytes(
        client, token, b"\x00\x00\x00\x18ftypmp42" + bytes(200), visibility=visibility
    )


def put_poster(
    client: httpx.AsyncClient, video_id: str, body: bytes, token: str | None
) -> httpx.Response:
    headers = auth(token) if token else {}
    return client.put(  # type: ignore[return-value]
        f"/api/v1/videos/{video_id}/poster", content=body, headers=headers
    )


def luma(image: Image.Image) -> float:
    return float(ImageStat.Stat(image.convert("L")).mean[0])


def edge_energy(image: Image.Image, size: tuple[int, int] = (160, 90)) -> float:
    """Variance of edge strength at a storyboard tile's size: high for a sharp picture, low for
    a blurred one (measured here: about 2,500 against 640 for the test pattern)."""
    gray = image.convert("L").resize(size, Image.Resampling.BOX)
    return float(ImageStat.Stat(gray.filter(ImageFilter.FIND_EDGES)).var[0])
