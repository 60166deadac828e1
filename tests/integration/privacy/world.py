"""The privacy matrix's world: alice's four videos (one per visibility), her share group, and
the four other callers. Each video starts shared with the group, so the member who is removed
later (carol) holds playback URLs of every one of them; then it takes its final visibility."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clipcast.adapters.bus.base import Event
from clipcast.bootstrap import Adapters, build_adapters
from clipcast.comments.rules import RateRule
from clipcast.comments.service import create_comment
from clipcast.core.clock import utcnow
from clipcast.db.migrate import upgrade
from clipcast.search import handlers as search_handlers
from clipcast.settings import Settings
from clipcast.thumbnails.handlers import handle_video_ready
from clipcast.web.app import create_app
from tests.integration.api import tus_helpers as tus
from tests.integration.api.flow import run_pending_jobs
from tests.integration.api.test_accounts import register, token_for
from tests.integration.conftest import auth
from tests.services import POSTGRES_ADMIN_URL


class Caller(StrEnum):
    OWNER = "owner"
    MEMBER = "member"
    OTHER = "other"  # signed in, in no group of the owner's
    ANONYMOUS = "anonymous"
    REVOKED = "revoked"  # a member who got playback URLs, then was removed from the group


class Vis(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"
    GROUP = "group"


USERNAMES = {
    Caller.OWNER: "alice",
    Caller.MEMBER: "bob",
    Caller.OTHER: "dave",
    Caller.REVOKED: "carol",
}
# One word per video that nothing else holds, for search.
WORDS = {
    Vis.PUBLIC: "aardvark",
    Vis.UNLISTED: "bandicoot",
    Vis.PRIVATE: "capybara",
    Vis.GROUP: "dugong",
}
SIGNED = re.compile(r"/cdn/s/[^/]+/\d+/\d+/")


def unsigned(url: str) -> str:
    return SIGNED.sub("/cdn/", url)


@dataclass
class World:
    client: httpx.AsyncClient
    adapters: Adapters
    tokens: dict[Caller, str]
    videos: dict[Vis, str]
    group_id: str = ""
    # Per video: the URLs the removed member held (media and API), and where in the video's
    # media tree each kind of object lives (relative to its root), taken from the owner's view.
    held: dict[Vis, dict[str, str]] = field(default_factory=dict)
    paths: dict[Vis, dict[str, str]] = field(default_factory=dict)
    comment_ids: dict[Vis, str] = field(default_factory=dict)

    def headers(self, caller: Caller) -> dict[str, str]:
        token = self.tokens.get(caller)
        return auth(token) if token else {}


def media_urls(video: dict[str, Any]) -> dict[str, str]:
    """The absolute URL of each kind of media object, from a `GET /videos/{id}` answer."""
    master = video["playback"]["hls"]
    root = master.rsplit("/", 1)[0] + "/"
    rung = f"{min(r['resolution'] for r in video['renditions'] if r['resolution'])}p"
    thumbs = video["thumbnails"]
    return {
        "master playlist": master,
        "media playlist": f"{root}{rung}/index.m3u8",
        "init segment": f"{root}{rung}/init.mp4",
        "clip": f"{root}{rung}/000000.m4s",
        "poster": thumbs["poster"]["card"]["url"],
        "poster webp": thumbs["poster"]["card"]["webp_url"],
        "storyboard": thumbs["storyboard"]["vtt_url"],
    }


async def _new_database() -> str:
    name = f"clipcast_privacy_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return name


async def _drop_database(name: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


@asynccontextmanager
async def database(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A migrated database of the world's own: SQLite in `tmp`, or a new PostgreSQL one."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'clipcast.db'}"
        await asyncio.to_thread(upgrade, url, "heads")
        yield url
        return
    name = await _new_database()
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url, "heads")
        yield url
    finally:
        await _drop_database(name)


@asynccontextmanager
async def running_world(database_url: str, tmp: Path, source: Path) -> AsyncIterator[World]:
    settings = Settings(
        data_dir=tmp / "data",
        database_url=database_url,
        secret_key="privacy-matrix",
        ladder=[240],
        ffmpeg_stall_seconds=30,
        worker_poll_seconds=0.05,
    )
    adapters = build_adapters(settings)
    app = create_app(adapters=adapters, run_workers=False)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                world = World(client=c, adapters=adapters, tokens={}, videos={})
                await _populate(world, source)
                yield world
    finally:
        await adapters.close()


async def _populate(world: World, source: Path) -> None:
    c = world.client
    for caller, name in USERNAMES.items():
        await register(c, name, f"{name}'s password")
        world.tokens[caller] = await token_for(c, name, f"{name}'s password")
    owner = world.headers(Caller.OWNER)
    group = (await c.post("/api/v1/groups", json={"name": "Friends"}, headers=owner)).json()
    world.group_id = group["id"]
    for name in ("bob", "carol"):
        added = await c.post(
            f"/api/v1/groups/{group['id']}/members", json={"username": name}, headers=owner
        )
        assert added.status_code == 200, added.text
    data = source.read_bytes()
    for vis, word in WORDS.items():
        world.videos[vis] = await tus.upload_bytes(
            c,
            world.tokens[Caller.OWNER],
            data,
            title=f"The {word} video",
            visibility="group",
            groups=group["id"],
        )
    await run_pending_jobs(world.adapters)
    for vis in Vis:
        await _share_then_settle(world, vis)
    removed = await c.delete(f"/api/v1/groups/{group['id']}/members/carol", headers=owner)
    assert removed.status_code == 204
    for video_id in world.videos.values():
        await _index(world, video_id)


async def _share_then_settle(world: World, vis: Vis) -> None:
    """Thumbnails and a comment for the video; carol's URLs while she may watch it; then its
    final visibility."""
    c, video_id = world.client, world.videos[vis]
    ready = Event(uuid.uuid4(), "video.ready", {"video_id": video_id}, utcnow())
    a = world.adapters
    await handle_video_ready(ready, sessions=a.sessions, storage=a.storage, settings=a.settings)
    owner = world.headers(Caller.OWNER)
    mine = (await c.get(f"/api/v1/videos/{video_id}", headers=owner)).json()
    root = mine["playback"]["hls"].rsplit("/", 1)[0] + "/"
    world.paths[vis] = {k: u.removeprefix(root) for k, u in media_urls(mine).items()}
    theirs = await c.get(f"/api/v1/videos/{video_id}", headers=world.headers(Caller.REVOKED))
    assert theirs.status_code == 200, theirs.text
    world.held[vis] = media_urls(theirs.json())
    chain = await c.get(
        f"/api/v1/videos/{video_id}/clips",
        params={"resolution": 240},
        headers=world.headers(Caller.REVOKED),
    )
    assert chain.status_code == 200, chain.text
    world.held[vis]["chain clip"] = chain.json()["clips"][0]["url"]
    watched = await post_view(world, Caller.REVOKED, video_id)  # in her history from now on
    assert watched.status_code == 202, watched.text
    # Posted an hour ago, so it counts in nobody's posting limit during the matrix.
    comment = await create_comment(
        sessions=a.sessions,
        video_id=uuid.UUID(video_id),
        author_id=uuid.UUID(mine["owner"]["id"]),
        body="First!",
        parent_id=None,
        now=utcnow() - timedelta(hours=1),
        rule=RateRule(),
    )
    world.comment_ids[vis] = str(comment.id)
    if vis is not Vis.GROUP:
        settled = await c.patch(
            f"/api/v1/videos/{video_id}", json={"visibility": vis.value}, headers=owner
        )
        assert settled.status_code == 200, settled.text


async def post_view(world: World, caller: Caller, video_id: str) -> httpx.Response:
    """The player's report that the caller watched the video's first clip."""
    event = {
        "id": uuid.uuid4().hex,
        "video_id": video_id,
        "ts": int(utcnow().timestamp() * 1000),
        "type": "clip_view",
        "clip": 0,
        "resolution": 240,
    }
    return await world.client.post(
        "/api/v1/activity", json={"events": [event]}, headers=world.headers(caller)
    )


async def _index(world: World, video_id: str) -> None:
    """What the search node does with the video's latest event (it re-reads SQL)."""
    event = Event(uuid.uuid4(), "video.updated", {"video_id": video_id}, utcnow())
    a = world.adapters
    await search_handlers.handle(event, sessions=a.sessions, index=a.search)
