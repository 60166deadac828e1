"""Pictures refused as posters over HTTP: a bomb, a non-image, an oversized body.

The refusals themselves are unit-tested on `poster_from_upload`; these check the HTTP answer.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ImageFile

from clipcast.db.migrate import upgrade
from tests.integration.thumbnails.conftest import auth, put_poster, video_in_processing
from tests.pictures import png_bomb


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: nothing here reaches the database past the owner check."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'clipcast.db'}"
    upgrade(url)
    return url


async def test_a_png_bomb_is_refused_before_decoding(
    client: httpx.AsyncClient, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[object] = []
    real_load = ImageFile.ImageFile.load

    def recording_load(image: ImageFile.ImageFile) -> Any:
        decoded.append(image)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    video_id = await video_in_processing(client, alice)
    bomb = png_bomb(50_000, 50_000)  # 2.5 gigapixels declared
    assert len(bomb) < 100_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    response = await put_poster(client, video_id, bomb, alice)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "image_too_large"
    assert "pixels" in error["message"]
    assert decoded == []  # refused from its header: no pixel was decoded
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mib < 64, f"peak memory grew by {grown_mib:.0f} MiB"


async def test_a_text_file_named_jpg_is_refused(client: httpx.AsyncClient, alice: str) -> None:
    video_id = await video_in_processing(client, alice)
    response = await client.put(
        f"/api/v1/videos/{video_id}/poster",
        content=b"just some text, not a picture\n" * 10,
        headers={
            **auth(alice),
            "Content-Type": "image/jpeg",
            "Content-Disposition": 'attachment; filename="holiday.jpg"',
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "bad_image"
    assert error["message"] == "A poster must be a JPEG, PNG or WebP image; this is text."


async def test_a_poster_over_ten_mib_is_refused(client: httpx.AsyncClient, alice: str) -> None:
    video_id = await video_in_processing(client, alice)
    too_big = b"\xff\xd8\xff" + bytes(10 * 1024 * 1024)
    response = await put_poster(client, video_id, too_big, alice)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "poster_too_large"
