"""progress counts, lab backlog, missing reasons, the five key supports

Revision ID: f0355e425bbf
Revises: fb10860be568
Create Date: 2026-11-28 22:51:24.543926
"""

import sqlalchemy as sa
from alembic import op

revision = "f0355e425bbf"
down_revision = "fb10860be568"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "progress_count",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("tubes", sa.Integer(), nullable=False),
        sa.Column("tubes_resulted", sa.Integer(), nullable=False),
        sa.Column("persons_resulted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_progress_count_round_id_round")),
        sa.PrimaryKeyConstraint("round_id", "committee_id", "hour", name=op.f("pk_progress_count")),
    )
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arrived", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("resulted", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("person_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missing_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("noted_at", sa.DateTime(timezone=True), nullable=True))
    # Boxes received before this revision: what arrived in them and how much of it has a result.
    op.execute(
        "UPDATE shipment SET "
        "arrived = (SELECT COUNT(*) FROM tube WHERE tube.shipment_id = shipment.id AND tube.status <> 'shipped'), "
        "resulted = (SELECT COUNT(*) FROM tube WHERE tube.shipment_id = shipment.id AND tube.result IS NOT NULL)"
    )
    op.execute("UPDATE shipment SET done_at = received_at WHERE arrived > 0 AND resulted >= arrived")
    # Earlier rounds' progress is not rebuilt hour by hour: their figures stay in grid_count.
    op.create_table(
        "support_threshold",
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("amber_below", sa.Float(), nullable=False),
        sa.Column("red_below", sa.Float(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_support_threshold")),
    )
    op.create_table(
        "support_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("have", sa.Integer(), nullable=False),
        sa.Column("need", sa.Integer(), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_support_report_area_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_report")),
        sa.UniqueConstraint("kind", "area_id", "day", name=op.f("uq_support_report_kind_area_id_day")),
    )
    with op.batch_alter_table("support_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_report_area_id"), ["area_id"], unique=False)


def downgrade() -> None:
    op.drop_table("support_report")
    op.drop_table("support_threshold")
    with op.batch_alter_table("person_round", schema=None) as batch_op:
        batch_op.drop_column("noted_at")
        batch_op.drop_column("missing_reason")
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_column("done_at")
        batch_op.drop_column("resulted")
        batch_op.drop_column("arrived")
    op.drop_table("progress_count")
