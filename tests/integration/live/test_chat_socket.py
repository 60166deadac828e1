"""The chat WebSocket of a live stream over a real uvicorn, on SQLite and PostgreSQL, with the
chat store in memory and in Redis: who may read and post, where each message is placed, the
refusals (flood, HTML kept as text, a claim of the future or of another stream, anonymous
posting, oversized frames, another site's page) and moderation."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.devserver import free_port
from clipcast.live.chat_models import LiveChatMessage
from clipcast.live.models import FeedState, LiveClipMark, LiveStream
from clipcast.settings import Settings
from clipcast.web.app import create_app
from tests.integration.conftest import auth
from tests.integration.live.conftest import create_stream
from tests.services import reachable, require

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
_nonces = itertools.count()


@pytest.fixture(params=["memory", "redis"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """The test settings, with the chat store (and counters) in Redis for the "redis" run."""
    redis: dict[str, Any] = {}
    if request.param == "redis":
        require(reachable(REDIS_HOST, REDIS_PORT), f"Redis at {REDIS_HOST}:{REDIS_PORT}")
        redis = {
            "redis_url": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
            "redis_prefix": f"test-{uuid.uuid4().hex[:12]}",
        }
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret",
        ladder=[360, 240],
        worker_poll_seconds=0.05,
        **redis,
    )


@contextlib.asynccontextmanager
async def serving(adapters: Adapters) -> AsyncIterator[str]:
    """The app on a real uvicorn on a free loopback port, in this event loop."""
    app = create_app(adapters=adapters, run_workers=False)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(name="server")
async def server_fixture(adapters: Adapters) -> AsyncIterator[str]:
    async with serving(adapters) as url:
        yield url


@pytest.fixture(name="http")
async def http_fixture(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=15) as client:
        yield client


async def user(http: httpx.AsyncClient, name: str) -> str:
    """Sign `name` up; its API token."""
    body = {"username": name, "password": f"{name}'s password"}
    assert (await http.post("/api/v1/auth/register", json=body)).status_code == 201
    return str((await http.post("/api/v1/auth/token", json=body)).json()["access_token"])


async def publish(adapters: Adapters, stream_id: str, clips: int, ended_ago: float = 0.3) -> None:
    """The stream's state once the live publisher has published `clips` clips of 2 s, the
    newest captured until `ended_ago` seconds ago."""
    now, video_id = utcnow(), uuid.UUID(stream_id)
    async with adapters.sessions() as session:
        stream = await session.get(LiveStream, video_id)
        assert stream is not None
        for index in range(stream.next_index, clips):
            start = now - timedelta(seconds=ended_ago + 2.0 * (clips - index))
            session.add(
                LiveClipMark(
                    video_id=video_id,
                    index=index,
                    program_date_time=start,
                    published_at=start + timedelta(seconds=2.1),
                    media_time=2.0 * index,
                    duration=2.0,
                    discontinuity=False,
                    discontinuity_sequence=0,
                    init="init.mp4",
                )
            )
        stream.next_index, stream.current_index = clips, clips - 1
        stream.feed_state = FeedState.RECEIVING
        await session.commit()


class Chat:
    """One chat socket: what it was sent, and posts matched to their answers by nonce."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.hello: dict[str, Any] = {}
        self.received: list[dict[str, Any]] = []

    async def take(self, where: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first message sent that `where` accepts and was not taken yet."""
        for kept in self.received:
            if where(kept):
                self.received.remove(kept)
                return kept
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if where(message):
                return message
            self.received.append(message)

    async def next(
        self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda _m: True
    ) -> dict[str, Any]:
        return await self.take(lambda m: m["type"] == kind and where(m))

    async def message(self, text: str) -> dict[str, Any]:
        found = await self.next("message", lambda m: m["message"]["text"] == text)
        body: dict[str, Any] = found["message"]
        return body

    async def post(self, text: str, position: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a message; the server's answer to it (accepted or refused)."""
        nonce = f"n{next(_nonces)}"
        frame: dict[str, Any] = {"type": "post", "text": text, "nonce": nonce}
        if position is not None:
            frame["position"] = position
        await self.ws.send(json.dumps(frame))
        return await self.take(
            lambda m: m["type"] in ("accepted", "refused") and m.get("nonce") == nonce
        )


def chat_url(base: str, stream_id: str) -> str:
    return base.replace("http://", "ws://") + f"/api/v1/streams/{stream_id}/chat"


@contextlib.asynccontextmanager
async def chat(
    base: str, stream_id: str, token: str | None = None, **headers: str
) -> AsyncIterator[Chat]:
    sent = {**headers, **({"Authorization": f"Bearer {token}"} if token else {})}
    async with connect(chat_url(base, stream_id), additional_headers=sent) as ws:
        joined = Chat(ws)
        joined.hello = await joined.next("hello")
        yield joined


async def closing_words(base: str, stream_id: str, **kw: Any) -> tuple[dict[str, Any], int]:
    """What a socket the server refuses at once is told, and its close code."""
    async with connect(chat_url(base, stream_id), **kw) as ws:
        words = json.loads(await asyncio.wait_for(ws.recv(), 10))
        with contextlib.suppress(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code is not None
        return words, ws.close_code


def at(stream_id: str, index: int, offset: float) -> dict[str, Any]:
    return {"stream": stream_id, "index": index, "offset": offset}


@pytest.fixture(name="live")
async def live_fixture(http: httpx.AsyncClient, adapters: Adapters) -> dict[str, Any]:
    """alice's public stream with 5 clips out, and bob, a viewer."""
    alice, bob = await user(http, "alice"), await user(http, "bob")
    stream = await create_stream(http, alice)
    await publish(adapters, stream["id"], 5)
    return {"id": stream["id"], "alice": alice, "bob": bob}


async def test_a_viewer_message_reaches_the_streamer_and_every_viewer_at_its_position(
    server: str, live: dict[str, Any]
) -> None:
    sid = live["id"]
    async with (
        chat(server, sid, live["alice"]) as streamer,
        chat(server, sid, live["bob"]) as bob,
        chat(server, sid) as visitor,
    ):
        assert (streamer.hello["owner"], streamer.hello["can_post"]) == (True, True)
        assert (bob.hello["owner"], bob.hello["you"]["name"]) == (False, "bob")
        answer = await bob.post("nice shot", at(sid, 3, 1.25))
        assert answer["type"] == "accepted"
        sent = answer["message"]
        assert (sent["index"], sent["offset"], sent["name"], sent["owner"]) == (
            3,
            1.25,
            "bob",
            False,
        )
        assert await streamer.message("nice shot") == sent
        assert await visitor.message("nice shot") == sent


async def test_the_streamers_message_is_placed_where_now_is_being_recorded(
    server: str, live: dict[str, Any]
) -> None:
    async with chat(server, live["id"], live["alice"]) as streamer:
        answer = await streamer.post("hello everyone")  # the go-live page sends no position
    message = answer["message"]
    # Clip 4 was captured until 0.3 s before: the moment now is early in clip 5.
    assert (message["index"], message["owner"]) == (5, True)
    assert 0.3 <= message["offset"] < 2.0


async def test_an_anonymous_visitor_reads_but_may_not_post(
    server: str, live: dict[str, Any]
) -> None:
    async with chat(server, live["id"]) as visitor:
        assert (visitor.hello["you"], visitor.hello["can_post"]) == (None, False)
        answer = await visitor.post("hi", at(live["id"], 2, 0.5))
    assert (answer["type"], answer["code"]) == ("refused", "login_required")


async def test_a_claim_of_the_future_or_of_another_stream_is_refused(
    server: str, http: httpx.AsyncClient, adapters: Adapters, live: dict[str, Any]
) -> None:
    sid = live["id"]
    other = await create_stream(http, live["alice"], title="Another")
    await publish(adapters, other["id"], 9)
    async with chat(server, sid, live["bob"]) as bob:
        for position, code in (
            (at(sid, 5, 0.0), "future"),  # clip 5 is not out yet
            (at(sid, 4, 3.5), "future"),  # past the end of the newest clip
            (at(sid, 10_000, 0.0), "future"),
            (at(other["id"], 7, 1.0), "other_stream"),  # a moment of the other stream
            (at(sid, -1, 0.0), "bad_position"),
            (at(sid, 2, -3.0), "bad_position"),
        ):
            answer = await bob.post("spoiler!", position)
            assert (answer["type"], answer["code"]) == ("refused", code), position
        assert (await bob.post("fine", at(sid, 4, 1.9)))["type"] == "accepted"
    async with adapters.sessions() as session:
        texts = list(await session.scalars(select(LiveChatMessage.text)))
    assert texts == ["fine"]  # nothing refused was kept


async def test_chat_with_html_is_kept_and_sent_as_text(server: str, live: dict[str, Any]) -> None:
    html = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    async with chat(server, live["id"], live["bob"]) as bob, chat(server, live["id"]) as visitor:
        answer = await bob.post(f"  {html}\n", at(live["id"], 1, 0.5))
        assert answer["message"]["text"] == html  # verbatim: pages only ever set textContent
        assert (await visitor.message(html))["text"] == html


async def test_a_flood_is_held_to_three_messages_in_two_seconds(
    server: str, live: dict[str, Any]
) -> None:
    async with chat(server, live["id"], live["bob"]) as bob:
        answers = [await bob.post(f"spam {n}", at(live["id"], 4, 1.0)) for n in range(6)]
        kinds = [a["type"] for a in answers]
        assert kinds == ["accepted"] * 3 + ["refused"] * 3
        assert {a["code"] for a in answers[3:]} == {"flood"}
        wait = answers[-1]["retry_after"]
        assert 0 < wait <= 2.0
        await asyncio.sleep(wait + 0.05)
        assert (await bob.post("after the wait", at(live["id"], 4, 1.0)))["type"] == "accepted"


async def test_empty_and_too_long_messages_and_garbage_frames_are_refused(
    server: str, live: dict[str, Any]
) -> None:
    async with chat(server, live["id"], live["bob"]) as bob:
        assert (await bob.post(" \n\t "))["code"] == "empty"
        assert (await bob.post("x" * 201))["code"] == "too_long"
        await bob.ws.send("not json")
        assert (await bob.next("refused"))["code"] == "bad_message"
        await bob.ws.send(json.dumps({"type": "post", "text": "hi", "position": {"index": "x"}}))
        assert (await bob.next("refused"))["code"] == "bad_message"


async def test_an_oversized_frame_closes_the_socket(server: str, live: dict[str, Any]) -> None:
    async with chat(server, live["id"], live["bob"]) as bob:
        await bob.ws.send(json.dumps({"type": "post", "text": "x" * 5000}))
        error = await bob.next("error")
        with contextlib.suppress(ConnectionClosed):
            await asyncio.wait_for(bob.ws.recv(), 10)
    assert error["code"] == "frame_too_large"
    assert bob.ws.close_code == 1009


async def test_another_sites_page_may_not_open_the_chat(server: str, live: dict[str, Any]) -> None:
    words, code = await closing_words(
        server, live["id"], additional_headers={"Origin": "https://evil.example"}
    )
    assert (words["code"], code) == ("bad_origin", 1008)
    async with chat(server, live["id"], Origin=server) as same_site:  # this site's page may
        assert same_site.hello["stream"] == live["id"]


async def test_a_private_streams_chat_is_its_audience_alone(
    server: str, http: httpx.AsyncClient, live: dict[str, Any]
) -> None:
    private = await create_stream(http, live["alice"], title="Secret", visibility="private")
    for headers in ({}, {"Authorization": f"Bearer {live['bob']}"}):
        words, code = await closing_words(server, private["id"], additional_headers=headers)
        assert (words["code"], code) == ("video_not_found", 4404)
    async with chat(server, private["id"], live["alice"]) as owner:
        assert owner.hello["owner"] is True
    words, code = await closing_words(server, str(uuid.uuid4()))
    assert code == 4404


async def test_a_reconnecting_viewer_is_given_the_recent_chat(
    server: str, live: dict[str, Any]
) -> None:
    async with chat(server, live["id"], live["bob"]) as bob:
        for n in range(3):
            await bob.post(f"m{n}", at(live["id"], 2, 0.1 * n))
    async with chat(server, live["id"]) as again:
        texts = [m["text"] for m in again.hello["messages"]]
    assert texts == ["m0", "m1", "m2"]


async def test_the_streamer_deletes_a_message_everywhere(
    server: str, http: httpx.AsyncClient, live: dict[str, Any]
) -> None:
    sid = live["id"]
    async with chat(server, sid, live["bob"]) as bob, chat(server, sid) as visitor:
        rude = (await bob.post("rude", at(sid, 3, 0.2)))["message"]
        kept = (await bob.post("kind", at(sid, 3, 0.4)))["message"]
        url = f"/api/v1/streams/{sid}/chat/{rude['id']}"
        carol = await user(http, "carol")
        assert (await http.delete(url, headers=auth(carol))).status_code == 404  # not hers
        assert (await http.delete(url, headers=auth(live["alice"]))).status_code == 204
        assert (await visitor.next("deleted"))["id"] == rude["id"]
        # Its sender may delete their own.
        mine = f"/api/v1/streams/{sid}/chat/{kept['id']}"
        assert (await http.delete(mine, headers=auth(live["bob"]))).status_code == 204
        assert (await visitor.next("deleted"))["id"] == kept["id"]
    async with chat(server, sid) as again:
        assert again.hello["messages"] == []


async def test_a_timeout_then_a_ban_stop_a_user_posting_until_lifted(
    server: str, http: httpx.AsyncClient, live: dict[str, Any]
) -> None:
    sid = live["id"]
    bob_id = (await http.get("/api/v1/auth/me", headers=auth(live["bob"]))).json()["id"]
    rule = f"/api/v1/streams/{sid}/chat/restrictions/{bob_id}"
    async with chat(server, sid, live["bob"]) as bob:
        put = await http.put(rule, json={"seconds": 300}, headers=auth(live["alice"]))
        assert put.status_code == 200 and put.json()["until"] is not None
        assert (await bob.next("restricted"))["user_id"] == bob_id
        refused = await bob.post("let me talk", at(sid, 4, 1.0))
        assert refused["code"] == "timed_out" and 290 < refused["retry_after"] <= 300
        put = await http.put(rule, json={"seconds": None}, headers=auth(live["alice"]))
        assert put.json()["until"] is None
        assert (await bob.post("please", at(sid, 4, 1.0)))["code"] == "banned"
        assert (await http.delete(rule, headers=auth(live["alice"]))).status_code == 204
        assert (await bob.post("thanks", at(sid, 4, 1.0)))["type"] == "accepted"
    # Only the streamer moderates; a timeout has bounds.
    assert (await http.put(rule, json={}, headers=auth(live["bob"]))).status_code == 404
    bad = await http.put(rule, json={"seconds": 0}, headers=auth(live["alice"]))
    assert bad.status_code == 422


async def test_the_chat_says_the_stream_ended_and_takes_no_more(
    server: str, http: httpx.AsyncClient, live: dict[str, Any]
) -> None:
    sid = (await create_stream(http, live["alice"], title="Short"))["id"]
    async with chat(server, sid, live["bob"]) as bob:
        ended = await http.post(f"/api/v1/streams/{sid}/end", headers=auth(live["alice"]))
        assert ended.status_code == 200
        assert (await bob.next("ended"))["type"] == "ended"
        assert (await bob.post("too late"))["code"] == "stream_ended"
    async with chat(server, sid, live["bob"]) as again:
        assert (again.hello["ended"], again.hello["can_post"]) == (True, False)
