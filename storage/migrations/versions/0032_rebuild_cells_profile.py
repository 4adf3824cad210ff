"""rebuild cells profile: the full rebuild's cells carry their profile counts

The chunked full rebuild (storage.rollup.rebuild) wrote each chunk's profile as
rows of their own in skm_rebuild_profile (500,000 for 1M responses), which the
runs of days then read by their day index, sorted and summed again. The cells
(one per day, service and officer of a chunk) now carry the counts as columns,
the same pass that sums the scores counts them, and the runs of days unpivot
them once per (service, day); skm_rebuild_profile keeps only values outside the
instrument's lists (older data). A work table, empty between rebuilds: plain
nullable columns. The column list is a frozen copy of
``storage.rollup_models.PROFILE_CELL_COLUMNS``.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUES = {"age_group": 6, "gender": 2, "education": 6, "occupation": 5}
COLUMNS = tuple(
    column
    for field, count in VALUES.items()
    for column in (*(f"p_{field}_{i}" for i in range(count)), f"p_{field}_na")
)


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("skm_rebuild_cells", sa.Column(column, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("skm_rebuild_cells") as batch:
        for column in COLUMNS:
            batch.drop_column(column)
