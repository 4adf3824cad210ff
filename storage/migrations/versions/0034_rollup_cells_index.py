"""rollup cells index: the submitted responses in (day, service, officer) order

The full rebuild reads the responses a run of days at a time from this partial
index (submitted, with all nine answers: what the rollup counts, and what
SQLite then need not test again per row): in the order it groups them, with every
column it sums, so that SQLite neither sorts a million rows nor reads their
table rows. A second one holds the same responses with a comment (its key only:
the comment itself may be too long for an index entry), from which the comments
are counted without reading a table row either. One entry
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


COMMENTED = WHERE + " AND comment IS NOT NULL AND comment <> ''"


def upgrade() -> None:
    op.create_index(
        "ix_survey_responses_rollup_cells",
        "survey_responses",
        list(COLUMNS),
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )
    op.create_index(
        "ix_survey_responses_rollup_commented",
        "survey_responses",
        list(COLUMNS[:4]),
        sqlite_where=sa.text(COMMENTED),
        postgresql_where=sa.text(COMMENTED),
    )


def downgrade() -> None:
    op.drop_index("ix_survey_responses_rollup_commented", table_name="survey_responses")
    op.drop_index("ix_survey_responses_rollup_cells", table_name="survey_responses")
