"""live streams: the stream beside its video, and the live facts of each clip

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_streams",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feed_state", sa.String(length=16), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("current_index", sa.Integer(), nullable=True),
        sa.Column("discontinuities", sa.Integer(), nullable=False),
        sa.Column("media_seconds", sa.Float(), nullable=False),
        sa.Column("last_clip_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feed_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rungs", sa.JSON(), nullable=False),
        sa.Column("feed_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_live_streams_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_live_streams_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("video_id", name=op.f("pk_live_streams")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_live_streams_key_hash")),
    )
    with op.batch_alter_table("live_streams") as batch:
        batch.create_index(op.f("ix_live_streams_owner_id"), ["owner_id"])
    op.create_table(
        "live_clips",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("program_date_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("media_time", sa.Float(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("discontinuity", sa.Boolean(), nullable=False),
        sa.Column("discontinuity_sequence", sa.Integer(), nullable=False),
        sa.Column("init", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["live_streams.video_id"],
            name=op.f("fk_live_clips_video_id_live_streams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("video_id", "index", name=op.f("pk_live_clips")),
    )


def downgrade() -> None:
    op.drop_table("live_clips")
    op.drop_table("live_streams")
