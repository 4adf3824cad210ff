"""review cycles: cycles, assignments, answers, perilaku decisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("max_peers", sa.Integer(), nullable=False),
        sa.Column("include_self", sa.Boolean(), nullable=False),
        sa.Column("opened_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_review_cycles_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cycles")),
        sa.UniqueConstraint("name", name=op.f("uq_review_cycles_name")),
    )
    op.create_table(
        "perilaku_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("ratee_id", sa.Integer(), nullable=False),
        sa.Column("recommended", sa.SmallInteger(), nullable=True),
        sa.Column("decided", sa.SmallInteger(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["review_cycles.id"],
            name=op.f("fk_perilaku_decisions_cycle_id_review_cycles"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["employees.id"],
            name=op.f("fk_perilaku_decisions_decided_by_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["ratee_id"], ["employees.id"], name=op.f("fk_perilaku_decisions_ratee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perilaku_decisions")),
        sa.UniqueConstraint("cycle_id", "ratee_id", name=op.f("uq_perilaku_decisions_cycle_id")),
    )
    with op.batch_alter_table("perilaku_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_perilaku_decisions_cycle_id"), ["cycle_id"], unique=False
        )

    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("ratee_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("comment_keep", sa.Text(), nullable=True),
        sa.Column("comment_improve", sa.Text(), nullable=True),
        sa.Column("hasil_kerja", sa.SmallInteger(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["review_cycles.id"],
            name=op.f("fk_review_assignments_cycle_id_review_cycles"),
        ),
        sa.ForeignKeyConstraint(
            ["ratee_id"], ["employees.id"], name=op.f("fk_review_assignments_ratee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"], ["employees.id"], name=op.f("fk_review_assignments_rater_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignments")),
        sa.UniqueConstraint(
            "cycle_id", "rater_id", "ratee_id", name=op.f("uq_review_assignments_cycle_id")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_review_assignments_token")),
    )
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_assignments_cycle_id"), ["cycle_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_assignments_ratee_id"), ["ratee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_assignments_rater_id"), ["rater_id"], unique=False
        )

    op.create_table(
        "review_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=True),
        sa.Column("answered_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["review_assignments.id"],
            name=op.f("fk_review_answers_assignment_id_review_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_answers")),
        sa.UniqueConstraint(
            "assignment_id", "item_code", name=op.f("uq_review_answers_assignment_id")
        ),
    )
    with op.batch_alter_table("review_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_answers_assignment_id"), ["assignment_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("review_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_answers_assignment_id"))

    op.drop_table("review_answers")
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_assignments_rater_id"))
        batch_op.drop_index(batch_op.f("ix_review_assignments_ratee_id"))
        batch_op.drop_index(batch_op.f("ix_review_assignments_cycle_id"))

    op.drop_table("review_assignments")
    with op.batch_alter_table("perilaku_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_perilaku_decisions_cycle_id"))

    op.drop_table("perilaku_decisions")
    op.drop_table("review_cycles")
