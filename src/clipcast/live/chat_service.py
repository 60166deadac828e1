"""Use cases of live chat: open a stream's chat, post (checked, placed at the sender's moment,
kept for the recording, fanned out), moderate, and read the recording's chat for its replay."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.chat.base import ChatMessage, ChatStore, EventType
from clipcast.core.errors import ClipcastError, InvalidInput, NotFound
from clipcast.core.ids import new_id
from clipcast.live import chat_repository as repo
from clipcast.live.chat_models import LiveChatMessage
from clipcast.live.chat_repository import StreamFacts
from clipcast.live.chat_rules import (
    FLOOD_LIMIT,
    FLOOD_WINDOW,
    Restriction,
    check_text,
    clean_text,
    timeout_until,
)
from clipcast.live.chat_sync import Position, Refusal, check_claim, position_at, stamp, vod_time
from clipcast.videos.access import visible_video

FACTS_SECONDS = 1.0  # a stream's edge is read again after this long
REPLAY_LIMIT = 500


class ChatRefused(ClipcastError):
    """A message not accepted; `retry_after` (seconds) for the flood limit and timeouts."""

    status = 422

    def __init__(self, message: str, *, code: str, retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


REASONS = {
    "login_required": "Log in to chat.",
    "stream_ended": "The stream has ended: its chat is closed.",
    "banned": "The streamer has banned you from this chat.",
    "timed_out": "The streamer has put you in a timeout.",
    "flood": "Slow down: at most 3 messages in 2 seconds.",
    "empty": "Write something first.",
    "too_long": "A message has at most 200 characters.",
    Refusal.FUTURE.value: "That moment of the stream has not been published yet.",
    Refusal.OTHER_STREAM.value: "That position belongs to another stream.",
    Refusal.BAD_POSITION.value: "That is not a position in this stream.",
}


def refused(code: str, retry_after: float | None = None) -> ChatRefused:
    return ChatRefused(REASONS[code], code=code, retry_after=retry_after)


class FactsCache:
    """Each stream's owner and live edge as this process last read them (chat posts arrive
    many times a second; the edge moves once per clip)."""

    def __init__(self, max_streams: int = 10_000) -> None:
        self._facts: dict[uuid.UUID, tuple[float, StreamFacts | None]] = {}
        self._max = max_streams

    async def get(
        self,
        sessions: async_sessionmaker[AsyncSession],
        video_id: uuid.UUID,
        clip_seconds: float,
        max_age: float = FACTS_SECONDS,
    ) -> StreamFacts | None:
        read_at, facts = self._facts.get(video_id, (0.0, None))
        if time.monotonic() - read_at < max_age:
            return facts
        async with sessions() as session:
            facts = await repo.stream_facts(session, video_id, clip_seconds)
        if len(self._facts) >= self._max:
            self._facts.clear()
        self._facts[video_id] = (time.monotonic(), facts)
        return facts

    def forget(self, video_id: uuid.UUID) -> None:
        self._facts.pop(video_id, None)


@dataclass(frozen=True)
class ChatDeps:
    sessions: async_sessionmaker[AsyncSession]
    store: ChatStore
    facts: FactsCache
    clip_seconds: int


@dataclass(frozen=True)
class Sender:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class Room:
    """One socket's view of a stream's chat."""

    video_id: uuid.UUID
    owner_id: uuid.UUID
    sender: Sender | None  # None: anonymous, read only
    ended: bool

    @property
    def is_owner(self) -> bool:
        return self.sender is not None and self.sender.id == self.owner_id


async def _facts(
    deps: ChatDeps, video_id: uuid.UUID, max_age: float = FACTS_SECONDS
) -> StreamFacts:
    facts = await deps.facts.get(deps.sessions, video_id, deps.clip_seconds, max_age)
    if facts is None:
        raise NotFound("This video is not a live stream.", code="stream_not_found")
    return facts


async def open_room(*, deps: ChatDeps, video_id: uuid.UUID, sender: Sender | None) -> Room:
    """The chat of a stream the caller may watch (others: NotFound, as for its page)."""
    async with deps.sessions() as session:
        await visible_video(session, video_id, sender.id if sender else None)
    facts = await _facts(deps, video_id)
    return Room(video_id=video_id, owner_id=facts.owner_id, sender=sender, ended=facts.ended)


@dataclass(frozen=True)
class Claim:
    """Where the sender's player was: the stream it names, the clip and the offset in it."""

    stream: uuid.UUID
    at: Position


async def post(
    *, deps: ChatDeps, room: Room, text: str, claim: Claim | None, now: datetime
) -> ChatMessage:
    """Accept a message at the sender's moment (the claim; without one, the moment being
    recorded now), keep it for the recording, and fan it out; ChatRefused says why not."""
    sender = room.sender
    if sender is None:
        raise refused("login_required")
    body = clean_text(text)
    if (bad_text := check_text(body)) is not None:
        raise refused(bad_text.value)
    facts = await _facts(deps, room.video_id)
    if facts.ended:
        raise refused("stream_ended")
    await _check_restriction(deps, room, sender, now.timestamp())
    at = await _position(deps, room, claim, facts, now)
    wait = await deps.store.admit(
        room.video_id, str(sender.id), now.timestamp(), FLOOD_LIMIT, FLOOD_WINDOW
    )
    if wait > 0:
        raise refused("flood", retry_after=wait)
    message = ChatMessage(
        id=str(new_id()),
        user_id=str(sender.id),
        name=sender.name,
        text=body,
        index=at.index,
        offset=at.offset,
        sent_at=now.timestamp(),
        by_owner=room.is_owner,
    )
    await _record(deps.sessions, room.video_id, message, now)
    await deps.store.append(room.video_id, message)
    return message


async def _check_restriction(deps: ChatDeps, room: Room, sender: Sender, now: float) -> None:
    restriction = await deps.store.restriction(room.video_id, str(sender.id))
    if restriction is None or not restriction.active(now):
        return
    if restriction.until is None:
        raise refused("banned")
    raise refused("timed_out", retry_after=restriction.until - now)


async def _position(
    deps: ChatDeps, room: Room, claim: Claim | None, facts: StreamFacts, now: datetime
) -> Position:
    if claim is None:
        return stamp(facts.edge, now)
    refusal = check_claim(room.video_id, claim.stream, claim.at, facts.edge, now)
    if refusal is Refusal.FUTURE:  # perhaps only past the edge this process knew
        fresh = await _facts(deps, room.video_id, max_age=0.0)
        refusal = check_claim(room.video_id, claim.stream, claim.at, fresh.edge, now)
    if refusal is not None:
        raise refused(refusal.value)
    return claim.at


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    message: ChatMessage,
    now: datetime,
) -> None:
    async with sessions() as session:
        session.add(
            LiveChatMessage(
                id=uuid.UUID(message.id),
                video_id=video_id,
                user_id=uuid.UUID(message.user_id),
                clip_index=message.index,
                clip_offset=message.offset,
                text=message.text,
                sent_at=now,
                by_owner=message.by_owner,
            )
        )
        await session.commit()


async def delete_message(
    *, deps: ChatDeps, video_id: uuid.UUID, message_id: uuid.UUID, by: uuid.UUID, now: datetime
) -> None:
    """Delete a message (its sender or the streamer may): gone from pages, later clip
    documents and the recording's replay."""
    facts = await _facts(deps, video_id)
    async with deps.sessions() as session:
        row = await repo.mark_deleted(session, video_id, message_id, now)
        if row is None or by not in (row.user_id, facts.owner_id):
            raise NotFound("No such chat message.", code="message_not_found")
        await session.commit()
    await deps.store.remove(video_id, str(message_id))


async def restrict(
    *,
    deps: ChatDeps,
    video_id: uuid.UUID,
    owner_id: uuid.UUID,
    user_id: uuid.UUID,
    seconds: float | None,
    now: datetime,
) -> Restriction:
    """The streamer times a user out for `seconds`, or bans them (None) from this chat."""
    await _owned(deps, video_id, owner_id)
    if user_id == owner_id:
        raise InvalidInput("The streamer cannot be put out of their own chat.", code="own_chat")
    try:
        until = None if seconds is None else timeout_until(now.timestamp(), seconds)
    except ValueError as exc:
        raise InvalidInput(str(exc).capitalize() + ".", code="bad_timeout") from None
    restriction = Restriction(until)
    await deps.store.restrict(video_id, str(user_id), restriction)
    return restriction


async def lift(
    *, deps: ChatDeps, video_id: uuid.UUID, owner_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await _owned(deps, video_id, owner_id)
    await deps.store.restrict(video_id, str(user_id), None)


async def _owned(deps: ChatDeps, video_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    facts = await _facts(deps, video_id, max_age=0.0)
    if facts.owner_id != owner_id:
        raise NotFound("No such stream.", code="stream_not_found")


async def stream_ended(*, deps: ChatDeps, video_id: uuid.UUID) -> None:
    """Tell every chat socket of the stream, in every process, that it ended."""
    deps.facts.forget(video_id)
    await deps.store.announce(video_id, {"type": EventType.ENDED})


@dataclass(frozen=True)
class ReplayItem:
    message: ChatMessage
    media_time: float  # seconds into the recording where it replays


@dataclass(frozen=True)
class ReplayPage:
    stream: bool  # the video was a live stream (others have no chat)
    items: list[ReplayItem]
    more: bool


async def replay(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    from_seconds: float,
    after: uuid.UUID | None,
    limit: int = REPLAY_LIMIT,
) -> ReplayPage:
    """The recording's chat from `from_seconds` on (after the message `after`, when given),
    in the order it replays, each at its clip's start plus its offset."""
    async with sessions() as session:
        await visible_video(session, video_id, viewer_id)
        clips = await repo.clip_times(session, video_id)
        start = position_at(from_seconds, clips)
        if after is not None and (row := await session.get(LiveChatMessage, after)) is not None:
            start = Position(row.clip_index, row.clip_offset)
        rows = await repo.replay_rows(session, video_id, start, after, limit + 1)
    items = [ReplayItem(_message(row, name), vod_time(_at(row), clips)) for row, name in rows]
    return ReplayPage(stream=bool(clips), items=items[:limit], more=len(items) > limit)


def _at(row: LiveChatMessage) -> Position:
    return Position(row.clip_index, row.clip_offset)


def _message(row: LiveChatMessage, name: str) -> ChatMessage:
    return ChatMessage(
        id=str(row.id),
        user_id=str(row.user_id),
        name=name,
        text=row.text,
        index=row.clip_index,
        offset=row.clip_offset,
        sent_at=row.sent_at.timestamp(),
        by_owner=row.by_owner,
    )
