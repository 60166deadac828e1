"""How many viewers a live stream has, counted at the CDN: each viewer reads each clip
document once, so the reads of one document are the viewers who played that clip (pure).

Viewers never call the service while they watch; the count is the edge's, published in later
clip documents. This process counts the reads its own CDN route served; behind a caching edge
(nginx in scaled mode) the edge's access log is the place to count.
"""

from __future__ import annotations

import re
import uuid
from collections import OrderedDict

_DOCUMENT = re.compile(r"videos/([0-9a-f-]{36})/live/(\d{6,9})\.json")


class ViewerTally:
    """Reads per clip document of the newest few clips of the most recent streams."""

    def __init__(self, *, clips_kept: int = 8, streams_kept: int = 10_000) -> None:
        self._clips_kept = clips_kept
        self._streams_kept = streams_kept
        self._reads: OrderedDict[uuid.UUID, dict[int, int]] = OrderedDict()

    def served(self, key: str) -> None:
        """The CDN route served the object `key` (anything but a clip document is ignored)."""
        match = _DOCUMENT.fullmatch(key)
        if match is None:
            return
        video_id, index = uuid.UUID(match[1]), int(match[2])
        counts = self._reads.setdefault(video_id, {})
        self._reads.move_to_end(video_id)
        counts[index] = counts.get(index, 0) + 1
        if len(counts) > self._clips_kept:
            del counts[min(counts)]
        if len(self._reads) > self._streams_kept:
            self._reads.popitem(last=False)

    def viewers(self, video_id: uuid.UUID, index: int) -> int:
        """Reads of clip `index`'s document so far."""
        return self._reads.get(video_id, {}).get(index, 0)
