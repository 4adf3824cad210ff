"""calibration runs: a rater's calibration situations in a cycle, completed or skipped

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calibration_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["review_cycles.id"], name=op.f("fk_calibration_runs_cycle_id_review_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"], ["employees.id"], name=op.f("fk_calibration_runs_rater_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_runs")),
        sa.UniqueConstraint("cycle_id", "rater_id", name=op.f("uq_calibration_runs_cycle_id")),
    )
    with op.batch_alter_table("calibration_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calibration_runs_cycle_id"), ["cycle_id"])


def downgrade() -> None:
    with op.batch_alter_table("calibration_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_runs_cycle_id"))
    op.drop_table("calibration_runs")
