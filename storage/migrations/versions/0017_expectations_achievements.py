"""expectations and achievements: klarifikasi ekspektasi and /capaian with evidence

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0017"
down_revision: str | None = "0016"
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
        "performance_expectations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value_code", sa.String(length=8), nullable=True),
        sa.Column("skp_line_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("understood_at", UTC, nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("asked_at", UTC, nullable=True),
        _fk("performance_expectations", "employee_id", "employees"),
        _fk("performance_expectations", "supervisor_id", "employees"),
        _fk("performance_expectations", "skp_line_id", "skp_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_expectations")),
        sa.UniqueConstraint("token", name=op.f("uq_performance_expectations_token")),
    )
    _indexes("performance_expectations", "employee_id", "skp_line_id", "supervisor_id")
    op.create_table(
        "achievements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("skp_line_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_path", sa.String(length=300), nullable=True),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _fk("achievements", "employee_id", "employees"),
        _fk("achievements", "skp_line_id", "skp_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
    )
    _indexes("achievements", "employee_id", "skp_line_id")


def downgrade() -> None:
    op.drop_table("achievements")
    op.drop_table("performance_expectations")
