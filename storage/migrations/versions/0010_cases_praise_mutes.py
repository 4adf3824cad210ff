"""cases (with their history), praise notes, notification mutes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Cases start with the alerts raised after this upgrade: an older alert has no
owner or deadline to give it, so none is invented.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_mutes",
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("muted_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", "kind", name=op.f("pk_notification_mutes")),
    )
    op.create_table(
        "praise_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("noted_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_praise_notes_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_praise_notes_response_id_survey_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_praise_notes")),
        sa.UniqueConstraint("response_id", name=op.f("uq_praise_notes_response_id")),
    )
    with op.batch_alter_table("praise_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_praise_notes_employee_id"), ["employee_id"], unique=False
        )

    op.create_table(
        "survey_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=False),
        sa.Column("owner_employee_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalate_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("reminded_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["survey_alerts.id"],
            name=op.f("fk_survey_cases_alert_id_survey_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_employee_id"],
            ["employees.id"],
            name=op.f("fk_survey_cases_owner_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_unit_id"],
            ["units.id"],
            name=op.f("fk_survey_cases_responsible_unit_id_units"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_survey_cases_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_cases")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_survey_cases_alert_id")),
    )
    with op.batch_alter_table("survey_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_cases_owner_employee_id"), ["owner_employee_id"], unique=False
        )
        batch_op.create_index("ix_survey_cases_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_cases_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "survey_case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["survey_cases.id"],
            name=op.f("fk_survey_case_events_case_id_survey_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_survey_case_events_employee_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_case_events")),
    )
    with op.batch_alter_table("survey_case_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_case_events_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_case_events_case_id"))

    op.drop_table("survey_case_events")
    with op.batch_alter_table("survey_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_cases_unit_id"))
        batch_op.drop_index("ix_survey_cases_status_due")
        batch_op.drop_index(batch_op.f("ix_survey_cases_owner_employee_id"))

    op.drop_table("survey_cases")
    with op.batch_alter_table("praise_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_praise_notes_employee_id"))

    op.drop_table("praise_notes")
    op.drop_table("notification_mutes")
