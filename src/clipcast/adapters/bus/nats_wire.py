"""How events look on NATS: subjects, stream and durable names, and the JSON body."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from clipcast.adapters.bus.base import Event
from clipcast.adapters.bus.redelivery import DEAD_PREFIX


@dataclass(frozen=True, slots=True)
class Naming:
    """Every name derived from one prefix, so tests and tenants never see each other's data."""

    prefix: str

    @property
    def events_stream(self) -> str:
        return f"{self.prefix}_EVENTS"

    @property
    def dead_stream(self) -> str:
        return f"{self.prefix}_DEAD"

    def stream_of(self, topic: str) -> str:
        return self.dead_stream if topic.startswith(DEAD_PREFIX) else self.events_stream

    def subject(self, topic: str) -> str:
        # Dead letters live in their own stream so a replay never mixes them with live events.
        if topic.startswith(DEAD_PREFIX):
            return f"{self.prefix}.{topic}"
        return f"{self.prefix}.events.{topic}"

    def stream_subjects(self, stream: str) -> list[str]:
        kind = "dead" if stream == self.dead_stream else "events"
        return [f"{self.prefix}.{kind}.>"]


def durable_for_topic(group: str, topic: str) -> str:
    """A durable per (group, topic), for servers before 2.10 that filter on one subject only.

    Dots are not allowed in durable names; the short hash keeps "a.b" and "a_b" apart.
    """
    digest = hashlib.sha256(topic.encode()).hexdigest()[:8]
    return f"{group}-{topic.replace('.', '_')}-{digest}"


def encode(event: Event) -> bytes:
    body = {
        "id": str(event.id),
        "topic": event.topic,
        "payload": event.payload,
        "created_at": event.created_at.isoformat(),
    }
    return json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes, delivery: int) -> Event:
    """Raises ValueError (or KeyError) for a body that is not one of ours."""
    body = json.loads(data)
    created_at = datetime.fromisoformat(body["created_at"])
    if created_at.tzinfo is None:
        raise ValueError("event timestamp without a zone")
    return Event(
        id=uuid.UUID(body["id"]),
        topic=str(body["topic"]),
        payload=dict(body["payload"]),
        created_at=created_at,
        delivery=delivery,
    )
