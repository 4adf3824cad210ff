"""score day indexes: the full rebuild replaces a run of days by the day index

The chunked full rebuild (storage.rollup.rebuild) replaces the rows of a run of
days in each day table, 48 runs a year; ``day`` leads none of their keys, so
each delete read the whole table (420,000 rows of skm_profile_daily for 1M
responses). An index on ``day`` finds them; the incremental run pays one more
index entry per new row.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 00:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("skm_service_daily", "skm_unit_daily", "skm_officer_daily", "skm_profile_daily")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_day", table, ["day"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_day", table_name=table)
