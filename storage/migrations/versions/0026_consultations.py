"""consultations on example behaviours, instrument versions, the version each cycle used

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("opens_at", UTC, nullable=False),
        sa.Column("closes_at", UTC, nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("adopted_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_consultations_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
        sa.UniqueConstraint("name", name=op.f("uq_consultations_name")),
    )
    op.create_table(
        "consultation_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("indicator", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_proposals_consultation_id_consultations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_proposals")),
    )
    with op.batch_alter_table("consultation_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_proposals_consultation_id"), ["consultation_id"]
        )
    op.create_table(
        "consultation_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("indicator", sa.SmallInteger(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_votes_consultation_id_consultations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["consultation_proposals.id"],
            name=op.f("fk_consultation_votes_proposal_id_consultation_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["employees.id"], name=op.f("fk_consultation_votes_voter_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_votes")),
        sa.UniqueConstraint(
            "consultation_id",
            "item_code",
            "indicator",
            "voter_id",
            name=op.f("uq_consultation_votes_consultation_id"),
        ),
    )
    with op.batch_alter_table("consultation_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_votes_consultation_id"), ["consultation_id"])
    op.create_table(
        "instrument_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Text(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_instrument_versions_consultation_id_consultations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_versions")),
        sa.UniqueConstraint(
            "instrument", "version", name=op.f("uq_instrument_versions_instrument")
        ),
    )
    with op.batch_alter_table("review_cycles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("instrument_version", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("review_cycles", schema=None) as batch_op:
        batch_op.drop_column("instrument_version")
    op.drop_table("instrument_versions")
    with op.batch_alter_table("consultation_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_votes_consultation_id"))
    op.drop_table("consultation_votes")
    with op.batch_alter_table("consultation_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_proposals_consultation_id"))
    op.drop_table("consultation_proposals")
    op.drop_table("consultations")
