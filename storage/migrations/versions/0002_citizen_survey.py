"""citizen survey: entries, responses, free services

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_survey_entries_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_survey_entries_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_entries")),
        sa.UniqueConstraint("payload", name=op.f("uq_survey_entries_payload")),
    )
    with op.batch_alter_table("survey_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_entries_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_entries_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("started_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("u1", sa.SmallInteger(), nullable=True),
        sa.Column("u2", sa.SmallInteger(), nullable=True),
        sa.Column("u3", sa.SmallInteger(), nullable=True),
        sa.Column("u4", sa.SmallInteger(), nullable=True),
        sa.Column("u5", sa.SmallInteger(), nullable=True),
        sa.Column("u6", sa.SmallInteger(), nullable=True),
        sa.Column("u7", sa.SmallInteger(), nullable=True),
        sa.Column("u8", sa.SmallInteger(), nullable=True),
        sa.Column("u9", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("age_group", sa.String(length=16), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("education", sa.String(length=16), nullable=True),
        sa.Column("occupation", sa.String(length=16), nullable=True),
        sa.Column("contact_ok", sa.Boolean(), nullable=False),
        sa.Column("contact_chat_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_survey_responses_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["survey_entries.id"],
            name=op.f("fk_survey_responses_entry_id_survey_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_survey_responses_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("token", name=op.f("uq_survey_responses_token")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_responses_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_responses_service_id"), ["service_id"], unique=False
        )
        batch_op.create_index(
            "ix_survey_responses_status_submitted", ["status", "submitted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_responses_user_key"), ["user_key"], unique=False
        )
        batch_op.create_index(
            "ix_survey_responses_user_service_date",
            ["user_key", "service_id", "local_date"],
            unique=False,
        )

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("free", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("free")

    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_responses_user_service_date")
        batch_op.drop_index(batch_op.f("ix_survey_responses_user_key"))
        batch_op.drop_index("ix_survey_responses_status_submitted")
        batch_op.drop_index(batch_op.f("ix_survey_responses_service_id"))
        batch_op.drop_index(batch_op.f("ix_survey_responses_employee_id"))

    op.drop_table("survey_responses")
    with op.batch_alter_table("survey_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_entries_service_id"))
        batch_op.drop_index(batch_op.f("ix_survey_entries_employee_id"))

    op.drop_table("survey_entries")
