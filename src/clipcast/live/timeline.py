"""When each moment of a live feed was captured, in wall-clock time (pure; `now` is given).

A feed's timestamps say how its moments are spaced, not when they happened. Data cannot arrive
before it was captured, so every arrival bounds the capture time from above: the anchor (the
wall time of the feed's origin) is the earliest bound seen so far. The first byte gives the
first bound; each fragment, which is only written out once its last frame arrived, gives a
tighter one whenever the feed was delayed less. Drift of the feed's clock against ours is
followed downward; an anchor never moves later, so program date-times never go backwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Timeline:
    origin: float  # the feed's timestamp of its first kept frame, seconds
    anchor: datetime  # the wall time of `origin`

    @classmethod
    def starting(cls, origin: float, first_byte_at: datetime) -> Timeline:
        return cls(origin=origin, anchor=first_byte_at)

    def observe(self, media_end: float, now: datetime) -> None:
        """Data up to `media_end` (feed seconds) had arrived by `now`."""
        bound = now - timedelta(seconds=media_end - self.origin)
        self.anchor = min(self.anchor, bound)

    def wall_at(self, media: float) -> datetime:
        return self.anchor + timedelta(seconds=media - self.origin)
