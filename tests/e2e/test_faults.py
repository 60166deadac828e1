"""Fault tests on real processes: kill -9 workers and APIs, NATS down; nothing lost or doubled."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clipcast import client
from clipcast.adapters.bus.base import Event
from clipcast.adapters.bus.nats import NatsBus
from tests.e2e.cluster import cluster
from tests.e2e.test_scaled_processes import eventually
from tests.media import make_video
from tests.nats_server import NATS_URL, private_nats

pytestmark = [pytest.mark.slow, pytest.mark.nats]


@pytest.fixture
def env(scaled_base_env: dict[str, str]) -> dict[str, str]:
    return scaled_base_env | {
        "CLIPCAST_LADDER": "[360,240]",
        "CLIPCAST_JOB_LEASE_SECONDS": "2",  # a dead worker's job is taken over within 2 s
    }


def _sql(url: str, query: str, **params: Any) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            rows = list((await conn.execute(text(query), params)).all())
        await engine.dispose()
        return rows

    return asyncio.run(run())


def _assert_intact(api: str, token: str, video_id: str, db: str) -> None:
    """Ready exactly once, every clip row's object served with the size the row records."""
    video = client.get_video(api, token, video_id)
    assert video["state"] == "ready", video["failure_reason"]
    ready_events = _sql(
        db,
        "SELECT count(*) FROM outbox"
        " WHERE topic = 'video.ready' AND payload::jsonb->>'video_id' = :v",
        v=video_id,
    )[0][0]
    assert ready_events == 1
    for rendition in video["renditions"]:
        chain = httpx.get(
            f"{api}/api/v1/videos/{video_id}/clips",
            params={"resolution": rendition["resolution"], "limit": 100},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        expected = -(-video["duration"] // 2)
        assert chain["total_clips"] == expected
        for clip in chain["clips"]:
            body = httpx.get(clip["url"]).content
            assert len(body) == clip["byte_size"] > 0


def test_kill_9_transcode_workers_at_random_points(tmp_path: Path, env: dict[str, str]) -> None:
    rng = random.Random(20261127)
    with cluster(tmp_path / "procs", env) as c:
        api = c.api("api").url
        assert api
        httpx.post(
            f"{api}/api/v1/auth/register", json={"username": "kim", "password": "kim's password"}
        )
        token = client.login(api, "kim", "kim's password")
        ids = []
        for run in range(3):
            worker = c.worker(f"doomed-{run}", "transcode")
            source = make_video(tmp_path / f"k{run}.mp4", seconds=5, size="640x360")
            ids.append(
                client.upload(
                    api, token, source, {"filename": "k.mp4", "title": f"k{run}"}, lambda *_: None
                )
            )
            time.sleep(rng.uniform(0.1, 2.5))  # somewhere in probe, encode or publish
            worker.kill9()
        c.worker("survivor", "transcode")

        def done() -> bool:
            return all(client.get_video(api, token, i)["state"] in ("ready", "failed") for i in ids)

        eventually(done, 180, "every video to finish after the kills")
        for video_id in ids:
            _assert_intact(api, token, video_id, env["CLIPCAST_DATABASE_URL"])


class Listener:
    """A consumer group of the test's own, on a thread with its own event loop."""

    def __init__(self, prefix: str, topics: list[str]) -> None:
        self.received: list[Event] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._bus = NatsBus(NATS_URL, prefix=prefix)
        self._sub = self._call(self._bus.subscribe("fault-probe", topics, self._handle))

    async def _handle(self, event: Event) -> None:
        self.received.append(event)

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def close(self) -> None:
        self._call(self._sub.stop())
        self._call(self._bus.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


def test_kill_9_api_between_commit_and_relay_delivers_after_restart(
    tmp_path: Path, env: dict[str, str]
) -> None:
    db = env["CLIPCAST_DATABASE_URL"]
    listener = Listener(env["CLIPCAST_NATS_PREFIX"], ["video.updated"])
    try:
        with cluster(tmp_path / "procs", env) as c:
            # This API's relay cannot reach NATS: its commits land in the outbox and stay there.
            doomed = c.api("api-doomed", {"CLIPCAST_NATS_URL": "nats://127.0.0.1:9"}).url
            assert doomed
            httpx.post(
                f"{doomed}/api/v1/auth/register",
                json={"username": "lee", "password": "lee's password"},
            )
            token = client.login(doomed, "lee", "lee's password")
            auth = {"Authorization": f"Bearer {token}"}
            created = httpx.post(
                f"{doomed}/api/v1/uploads",
                headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10", **auth},
            )
            video_id = created.headers["location"].rsplit("/", 1)[-1]
            patched = httpx.patch(
                f"{doomed}/api/v1/videos/{video_id}", json={"title": "committed"}, headers=auth
            )
            assert patched.status_code == 200
            c.procs[0].kill9()
            pending = _sql(db, "SELECT id FROM outbox WHERE published_at IS NULL")
            assert len(pending) == 1
            assert listener.received == []
            c.api("api-restarted")
            eventually(lambda: listener.received, 30, "the event after the restart")
            time.sleep(1.5)  # a duplicate would arrive now
    finally:
        listener.close()
    assert [str(e.id) for e in listener.received] == [str(uuid.UUID(str(pending[0][0])))]
    assert listener.received[0].payload["video_id"] == video_id
    assert _sql(db, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0


def test_nats_down_uploads_still_accepted_and_backlog_drains(
    tmp_path: Path, env: dict[str, str]
) -> None:
    with (
        private_nats(tmp_path) as nats,
        cluster(tmp_path / "procs", env | {"CLIPCAST_NATS_URL": nats.url}) as c,
    ):
        c.worker("thumbs", "thumbnails")
        c.worker("search", "search")
        c.worker("transcode", "transcode")
        api = c.api("api").url
        assert api
        httpx.post(
            f"{api}/api/v1/auth/register", json={"username": "max", "password": "max's password"}
        )
        token = client.login(api, "max", "max's password")
        nats.kill()
        source = make_video(tmp_path / "down.mp4", seconds=3, size="320x240")
        video_id = client.upload(
            api,
            token,
            source,
            {"filename": "d.mp4", "title": "Zeppelin while down"},
            lambda *_: None,
        )
        video = eventually(
            lambda: (v := client.get_video(api, token, video_id))["state"] == "ready" and v,
            120,
            "the video to be ready with NATS down",
        )
        assert video["thumbnails"]["poster"] is None
        assert (
            _sql(
                env["CLIPCAST_DATABASE_URL"],
                "SELECT count(*) FROM outbox WHERE published_at IS NULL",
            )[0][0]
            >= 1
        )
        nats.start()
        eventually(
            lambda: client.get_video(api, token, video_id)["thumbnails"]["poster"],
            90,
            "thumbnails after NATS is back",
        )

        def found() -> bool:
            hits = httpx.get(f"{api}/api/v1/search", params={"q": "zeppelin"}).json()["items"]
            return [h["id"] for h in hits] == [video_id]

        eventually(found, 60, "search to find it after NATS is back")
        assert (
            _sql(
                env["CLIPCAST_DATABASE_URL"],
                "SELECT count(*) FROM outbox WHERE published_at IS NULL",
            )[0][0]
            == 0
        )
