"""uploads staged in object storage: multipart upload, parts with their ETags, the tail

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(
            sa.Column("staging", sa.String(length=16), nullable=False, server_default="local")
        )
        batch.add_column(sa.Column("multipart_id", sa.String(length=1024), nullable=True))
        batch.add_column(
            sa.Column("part_bytes", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("parts_end", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("next_part", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("tail_key", sa.String(length=512), nullable=True))
    op.create_table(
        "upload_parts",
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["uploads.id"],
            name=op.f("fk_upload_parts_upload_id_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "number", name=op.f("pk_upload_parts")),
    )


def downgrade() -> None:
    op.drop_table("upload_parts")
    with op.batch_alter_table("uploads") as batch:
        for column in ("tail_key", "next_part", "parts_end", "part_bytes", "multipart_id"):
            batch.drop_column(column)
        batch.drop_column("staging")
