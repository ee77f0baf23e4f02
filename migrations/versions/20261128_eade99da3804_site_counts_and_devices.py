"""site counts and devices

Revision ID: eade99da3804
Revises: f0355e425bbf
Create Date: 2026-11-28 23:39:55.163441
"""

import sqlalchemy as sa
from alembic import op

revision = "eade99da3804"
down_revision = "f0355e425bbf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("route_id", sa.Integer(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_site_id"), ["site_id"], unique=False)
    op.create_table(
        "site_count",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("swabs", sa.Integer(), nullable=False),
        sa.Column("tubes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_site_count_round_id_round")),
        sa.PrimaryKeyConstraint("round_id", "site_id", "hour", name=op.f("pk_site_count")),
    )
    # Sites' counts before this revision are not rebuilt: they start from the next scan.


def downgrade() -> None:
    op.drop_table("site_count")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_site_id"))
    op.drop_table("device")
