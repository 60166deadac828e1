"""Speaking tus by hand, for tests that need exact control of every header."""

from __future__ import annotations

import base64

import httpx

TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


async def create(client: httpx.AsyncClient, token: str, length: int, **meta: str) -> httpx.Response:
    headers = {
        **TUS,
        "Authorization": f"Bearer {token}",
        "Upload-Length": str(length),
        "Upload-Metadata": metadata(**({"filename": "clip.mp4", "title": "A title"} | meta)),
    }
    return await client.post("/api/v1/uploads", headers=headers)


async def patch(
    client: httpx.AsyncClient, token: str, location: str, offset: int, body: bytes
) -> httpx.Response:
    headers = {
        **TUS,
        "Authorization": f"Bearer {token}",
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }
    return await client.patch(location, headers=headers, content=body)


async def head(client: httpx.AsyncClient, token: str, location: str) -> httpx.Response:
    return await client.head(location, headers={**TUS, "Authorization": f"Bearer {token}"})


async def upload_bytes(client: httpx.AsyncClient, token: str, data: bytes, **meta: str) -> str:
    """A whole upload in one PATCH; returns the video id."""
    created = await create(client, token, len(data), **meta)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    done = await patch(client, token, location, 0, data)
    assert done.status_code == 204, done.text
    return location.rstrip("/").rsplit("/", 1)[-1]
