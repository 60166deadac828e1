"""Rules every bus adapter shares: names, retry backoff, dead-letter envelope, stopping."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from datetime import datetime
from typing import Any

from clipcast.adapters.bus.base import Event

# Group names become NATS durable names, which allow no dots, wildcards or spaces.
_GROUP = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Topics become NATS subject tokens, so dotted words without wildcards.
_TOPIC = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
DEAD_PREFIX = "dead."
FIRST_RETRY_SECONDS = 0.05
MAX_RETRY_SECONDS = 5.0


def node_group(kind: str, node: str) -> str:
    """A consumer group of one node's own (a search index, a CDN cache, an edge gate), named
    `kind-node` with what a group name cannot hold turned into dashes.

    Group names are at most 64 characters; a long node name (host and a deep data dir) keeps
    its start and gains a digest of the whole, so two nodes never share a group.
    """
    name = f"{kind}-" + re.sub(r"[^A-Za-z0-9_-]+", "-", node).strip("-")
    if len(name) <= 64:
        return name
    return name[:47] + "-" + hashlib.sha256(node.encode()).hexdigest()[:16]


def check_names(group: str, topics: list[str]) -> None:
    """Refuse names one adapter could not represent, so every adapter accepts the same ones."""
    if not _GROUP.fullmatch(group):
        raise ValueError(f"invalid consumer group name: {group!r}")
    if not topics:
        raise ValueError("subscribe needs at least one topic")
    for topic in topics:
        check_topic(topic)


def check_topic(topic: str) -> None:
    if len(topic) > 100 or not _TOPIC.fullmatch(topic):
        raise ValueError(f"invalid topic: {topic!r}")


def dead_letter_topic(group: str) -> str:
    return f"{DEAD_PREFIX}{group}"


def retry_delay(delivery: int, ack_wait_seconds: float) -> float:
    """Seconds before a failed event is offered again: doubling, never past ack_wait or 5 s."""
    cap = min(ack_wait_seconds, MAX_RETRY_SECONDS)
    return float(min(cap, FIRST_RETRY_SECONDS * 2 ** max(delivery - 1, 0)))


def dead_letter(event: Event, group: str, error: str, now: datetime) -> Event:
    """Wrap an event that `group` gave up on; its id is derived, so burying twice stores once."""
    original: dict[str, Any] = {
        "id": str(event.id),
        "topic": event.topic,
        "payload": event.payload,
        "created_at": event.created_at.isoformat(),
    }
    return Event(
        id=uuid.uuid5(event.id, f"dead/{group}"),
        topic=dead_letter_topic(group),
        payload={"event": original, "error": error[:2000], "deliveries": event.delivery},
        created_at=now,
    )


async def finish_or_cancel(tasks: list[asyncio.Task[None]], grace_seconds: float) -> None:
    """Let consumer loops finish the event in hand; cancel what is still running after the grace.

    An event cut short is simply not acked, so it comes back after ack_wait: the grace
    only avoids doing the work twice, it is never needed for correctness.
    """
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
    for task in pending:
        task.cancel()
    # Crashes were logged when they happened; stopping should not raise them again.
    await asyncio.gather(*tasks, return_exceptions=True)
