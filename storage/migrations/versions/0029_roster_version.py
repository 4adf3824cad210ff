"""roster version: a counter that roster imports bump, for the bot's names cache

The survey screens show service, unit and officer names from a small cache in
the bot process (storage.survey_names); every roster import bumps this one-row
counter in its own transaction, and a press reads it with its UPDATE, so a
rename by another process (the CLI) is seen at the next press.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "roster_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("roster_version")
