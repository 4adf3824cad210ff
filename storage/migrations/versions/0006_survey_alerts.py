"""survey alerts and relays

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_alerts_response_id_survey_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_alerts")),
        sa.UniqueConstraint("response_id", name=op.f("uq_survey_alerts_response_id")),
        sa.UniqueConstraint("token", name=op.f("uq_survey_alerts_token")),
    )
    op.create_table(
        "survey_relays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_survey_relays_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_relays_response_id_survey_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_relays")),
    )
    with op.batch_alter_table("survey_relays", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_relays_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("survey_relays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_relays_response_id"))

    op.drop_table("survey_relays")
    op.drop_table("survey_alerts")
