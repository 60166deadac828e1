"""recommendations: system video tags, user taste tags, stored lists, up next, models

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "recs_video_tags",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(40), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _fk("recs_video_tags", "video_id", "videos"),
        sa.PrimaryKeyConstraint("video_id", "tag", name=op.f("pk_recs_video_tags")),
    )
    op.create_index("ix_recs_video_tags_tag", "recs_video_tags", ["tag"])
    op.create_table(
        "recs_user_tags",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(40), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        _when("updated_at"),
        _fk("recs_user_tags", "user_id", "users"),
        sa.PrimaryKeyConstraint("user_id", "tag", name=op.f("pk_recs_user_tags")),
    )
    op.create_table(
        "recommendations",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("reason_tag", sa.String(40), nullable=True),
        sa.Column("reason_video_id", sa.Uuid(), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        _when("created_at"),
        _fk("recommendations", "user_id", "users"),
        _fk("recommendations", "video_id", "videos"),
        sa.PrimaryKeyConstraint("user_id", "rank", name=op.f("pk_recommendations")),
    )
    op.create_table(
        "recs_up_next",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("next_video_id", sa.Uuid(), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False),
        _fk("recs_up_next", "video_id", "videos"),
        sa.ForeignKeyConstraint(
            ["next_video_id"],
            ["videos.id"],
            name=op.f("fk_recs_up_next_next_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("video_id", "rank", name=op.f("pk_recs_up_next")),
    )
    op.create_table(
        "recs_models",
        sa.Column("version", sa.Integer(), nullable=False),
        _when("trained_at"),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_recs_models")),
    )
    op.create_table(
        "recs_pending",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _when("first_at"),
        _when("due_at"),
        _fk("recs_pending", "user_id", "users"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_recs_pending")),
    )
    op.create_index("ix_recs_pending_due_at", "recs_pending", ["due_at"])


def downgrade() -> None:
    for table in (
        "recs_pending",
        "recs_models",
        "recs_up_next",
        "recommendations",
        "recs_user_tags",
        "recs_video_tags",
    ):
        op.drop_table(table)
