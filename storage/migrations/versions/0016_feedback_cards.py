"""feedback cards: supervisors' notes, monthly cards, feedback lines and the dialogue

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _indexes(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "performance_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo_file_id", sa.String(length=200), nullable=True),
        sa.Column("value_code", sa.String(length=8), nullable=True),
        sa.Column("skp_line_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _fk("performance_notes", "employee_id", "employees"),
        _fk("performance_notes", "author_id", "employees"),
        _fk("performance_notes", "skp_line_id", "skp_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_notes")),
    )
    _indexes("performance_notes", "author_id", "employee_id", "skp_line_id")
    op.create_table(
        "feedback_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("built_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.Column("discussed_at", UTC, nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", UTC, nullable=True),
        _fk("feedback_cards", "employee_id", "employees"),
        _fk("feedback_cards", "supervisor_id", "employees"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_cards")),
        sa.UniqueConstraint("employee_id", "period", name=op.f("uq_feedback_cards_employee_id")),
        sa.UniqueConstraint("token", name=op.f("uq_feedback_cards_token")),
    )
    _indexes("feedback_cards", "employee_id", "supervisor_id")
    op.create_table(
        "feedback_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("skp_line_id", sa.Integer(), nullable=True),
        sa.Column("value_code", sa.String(length=8), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _fk("feedback_entries", "card_id", "feedback_cards"),
        _fk("feedback_entries", "skp_line_id", "skp_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_entries")),
    )
    _indexes("feedback_entries", "card_id", "skp_line_id")


def downgrade() -> None:
    op.drop_table("feedback_entries")
    op.drop_table("feedback_cards")
    op.drop_table("performance_notes")
