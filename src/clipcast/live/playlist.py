"""HLS media playlists of a live stream: a sliding window while live, every clip when it ended
(pure). Built from our own records, never from a file ffmpeg rewrites in place.

Each clip carries its EXT-X-PROGRAM-DATE-TIME, so players (and latency measurements) can tell
the wall time of any frame; an interrupted feed shows as EXT-X-DISCONTINUITY, with a new
EXT-X-MAP when its init segment differs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from clipcast.live.documents import LiveClip, iso
from clipcast.videos.playlist import clip_name

WINDOW = 6  # clips a live playlist lists: enough for hls.js's default of 3 behind the edge


def live_playlist(clips: Sequence[LiveClip], clip_seconds: int, *, ended: bool = False) -> str:
    """The media playlist of one rendition. Live: the last WINDOW clips; ended: all of them,
    as a VOD playlist of the recording."""
    if not clips:
        raise ValueError("a playlist needs at least one clip")
    shown = list(clips) if ended else list(clips)[-WINDOW:]
    target = max([clip_seconds, *(math.ceil(c.duration - 1e-3) for c in shown)])
    first = shown[0]
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-MEDIA-SEQUENCE:{first.index}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{first.discontinuity_sequence}",
        *(("#EXT-X-PLAYLIST-TYPE:VOD",) if ended else ()),
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f'#EXT-X-MAP:URI="{first.init}"',
    ]
    previous = first
    for clip in shown:
        if clip is not first and clip.discontinuity_sequence != previous.discontinuity_sequence:
            lines.append("#EXT-X-DISCONTINUITY")
            if clip.init != previous.init:
                lines.append(f'#EXT-X-MAP:URI="{clip.init}"')
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{iso(clip.program_date_time)}")
        lines.append(f"#EXTINF:{clip.duration:.5f},")
        lines.append(clip_name(clip.index))
        previous = clip
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
