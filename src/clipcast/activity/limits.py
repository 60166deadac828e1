"""Per-viewer rate limit on activity events: a token bucket per viewer (pure, in memory)."""

from __future__ import annotations

import math
import uuid
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float  # monotonic seconds of the last refill


class RateLimits:
    """At most `per_minute` events per viewer, refilled continuously, a minute's worth at once.

    Kept per process (so N API processes allow N times as much): a limit against a runaway
    client, not a quota. The least recently seen viewers are forgotten beyond `max_viewers`.
    """

    def __init__(self, per_minute: int, *, max_viewers: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._buckets: OrderedDict[uuid.UUID, _Bucket] = OrderedDict()
        self._max = max_viewers

    def take(self, viewer: uuid.UUID, events: int, now: float) -> int:
        """Spend `events` tokens: 0 when allowed, else whole seconds to wait (nothing spent)."""
        bucket = self._bucket(viewer, now)
        # A batch larger than the bucket waits for a full bucket rather than for ever.
        cost = min(float(events), self.capacity)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0
        return max(1, math.ceil((cost - bucket.tokens) / self._rate))

    def _bucket(self, viewer: uuid.UUID, now: float) -> _Bucket:
        bucket = self._buckets.pop(viewer, None)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
        self._buckets[viewer] = bucket
        if len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return bucket
