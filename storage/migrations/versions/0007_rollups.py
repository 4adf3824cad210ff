"""rollup tables, survey_responses.rollup_day and the retraction triggers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Adds the SKM score tables (per service, unit and officer, daily and monthly,
plus profile counts), the materialised 360° results, ``rollup_day`` on
survey_responses with two partial indexes, and the triggers that log deleted
or changed rolled-up responses (see scheduler/rollup.py).

``rollup_day`` starts NULL on existing responses: the rollup's first run is a
full rebuild that fills it (set-based, one UPDATE per local day in TIMEZONE,
which a migration does not know). The trigger DDL is a frozen copy of
``scheduler.rollup``'s, which recreates the triggers if a later SQLite batch
migration (table rebuild) drops them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSUR = tuple(f"u{i}" for i in range(1, 10))
PROFILE_FIELDS = ("age_group", "gender", "education", "occupation")
WATCHED = ("status", "service_id", "employee_id", "submitted_at", "comment", *UNSUR)
WATCHED += PROFILE_FIELDS
COLUMNS = ", ".join(("service_id", "employee_id", "day", "comments", *UNSUR, *PROFILE_FIELDS))
OLD_VALUES = ", ".join(
    (
        "OLD.service_id",
        "OLD.employee_id",
        "OLD.rollup_day",
        "CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END",
        *(f"OLD.{u}" for u in UNSUR),
        *(f"OLD.{name}" for name in PROFILE_FIELDS),
    )
)
OLD_COUNTED = "OLD.status = 'submitted' AND " + " AND ".join(f"OLD.{u} IS NOT NULL" for u in UNSUR)


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in WATCHED)


SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER skm_rollup_retract_on_delete
AFTER DELETE ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND {OLD_COUNTED}
BEGIN
    INSERT INTO skm_rollup_retractions ({COLUMNS}) VALUES ({OLD_VALUES});
END""",
    f"""CREATE TRIGGER skm_rollup_retract_on_update
AFTER UPDATE OF {", ".join(WATCHED)} ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND ({_changed("IS NOT")})
BEGIN
    INSERT INTO skm_rollup_retractions ({COLUMNS})
        SELECT {OLD_VALUES} WHERE {OLD_COUNTED};
    UPDATE survey_responses SET rollup_day = NULL WHERE id = NEW.id;
END""",
)
POSTGRESQL_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION skm_rollup_retract() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {OLD_COUNTED} THEN
        INSERT INTO skm_rollup_retractions ({COLUMNS}) VALUES ({OLD_VALUES});
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.rollup_day := NULL;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$""",
    """CREATE TRIGGER skm_rollup_retract_on_delete
AFTER DELETE ON survey_responses FOR EACH ROW
WHEN (OLD.rollup_day IS NOT NULL)
EXECUTE FUNCTION skm_rollup_retract()""",
    f"""CREATE TRIGGER skm_rollup_retract_on_update
BEFORE UPDATE OF {", ".join(WATCHED)} ON survey_responses FOR EACH ROW
WHEN (OLD.rollup_day IS NOT NULL AND ({_changed("IS DISTINCT FROM")}))
EXECUTE FUNCTION skm_rollup_retract()""",
)


def _measures() -> list[sa.Column]:
    return [
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        *(sa.Column(f"sum_u{i}", sa.Integer(), nullable=False) for i in range(1, 10)),
    ]


def _score_table(name: str, *keys: sa.Column) -> None:
    op.create_table(
        name,
        *keys,
        *_measures(),
        sa.PrimaryKeyConstraint(*(k.name for k in keys), name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def _profile_table(name: str, period: str) -> None:
    op.create_table(
        name,
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column(period, sa.Date(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", period, "field", "value", name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def _cell(group: str) -> list[sa.Column]:
    return [
        sa.Column(f"{group}_mean", sa.Float(), nullable=True),
        sa.Column(f"{group}_n", sa.Integer(), nullable=True),
        sa.Column(f"{group}_reason", sa.String(length=16), nullable=True),
    ]


def _cell_check(table: str, group: str) -> sa.CheckConstraint:
    mean, n, reason = f"{group}_mean", f"{group}_n", f"{group}_reason"
    return sa.CheckConstraint(
        f"({mean} IS NOT NULL AND {n} IS NOT NULL AND {reason} IS NULL)"
        f" OR ({mean} IS NULL AND {n} IS NULL AND {reason} IS NOT NULL)",
        name=op.f(f"ck_{table}_{group}_cell"),
    )


GROUPS = ("self", "supervisor", "peers", "subordinates", "others")


def upgrade() -> None:
    def key(name: str, *, day: bool = False) -> sa.Column:
        return sa.Column(name, sa.Date() if day else sa.Integer(), nullable=False)

    _score_table("skm_service_daily", key("service_id"), key("day", day=True))
    _score_table("skm_service_monthly", key("service_id"), key("month", day=True))
    _score_table("skm_unit_daily", key("unit_id"), key("day", day=True))
    _score_table("skm_unit_monthly", key("unit_id"), key("month", day=True))
    _score_table("skm_officer_daily", key("employee_id"), key("service_id"), key("day", day=True))
    _score_table(
        "skm_officer_monthly", key("employee_id"), key("service_id"), key("month", day=True)
    )
    _profile_table("skm_profile_daily", "day")
    _profile_table("skm_profile_monthly", "month")
    op.create_table(
        "skm_rollup_retractions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("comments", sa.SmallInteger(), nullable=False),
        *(sa.Column(u, sa.SmallInteger(), nullable=False) for u in UNSUR),
        *(sa.Column(name, sa.String(length=16), nullable=True) for name in PROFILE_FIELDS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skm_rollup_retractions")),
    )
    op.create_table(
        "skm_rollup_service_units",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_skm_rollup_service_units")),
    )

    op.create_table(
        "review_result_cycles",
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("min_raters", sa.Integer(), nullable=False),
        sa.Column("materialised_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cycle_id", name=op.f("pk_review_result_cycles")),
    )
    op.create_table(
        "review_result_ratees",
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("ratee_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("received_submitted", sa.Integer(), nullable=False),
        sa.Column("received_total", sa.Integer(), nullable=False),
        sa.Column("hasil_kerja", sa.SmallInteger(), nullable=True),
        sa.Column("rec_basis", sa.String(length=16), nullable=True),
        sa.Column("rec_mean", sa.Float(), nullable=True),
        sa.Column("rec_n", sa.Integer(), nullable=True),
        sa.Column("rec_perilaku", sa.SmallInteger(), nullable=True),
        sa.CheckConstraint(
            "(rec_basis IS NULL AND rec_mean IS NULL AND rec_n IS NULL AND rec_perilaku IS NULL)"
            " OR (rec_basis IS NOT NULL AND rec_mean IS NOT NULL AND rec_n IS NOT NULL"
            " AND rec_perilaku IS NOT NULL)",
            name=op.f("ck_review_result_ratees_recommendation"),
        ),
        sa.PrimaryKeyConstraint("cycle_id", "ratee_id", name=op.f("pk_review_result_ratees")),
    )
    op.create_table(
        "review_result_items",
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("ratee_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        *(column for group in GROUPS for column in _cell(group)),
        sa.Column("gap_self", sa.Float(), nullable=True),
        sa.Column("gap_others", sa.Float(), nullable=True),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.Column("gap_flag", sa.String(length=16), nullable=True),
        sa.Column("gap_reason", sa.String(length=16), nullable=True),
        *(_cell_check("review_result_items", group) for group in GROUPS),
        sa.CheckConstraint(
            "(gap IS NOT NULL AND gap_self IS NOT NULL AND gap_others IS NOT NULL"
            " AND gap_reason IS NULL)"
            " OR (gap IS NULL AND gap_self IS NULL AND gap_others IS NULL AND gap_flag IS NULL"
            " AND gap_reason IS NOT NULL)",
            name=op.f("ck_review_result_items_gap_cell"),
        ),
        sa.PrimaryKeyConstraint(
            "cycle_id", "ratee_id", "item_code", name=op.f("pk_review_result_items")
        ),
    )
    op.create_table(
        "review_result_comments",
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("ratee_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "(text IS NOT NULL AND reason IS NULL) OR (text IS NULL AND reason IS NOT NULL)",
            name=op.f("ck_review_result_comments_released"),
        ),
        sa.PrimaryKeyConstraint(
            "cycle_id",
            "ratee_id",
            "source",
            "kind",
            "position",
            name=op.f("pk_review_result_comments"),
        ),
    )

    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rollup_day", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_survey_responses_rollup_pending",
            ["submitted_at"],
            unique=False,
            sqlite_where=sa.text("rollup_day IS NULL AND submitted_at IS NOT NULL"),
            postgresql_where=sa.text("rollup_day IS NULL AND submitted_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_survey_responses_commented",
            ["service_id", "submitted_at"],
            unique=False,
            sqlite_where=sa.text("comment IS NOT NULL"),
            postgresql_where=sa.text("comment IS NOT NULL"),
        )

    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for name in ("skm_rollup_retract_on_update", "skm_rollup_retract_on_delete"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON survey_responses")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS skm_rollup_retract()")

    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_responses_commented")
        batch_op.drop_index("ix_survey_responses_rollup_pending")
        batch_op.drop_column("rollup_day")

    for name in (
        "review_result_comments",
        "review_result_items",
        "review_result_ratees",
        "review_result_cycles",
        "skm_rollup_service_units",
        "skm_rollup_retractions",
        "skm_profile_monthly",
        "skm_profile_daily",
        "skm_officer_monthly",
        "skm_officer_daily",
        "skm_unit_monthly",
        "skm_unit_daily",
        "skm_service_monthly",
        "skm_service_daily",
    ):
        op.drop_table(name)
