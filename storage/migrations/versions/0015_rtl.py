"""rtl: follow-up plans per unit period, their lines, evidence and citizens' notices

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rtl_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('forum_date', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['period_id'], ['skm_periods.id'], name=op.f('fk_rtl_plans_period_id_skm_periods'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_rtl_plans_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rtl_plans')),
    sa.UniqueConstraint('period_id', 'unit_id', name=op.f('uq_rtl_plans_period_id'))
    )
    op.create_index(op.f('ix_rtl_plans_period_id'), 'rtl_plans', ['period_id'], unique=False)
    op.create_index(op.f('ix_rtl_plans_unit_id'), 'rtl_plans', ['unit_id'], unique=False)
    op.create_table('rtl_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unsur', sa.String(length=4), nullable=False),
    sa.Column('activity', sa.Text(), nullable=False),
    sa.Column('owner_employee_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_label', sa.String(length=16), nullable=True),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('status_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_by', sa.String(length=100), nullable=True),
    sa.Column('returned_note', sa.Text(), nullable=True),
    sa.Column('reminded_first_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_last_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_employee_id'], ['employees.id'], name=op.f('fk_rtl_lines_owner_employee_id_employees')),
    sa.ForeignKeyConstraint(['plan_id'], ['rtl_plans.id'], name=op.f('fk_rtl_lines_plan_id_rtl_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rtl_lines'))
    )
    op.create_index(op.f('ix_rtl_lines_owner_employee_id'), 'rtl_lines', ['owner_employee_id'], unique=False)
    op.create_index(op.f('ix_rtl_lines_plan_id'), 'rtl_lines', ['plan_id'], unique=False)
    op.create_table('rtl_citizen_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['rtl_lines.id'], name=op.f('fk_rtl_citizen_notices_line_id_rtl_lines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['period_id'], ['skm_periods.id'], name=op.f('fk_rtl_citizen_notices_period_id_skm_periods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rtl_citizen_notices')),
    sa.UniqueConstraint('period_id', 'user_key', name=op.f('uq_rtl_citizen_notices_period_id'))
    )
    op.create_index(op.f('ix_rtl_citizen_notices_user_key'), 'rtl_citizen_notices', ['user_key'], unique=False)
    op.create_table('rtl_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('mime_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_rtl_evidence_employee_id_employees')),
    sa.ForeignKeyConstraint(['line_id'], ['rtl_lines.id'], name=op.f('fk_rtl_evidence_line_id_rtl_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rtl_evidence'))
    )
    op.create_index(op.f('ix_rtl_evidence_line_id'), 'rtl_evidence', ['line_id'], unique=False)


def downgrade() -> None:
    op.drop_table("rtl_evidence")
    op.drop_table("rtl_citizen_notices")
    op.drop_table("rtl_lines")
    op.drop_table("rtl_plans")
