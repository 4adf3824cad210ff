"""service profile columns: the respondent profile as counts on the service rows

The profile tables held one row per (service, day or month, field, value): the
full rebuild wrote 400,000 of them per million responses, most of its writing.
The service rows now carry the profile as counts, one column per known value
of each field (``p_<field>_<position>``, ``p_<field>_na`` for "not
answered"); the profile tables keep only values outside the instrument's
lists (older data). The rows already there move into the columns (no rebuild
needed). The full rebuild reads the responses a run of days at a time and no
longer needs its work tables (``skm_rebuild_cells``, ``skm_rebuild_profile``):
dropped (an interrupted rebuild is started again by the next run, as before).
The value lists are a frozen copy of ``scheduler.scoring.skm_instrument.PROFILE``.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUES = {
    "age_group": ("lt20", "20-29", "30-39", "40-49", "50-59", "60+"),
    "gender": ("m", "f"),
    "education": ("sd", "smp", "sma", "diploma", "s1", "s2"),
    "occupation": ("asn", "private", "self", "student", "other"),
}
# (column, field, value as the profile tables store it: "" is "not answered")
COLUMNS = tuple(
    column
    for field, values in VALUES.items()
    for column in (
        *((f"p_{field}_{i}", field, value) for i, value in enumerate(values)),
        (f"p_{field}_na", field, ""),
    )
)
# (service table, profile table, period column)
PAIRS = (
    ("skm_service_daily", "skm_profile_daily", "day"),
    ("skm_service_monthly", "skm_profile_monthly", "month"),
)
MEASURES = ("n", "comments", *(f"sum_u{i}" for i in range(1, 10)))


def upgrade() -> None:
    for service, profile, period in PAIRS:
        for column, _field, _value in COLUMNS:
            op.add_column(
                service, sa.Column(column, sa.Integer(), server_default="0", nullable=False)
            )
        for column, field, value in COLUMNS:
            op.execute(
                sa.text(
                    f"UPDATE {service} SET {column} = coalesce((SELECT p.n FROM {profile} p"
                    f" WHERE p.service_id = {service}.service_id AND p.{period} = {service}.{period}"
                    " AND p.field = :field AND p.value = :value), 0)"
                ).bindparams(field=field, value=value)
            )
        for field, values in VALUES.items():
            op.execute(
                sa.text(
                    f"DELETE FROM {profile} WHERE field = :field AND value IN :values"
                ).bindparams(sa.bindparam("values", expanding=True), field=field, values=[*values, ""])
            )
    op.drop_index("ix_skm_rebuild_profile_day", table_name="skm_rebuild_profile")
    op.drop_table("skm_rebuild_profile")
    op.drop_index("ix_skm_rebuild_cells_day", table_name="skm_rebuild_cells")
    op.drop_table("skm_rebuild_cells")


def downgrade() -> None:
    op.create_table(
        "skm_rebuild_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
        *(sa.Column(column, sa.Integer(), nullable=True) for column, _f, _v in COLUMNS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skm_rebuild_cells")),
    )
    op.create_index("ix_skm_rebuild_cells_day", "skm_rebuild_cells", ["day"])
    op.create_table(
        "skm_rebuild_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skm_rebuild_profile")),
    )
    op.create_index("ix_skm_rebuild_profile_day", "skm_rebuild_profile", ["day"])
    for service, profile, period in PAIRS:
        for column, field, value in COLUMNS:
            op.execute(
                sa.text(
                    f"INSERT INTO {profile} (service_id, {period}, field, value, n)"
                    f" SELECT service_id, {period}, :field, :value, {column} FROM {service}"
                    f" WHERE {column} > 0"
                ).bindparams(field=field, value=value)
            )
        with op.batch_alter_table(service) as batch:
            for column, _field, _value in COLUMNS:
                batch.drop_column(column)
