"""note photos: a /catat photo is kept under DATA_DIR/evidence/notes (its path)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 19:53:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("performance_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_path", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("performance_notes", schema=None) as batch_op:
        batch_op.drop_column("photo_path")
