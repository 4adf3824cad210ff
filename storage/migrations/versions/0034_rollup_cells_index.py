"""rollup cells index: the submitted responses in (day, service, officer) order

The full rebuild reads the responses a run of days at a time from this partial
index (submitted, with all nine answers: what the rollup counts, and what
SQLite then need not test again per row): in the order it groups them, with every
column it sums (the comment excepted: counted through the commented index), so
that SQLite neither sorts a million rows nor reads their table rows. One entry
per submitted response, written by the submission. Created here over the
responses already stored (a few seconds per million). The column list is a
frozen copy of ``storage.survey_models.ROLLUP_CELL_COLUMNS``.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 02:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "rollup_day",
    "service_id",
    "employee_id",
    "rollup_seq",
    *(f"u{i}" for i in range(1, 10)),
    "age_group",
    "gender",
    "education",
    "occupation",
    "status",
)
# Submitted, with all nine answers: the responses the rollup counts.
WHERE = "status = 'submitted' AND " + " AND ".join(f"u{i} IS NOT NULL" for i in range(1, 10))


def upgrade() -> None:
    op.create_index(
        "ix_survey_responses_rollup_cells",
        "survey_responses",
        list(COLUMNS),
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_survey_responses_rollup_cells", table_name="survey_responses")
