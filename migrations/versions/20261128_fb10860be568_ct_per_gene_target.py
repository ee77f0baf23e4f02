"""ct per gene target

Revision ID: fb10860be568
Revises: c76cd1edab81
Create Date: 2026-11-28 21:53:09.057836
"""

import sqlalchemy as sa
from alembic import op

revision = "fb10860be568"
down_revision = "c76cd1edab81"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The single Ct kept so far did not say which target it was; it is kept as the N target's.
    for table in ("staged_result", "tube"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("ct_orf1ab", sa.Float(), nullable=True))
            batch_op.add_column(sa.Column("ct_n", sa.Float(), nullable=True))
        op.execute(f"UPDATE {table} SET ct_n = ct")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("ct")


def downgrade() -> None:
    for table in ("tube", "staged_result"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("ct", sa.Float(), nullable=True))
        op.execute(f"UPDATE {table} SET ct = COALESCE(ct_n, ct_orf1ab)")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("ct_n")
            batch_op.drop_column("ct_orf1ab")
