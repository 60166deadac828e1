"""embedded bus, consumer dedupe, outbox index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:33:00.099186
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("acked_at IS NULL AND dead_at IS NULL")
UNPUBLISHED = sa.text("published_at IS NULL")
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bus_bindings",
        sa.Column("group_name", sa.String(length=100), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_name", "topic", name=op.f("pk_bus_bindings")),
    )
    op.create_table(
        "bus_events",
        sa.Column("seq", SEQ, sa.Identity(always=False), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_bus_events")),
        sa.UniqueConstraint("id", name=op.f("uq_bus_events_id")),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )
    op.create_table(
        "bus_deliveries",
        sa.Column("group_name", sa.String(length=100), nullable=False),
        sa.Column("event_seq", SEQ, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("visible_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_seq"],
            ["bus_events.seq"],
            name=op.f("fk_bus_deliveries_event_seq_bus_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_name", "event_seq", name=op.f("pk_bus_deliveries")),
    )
    op.create_index(
        "ix_bus_deliveries_pending",
        "bus_deliveries",
        ["group_name", "event_seq"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        sqlite_where=UNPUBLISHED,
        postgresql_where=UNPUBLISHED,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_index("ix_bus_deliveries_pending", table_name="bus_deliveries")
    op.drop_table("bus_deliveries")
    op.drop_table("processed_events")
    op.drop_table("bus_events")
    op.drop_table("bus_bindings")
