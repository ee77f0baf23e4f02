"""persons from the roster

Revision ID: a3d5e7f90b12
Revises: 86bc92996dcc
Create Date: 2026-11-29 10:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "a3d5e7f90b12"
down_revision = "86bc92996dcc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roster_record_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("left_reason", sa.String(length=16), nullable=True))
    with op.batch_alter_table("reconcile_run", schema=None) as batch_op:
        for column in ("persons_joined", "persons_moved", "persons_left"):
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reconcile_run", schema=None) as batch_op:
        for column in ("persons_left", "persons_moved", "persons_joined"):
            batch_op.drop_column(column)
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("left_reason")
        batch_op.drop_column("left_at")
        batch_op.drop_column("roster_record_id")
