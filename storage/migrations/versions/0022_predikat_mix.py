"""predikat mix limits: the distribution of predikat an admin records per cycle and OPD

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 19:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "predikat_mix_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("achievement", sa.String(length=64), nullable=False),
        sa.Column("predikat", sa.String(length=24), nullable=False),
        sa.Column("min_percent", sa.SmallInteger(), nullable=True),
        sa.Column("max_percent", sa.SmallInteger(), nullable=True),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["review_cycles.id"],
            name=op.f("fk_predikat_mix_limits_cycle_id_review_cycles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predikat_mix_limits")),
        sa.UniqueConstraint(
            "cycle_id", "scope", "predikat", name=op.f("uq_predikat_mix_limits_cycle_id")
        ),
    )
    with op.batch_alter_table("predikat_mix_limits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_predikat_mix_limits_cycle_id"), ["cycle_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("predikat_mix_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_predikat_mix_limits_cycle_id"))
    op.drop_table("predikat_mix_limits")
