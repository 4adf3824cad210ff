"""unit admins: Telegram users who administer one unit and its sub-units

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_admins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_admins_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_admins")),
        sa.UniqueConstraint(
            "telegram_user_id", "unit_id", name=op.f("uq_unit_admins_telegram_user_id")
        ),
    )
    with op.batch_alter_table("unit_admins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_admins_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_admins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_admins_unit_id"))
    op.drop_table("unit_admins")
