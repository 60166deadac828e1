"""activity: pending batches, watch history, view windows, comment reactions, the activity log
(partitioned by day on PostgreSQL), frozen counter increments, roll-ups, and the SQL counters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _video_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["video_id"], ["videos.id"], name=op.f(f"fk_{table}_video_id_videos"), ondelete="CASCADE"
    )


def upgrade() -> None:
    _viewer_tables()
    _log_tables()
    _counter_tables()


def _viewer_tables() -> None:
    op.create_table(
        "activity_pending",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("viewer_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_pending")),
    )
    op.create_index("ix_activity_pending_viewer_id", "activity_pending", ["viewer_id"])
    op.create_index("ix_activity_pending_received_at", "activity_pending", ["received_at"])
    op.create_table(
        "watch_history",
        sa.Column("viewer_id", sa.Uuid(), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("signed_in", sa.Boolean(), nullable=False),
        sa.Column("last_watched_at", TS, nullable=True),
        sa.Column("position", sa.Float(), nullable=True),
        sa.Column("position_ms", sa.BigInteger(), nullable=True),
        sa.Column("position_event", sa.String(64), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("watch_count", sa.Integer(), nullable=False),
        sa.Column("reaction", sa.String(8), nullable=False),
        sa.Column("reaction_ms", sa.BigInteger(), nullable=True),
        sa.Column("reaction_event", sa.String(64), nullable=True),
        sa.Column("cleared_ms", sa.BigInteger(), nullable=False),
        _video_fk("watch_history"),
        sa.PrimaryKeyConstraint("viewer_id", "video_id", name=op.f("pk_watch_history")),
    )
    op.create_index(
        "ix_watch_history_viewer_watched", "watch_history", ["viewer_id", "last_watched_at"]
    )
    op.create_index("ix_watch_history_video_reaction", "watch_history", ["video_id", "reaction"])
    op.create_table(
        "view_windows",
        sa.Column("viewer_id", sa.Uuid(), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("clips", sa.LargeBinary(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        _video_fk("view_windows"),
        sa.PrimaryKeyConstraint("viewer_id", "video_id", "hour", name=op.f("pk_view_windows")),
    )
    op.create_index("ix_view_windows_hour", "view_windows", ["hour"])
    op.create_table(
        "comment_reactions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("reaction", sa.String(8), nullable=False),
        sa.Column("reaction_ms", sa.BigInteger(), nullable=True),
        sa.Column("reaction_event", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_comment_reactions_user_id_users"),
            ondelete="CASCADE",
        ),
        _video_fk("comment_reactions"),
        sa.PrimaryKeyConstraint("user_id", "comment_id", name=op.f("pk_comment_reactions")),
    )
    op.create_index("ix_comment_reactions_video_id", "comment_reactions", ["video_id"])
    op.create_index("ix_comment_reactions_comment", "comment_reactions", ["comment_id", "reaction"])


def _log_tables() -> None:
    # On PostgreSQL a partitioned parent: the activity worker creates the day partitions (ahead,
    # and before inserting into a new day) and drops those past retention.
    op.create_table(
        "activity",
        sa.Column("ts", TS, nullable=False),
        sa.Column("viewer_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("signed_in", sa.Boolean(), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("clip", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("views", sa.SmallInteger(), nullable=False),
        sa.Column("reached", sa.SmallInteger(), nullable=False),
        sa.Column("watch_ms", sa.Integer(), nullable=False),
        sa.Column("likes", sa.SmallInteger(), nullable=False),
        sa.Column("dislikes", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ts", "viewer_id", "client_id", name=op.f("pk_activity")),
        postgresql_partition_by="RANGE (ts)",
    )
    op.create_table(
        "counter_pending",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("deltas", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_counter_pending")),
    )
    op.create_table(
        "activity_rollup_hours",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("watch_ms", sa.BigInteger(), nullable=False),
        _video_fk("activity_rollup_hours"),
        sa.PrimaryKeyConstraint("video_id", "hour", name=op.f("pk_activity_rollup_hours")),
    )
    op.create_table(
        "activity_rollup_clips",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("clip", sa.Integer(), nullable=False),
        sa.Column("reached", sa.BigInteger(), nullable=False),
        _video_fk("activity_rollup_clips"),
        sa.PrimaryKeyConstraint("video_id", "clip", name=op.f("pk_activity_rollup_clips")),
    )


def _counter_tables() -> None:
    big = sa.BigInteger()
    op.create_table(
        "counter_videos",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        *(sa.Column(name, big, nullable=False) for name in ("views", "likes", "dislikes")),
        sa.Column("watch_ms", big, nullable=False),
        sa.PrimaryKeyConstraint("video_id", name=op.f("pk_counter_videos")),
    )
    op.create_table(
        "counter_clips",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("clip", sa.Integer(), nullable=False),
        sa.Column("reached", big, nullable=False),
        sa.PrimaryKeyConstraint("video_id", "clip", name=op.f("pk_counter_clips")),
    )
    op.create_table(
        "counter_hours",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("views", big, nullable=False),
        sa.PrimaryKeyConstraint("video_id", "hour", name=op.f("pk_counter_hours")),
    )
    op.create_table(
        "counter_hot",
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "hour", "video_id", name=op.f("pk_counter_hot")),
    )
    op.create_index("ix_counter_hot_hour", "counter_hot", ["hour"])
    op.create_table(
        "counter_comments",
        sa.Column("comment_id", sa.Uuid(), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=False),
        *(sa.Column(name, big, nullable=False) for name in ("likes", "dislikes", "score")),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_counter_comments")),
    )
    op.create_index("ix_counter_comments_video_score", "counter_comments", ["video_id", "score"])
    op.create_table(
        "counter_batches",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("applied_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_counter_batches")),
    )
    op.create_index("ix_counter_batches_applied_at", "counter_batches", ["applied_at"])


def downgrade() -> None:
    for table in (
        "counter_batches",
        "counter_comments",
        "counter_hot",
        "counter_hours",
        "counter_clips",
        "counter_videos",
        "activity_rollup_clips",
        "activity_rollup_hours",
        "counter_pending",
        "activity",  # on PostgreSQL its day partitions go with it
        "comment_reactions",
        "view_windows",
        "watch_history",
        "activity_pending",
    ):
        op.drop_table(table)
