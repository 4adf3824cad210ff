"""skm periods: periods, populations, each unit's approval, and the frozen versions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "skm_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("cut_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_skm_periods_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skm_periods")),
        sa.UniqueConstraint("name", name=op.f("uq_skm_periods_name")),
    )
    with op.batch_alter_table("skm_periods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skm_periods_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "skm_period_populations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["skm_periods.id"],
            name=op.f("fk_skm_period_populations_period_id_skm_periods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_skm_period_populations_service_id_services"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_skm_period_populations_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skm_period_populations")),
    )
    with op.batch_alter_table("skm_period_populations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_skm_period_populations_period_id"), ["period_id"], unique=False
        )

    op.create_table(
        "skm_period_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("draft", sa.Text(), nullable=True),
        sa.Column("draft_digest", sa.String(length=64), nullable=True),
        sa.Column("close_sent_at", UTC, nullable=True),
        sa.Column("reminded_at", UTC, nullable=True),
        sa.Column("escalated_at", UTC, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["skm_periods.id"],
            name=op.f("fk_skm_period_units_period_id_skm_periods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_skm_period_units_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skm_period_units")),
        sa.UniqueConstraint("period_id", "unit_id", name=op.f("uq_skm_period_units_period_id")),
    )
    with op.batch_alter_table("skm_period_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skm_period_units_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "skm_period_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("as_of", UTC, nullable=False),
        sa.Column("published_at", UTC, nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("early", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["skm_periods.id"],
            name=op.f("fk_skm_period_versions_period_id_skm_periods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_skm_period_versions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skm_period_versions")),
        sa.UniqueConstraint(
            "period_id", "unit_id", "version", name=op.f("uq_skm_period_versions_period_id")
        ),
    )
    with op.batch_alter_table("skm_period_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_skm_period_versions_unit_id"), ["unit_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("skm_period_versions")
    op.drop_table("skm_period_units")
    op.drop_table("skm_period_populations")
    op.drop_table("skm_periods")
