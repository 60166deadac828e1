"""Every table, imported in one place so Alembic and tests see the whole schema."""

from __future__ import annotations

from clipcast.accounts.models import AccessToken, User
from clipcast.activity.models import (
    ActivityLog,
    CommentReaction,
    PendingBatch,
    PendingDeltas,
    RollupClip,
    RollupHour,
    ViewWindow,
    WatchHistory,
)
from clipcast.adapters.counters.tables import (
    CounterBatch,
    CounterClip,
    CounterComment,
    CounterHot,
    CounterHour,
    CounterVideo,
)
from clipcast.comments.models import Comment
from clipcast.db.base import Base
from clipcast.events.models import BusBinding, BusDelivery, BusEvent, ProcessedEvent
from clipcast.groups.models import Group, GroupMember, VideoGroup
from clipcast.jobs.models import Job
from clipcast.live.chat_models import LiveChatMessage
from clipcast.live.models import LiveClipMark, LiveStream
from clipcast.outbox.models import OutboxEvent
from clipcast.recommendations.models import (
    PendingRefresh,
    Recommendation,
    RecsModel,
    UpNext,
    UserTagRow,
    VideoTagRow,
)
from clipcast.uploads.models import Upload
from clipcast.videos.models import Clip, Rendition, Video

metadata = Base.metadata

__all__ = [
    "AccessToken",
    "ActivityLog",
    "BusBinding",
    "BusDelivery",
    "BusEvent",
    "Clip",
    "Comment",
    "CommentReaction",
    "CounterBatch",
    "CounterClip",
    "CounterComment",
    "CounterHot",
    "CounterHour",
    "CounterVideo",
    "Group",
    "GroupMember",
    "Job",
    "LiveChatMessage",
    "LiveClipMark",
    "LiveStream",
    "OutboxEvent",
    "PendingBatch",
    "PendingDeltas",
    "PendingRefresh",
    "ProcessedEvent",
    "Recommendation",
    "RecsModel",
    "Rendition",
    "RollupClip",
    "RollupHour",
    "UpNext",
    "Upload",
    "User",
    "UserTagRow",
    "Video",
    "VideoGroup",
    "VideoTagRow",
    "ViewWindow",
    "WatchHistory",
    "metadata",
]
