"""skp lines: each employee's SKP (rencana hasil kerja, indikator, target) per year

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "skp_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=500), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("perspective", sa.String(length=200), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("archived_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_skp_lines_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_lines")),
        sa.UniqueConstraint("employee_id", "year", "plan", name=op.f("uq_skp_lines_employee_id")),
    )
    with op.batch_alter_table("skp_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skp_lines_employee_id"), ["employee_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("skp_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skp_lines_employee_id"))
    op.drop_table("skp_lines")
