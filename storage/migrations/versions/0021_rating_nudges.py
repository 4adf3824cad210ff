"""rating nudges: which "are you sure?" questions a review has asked, and one awaiting an answer

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 19:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("nudges_asked", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("nudge_pending", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_column("nudge_pending")
        batch_op.drop_column("nudges_asked")
