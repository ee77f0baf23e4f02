"""roster sources, links and door-knock tasks

Revision ID: 86bc92996dcc
Revises: 69f937556133
Create Date: 2026-11-29 05:06:10.882109
"""

import sqlalchemy as sa
from alembic import op

revision = "86bc92996dcc"
down_revision = "69f937556133"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "door_knock_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_door_knock_task")),
        sa.UniqueConstraint("kind", "record_id", name=op.f("uq_door_knock_task_kind_record_id")),
    )
    with op.batch_alter_table("door_knock_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_door_knock_task_committee_id_status"), ["committee_id", "status"], unique=False
        )

    op.create_table(
        "link_decision",
        sa.Column("record_a", sa.Integer(), nullable=False),
        sa.Column("record_b", sa.Integer(), nullable=False),
        sa.Column("same", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_a", "record_b", name=op.f("pk_link_decision")),
    )
    op.create_table(
        "reconcile_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("not_at_door", sa.Integer(), nullable=False),
        sa.Column("review_pairs", sa.Integer(), nullable=False),
        sa.Column("tasks_opened", sa.Integer(), nullable=False),
        sa.Column("tasks_closed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconcile_run")),
    )
    op.create_table(
        "review_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_a", sa.Integer(), nullable=False),
        sa.Column("record_b", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=True),
        sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_pair")),
        sa.UniqueConstraint("record_a", "record_b", name=op.f("uq_review_pair_record_a_record_b")),
    )
    with op.batch_alter_table("review_pair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_pair_committee_id"), ["committee_id"], unique=False)

    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("unplaced", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
    )
    op.create_table(
        "source_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("document_type", sa.String(length=32), nullable=True),
        sa.Column("document_number", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("birth_date", sa.String(length=32), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("compound", sa.String(length=200), nullable=True),
        sa.Column("building", sa.String(length=200), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("room", sa.String(length=50), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("committee_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("person_key", sa.Integer(), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_source_record_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record")),
    )
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_record_committee_id_is_current"), ["committee_id", "is_current"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_source_record_person_key"), ["person_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_source_record_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_record_source_id"))
        batch_op.drop_index(batch_op.f("ix_source_record_person_key"))
        batch_op.drop_index(batch_op.f("ix_source_record_committee_id_is_current"))

    op.drop_table("source_record")
    op.drop_table("source")
    with op.batch_alter_table("review_pair", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_pair_committee_id"))

    op.drop_table("review_pair")
    op.drop_table("reconcile_run")
    op.drop_table("link_decision")
    with op.batch_alter_table("door_knock_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_door_knock_task_committee_id_status"))

    op.drop_table("door_knock_task")
