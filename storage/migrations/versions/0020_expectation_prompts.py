"""expectation prompts: which supervisor was asked to clarify expectations for whom, per year

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 19:58:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "expectation_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("prompted_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_expectation_prompts_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"],
            ["employees.id"],
            name=op.f("fk_expectation_prompts_supervisor_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expectation_prompts")),
        sa.UniqueConstraint(
            "supervisor_id",
            "employee_id",
            "year",
            name=op.f("uq_expectation_prompts_supervisor_id"),
        ),
    )
    with op.batch_alter_table("expectation_prompts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expectation_prompts_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_expectation_prompts_supervisor_id"), ["supervisor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("expectation_prompts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expectation_prompts_supervisor_id"))
        batch_op.drop_index(batch_op.f("ix_expectation_prompts_employee_id"))
    op.drop_table("expectation_prompts")
