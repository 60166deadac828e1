"""Chat through a real feed, on SQLite and PostgreSQL: messages posted while clips are
published ride in the later clip documents (deletions too), and once the stream ended the
recording's chat replays each message at its clip's start plus its offset."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.live import chat_service
from clipcast.live.chat_service import ChatDeps, Claim, FactsCache, Room, Sender
from clipcast.live.chat_sync import Position
from clipcast.live.chat_wiring import chat_source
from clipcast.live.finishing import end_stream
from clipcast.live.hub import LiveHub
from clipcast.live.ingest import run_feed
from clipcast.live.keys import document_key
from clipcast.live.wiring import ingest_config, publish_deps
from tests.integration.conftest import auth
from tests.integration.live.conftest import chunks

pytestmark = pytest.mark.slow


async def me(client: httpx.AsyncClient, token: str) -> Sender:
    body = (await client.get("/api/v1/auth/me", headers=auth(token))).json()
    return Sender(uuid.UUID(body["id"]), body["username"])


class Chatter:
    """Posts chat as clips come out, as viewers a few seconds behind and the streamer would."""

    def __init__(self, deps: ChatDeps, streamer: Room, viewer: Room) -> None:
        self.deps, self.streamer, self.viewer = deps, streamer, viewer
        self.sent: dict[str, dict[str, Any]] = {}

    async def post(self, room: Room, text: str, at: Position | None = None) -> None:
        claim = None if at is None else Claim(room.video_id, at)
        message = await chat_service.post(
            deps=self.deps, room=room, text=text, claim=claim, now=utcnow()
        )
        self.sent[text] = message.to_json()

    async def on_clip(self, index: int) -> None:
        if index == 0:
            await self.post(self.viewer, "at 0.5", Position(0, 0.5))
            await self.post(self.viewer, "rude", Position(0, 1.0))
        elif index == 1:
            await chat_service.delete_message(
                deps=self.deps,
                video_id=self.viewer.video_id,
                message_id=uuid.UUID(self.sent["rude"]["id"]),
                by=self.streamer.owner_id,
                now=utcnow(),
            )
            await self.post(self.viewer, "<b>at 1.25</b>", Position(1, 1.25))
        elif index == 2:
            # The feed runs faster than real time here: let the edge be read afresh, as it
            # would be a second later on the air.
            self.deps.facts.forget(self.streamer.video_id)
            await self.post(self.streamer, "hello from the streamer")  # placed where now is


async def document(adapters: Adapters, stream_id: str, index: int) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        await adapters.storage.get_bytes(document_key(uuid.UUID(stream_id), index))
    )
    return loaded


@pytest.fixture
async def chatted(
    adapters: Adapters,
    client: httpx.AsyncClient,
    alice: str,
    bob: str,
    stream: dict[str, Any],
    h264_feed: Path,
) -> tuple[str, Chatter]:
    """alice's stream fed 7 s of H.264 (4 clips) while bob and alice chat, then ended."""
    video_id = uuid.UUID(stream["id"])
    deps = ChatDeps(adapters.sessions, adapters.chat, FactsCache(), clip_seconds=2)
    rooms = [
        await chat_service.open_room(deps=deps, video_id=video_id, sender=await me(client, who))
        for who in (alice, bob)
    ]
    chatter = Chatter(deps, *rooms)

    async def notify(message: dict[str, Any]) -> None:
        if message["type"] == "clip":
            await chatter.on_clip(message["index"])

    hub = LiveHub(chat=chat_source(adapters.chat))  # as the app wires it
    await run_feed(
        deps=publish_deps(
            sessions=adapters.sessions, storage=adapters.storage, hub=hub, clip_seconds=2
        ),
        config=ingest_config(adapters.settings),
        video_id=video_id,
        source=chunks(h264_feed),
        notify=notify,
    )
    await end_stream(
        sessions=adapters.sessions,
        storage=adapters.storage,
        hub=hub,
        video_id=video_id,
        clip_seconds=2,
    )
    return stream["id"], chatter


def texts(items: list[dict[str, Any]]) -> list[str]:
    return [i.get("text", f"deleted {i['id']}") for i in items]


async def test_chat_rides_in_the_clip_documents_published_after_it(
    adapters: Adapters, chatted: tuple[str, Chatter]
) -> None:
    stream_id, chatter = chatted
    sent = chatter.sent
    docs = [await document(adapters, stream_id, i) for i in range(4)]
    assert docs[0]["chat"] == []
    assert docs[1]["chat"] == [sent["at 0.5"], sent["rude"]]
    rude = sent["rude"]["id"]
    assert docs[2]["chat"] == [
        sent["at 0.5"],
        sent["<b>at 1.25</b>"],
        {"id": rude, "deleted": True},
    ]
    assert texts(docs[3]["chat"]) == [
        "at 0.5",
        "<b>at 1.25</b>",
        "hello from the streamer",
        f"deleted {rude}",
    ]
    # Each item names the clip and offset where its sender saw the picture.
    assert (sent["at 0.5"]["index"], sent["at 0.5"]["offset"]) == (0, 0.5)
    assert (sent["<b>at 1.25</b>"]["index"], sent["<b>at 1.25</b>"]["offset"]) == (1, 1.25)
    assert sent["hello from the streamer"]["owner"] is True
    assert sent["hello from the streamer"]["index"] >= 2


async def test_the_recordings_chat_replays_each_message_at_its_clip_and_offset(
    adapters: Adapters, client: httpx.AsyncClient, chatted: tuple[str, Chatter]
) -> None:
    stream_id, chatter = chatted
    video = (await client.get(f"/api/v1/videos/{stream_id}")).json()
    assert video["state"] == "ready"
    docs = [await document(adapters, stream_id, i) for i in range(4)]
    starts = [d["media_time"] for d in docs]
    body = (await client.get(f"/api/v1/videos/{stream_id}/chat")).json()
    assert body["stream"] is True and body["next"] is None
    replayed = body["messages"]
    assert [m["text"] for m in replayed] == ["at 0.5", "<b>at 1.25</b>", "hello from the streamer"]
    assert replayed[0]["media_time"] == pytest.approx(starts[0] + 0.5, abs=0.001)
    assert replayed[1]["media_time"] == pytest.approx(starts[1] + 1.25, abs=0.001)
    streamer = chatter.sent["hello from the streamer"]
    index, offset = streamer["index"], streamer["offset"]
    end = starts[3] + docs[3]["duration"]
    expected = starts[index] + min(offset, docs[index]["duration"]) if index < 4 else end
    assert replayed[2]["media_time"] == pytest.approx(expected, abs=0.001)
    assert replayed[0]["id"] == chatter.sent["at 0.5"]["id"]


async def test_the_replay_reads_in_pages_and_from_a_moment(
    client: httpx.AsyncClient, chatted: tuple[str, Chatter]
) -> None:
    stream_id, _ = chatted
    url = f"/api/v1/videos/{stream_id}/chat"
    first = (await client.get(url, params={"limit": 1})).json()
    assert [m["text"] for m in first["messages"]] == ["at 0.5"]
    second = (await client.get(url, params={"limit": 1, "after": first["next"]})).json()
    assert [m["text"] for m in second["messages"]] == ["<b>at 1.25</b>"]
    later = (await client.get(url, params={"from": 1.0})).json()
    assert later["messages"][0]["text"] == "<b>at 1.25</b>"  # 0.5 s is before 1 s


async def test_a_stream_never_fed_has_no_chat_and_an_unknown_video_is_missing(
    client: httpx.AsyncClient, alice: str
) -> None:
    created = await client.post("/api/v1/streams", json={"title": "Quiet"}, headers=auth(alice))
    body = (await client.get(f"/api/v1/videos/{created.json()['id']}/chat")).json()
    assert (body["stream"], body["messages"]) == (False, [])
    assert (await client.get(f"/api/v1/videos/{uuid.uuid4()}/chat")).status_code == 404
