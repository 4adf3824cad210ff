"""expectation delivery: when an expectation was queued to the employee, and reminded

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 20:00:00.000000

Existing expectations take these times from the outbox rows that carried them
(``expect:<token>``, ``expect-again:<token>``), so none is sent twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("performance_expectations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sent_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("reminded_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
    for column, prefix in (("sent_at", "expect:"), ("reminded_at", "expect-again:")):
        op.execute(
            f"UPDATE performance_expectations SET {column} = ("
            "SELECT MIN(outbox.created_at) FROM outbox "
            f"WHERE outbox.dedupe_key = '{prefix}' || performance_expectations.token)"
        )
    # An expectation whose outbox row housekeeping pruned already: it went out if the
    # employee was linked when it was stated.
    op.execute(
        "UPDATE performance_expectations SET sent_at = created_at WHERE sent_at IS NULL "
        "AND EXISTS (SELECT 1 FROM telegram_accounts WHERE telegram_accounts.employee_id = "
        "performance_expectations.employee_id "
        "AND telegram_accounts.linked_at <= performance_expectations.created_at)"
    )


def downgrade() -> None:
    with op.batch_alter_table("performance_expectations", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("sent_at")
