"""cycle instrument digest: what the instrument said when each cycle opened

Every cycle records the SHA-256 of its instrument's content
(scheduler.scoring.review_instrument_config.instrument_digest) so results refuse a
cycle whose shipped instrument file changed since. Existing cycles are back-filled
with the digest of the instrument files as shipped when this migration was written
(the same content the former Python constants had; tests/test_instrument_files.py
pins both); a cycle on another instrument code keeps NULL (not checked).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a migration must not read today's files.
SHIPPED_DIGESTS = {
    "berakhlak3": "857d552ef25ee560c2e8f77d6eb15e0e4d0e5b2ada377467daaf1e20fc24f298",
    "berakhlak5": "f6b50a8f767740fa1c7248c14f9732130532f26cb17fa8ad801dc7bef2b21214",
}


def upgrade() -> None:
    with op.batch_alter_table("review_cycles") as batch:
        batch.add_column(sa.Column("instrument_digest", sa.String(length=64), nullable=True))
    cycles = sa.table(
        "review_cycles",
        sa.column("instrument", sa.String),
        sa.column("instrument_digest", sa.String),
    )
    for code, digest in SHIPPED_DIGESTS.items():
        op.execute(
            cycles.update()
            .where(cycles.c.instrument == code)
            .values(instrument_digest=digest)
        )


def downgrade() -> None:
    with op.batch_alter_table("review_cycles") as batch:
        batch.drop_column("instrument_digest")
