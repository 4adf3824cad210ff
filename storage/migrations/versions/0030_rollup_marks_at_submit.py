"""rollup marks written at submit, retractions that name their response, rebuild work tables

``survey_responses.rollup_seq`` (unique) is the order of submission, written by
the submitting UPDATE together with ``rollup_day`` (storage.rollup.marks): the
rollup counts responses up to a number and keeps that number as its watermark
(and in the one-row ``skm_rollup_counted``), so counting writes nothing per
response and the first run stamps nothing. PostgreSQL draws the numbers from
the sequence ``survey_responses_rollup_seq``; SQLite takes one more than the
highest given or counted inside the UPDATE (one writer at a time).

No existing row is rewritten: rows with ``rollup_day`` set were counted before
and stay counted (a NULL number counts as 0, at or below any watermark); rows
still without a day are stamped and counted by the rollup as before, a chunk at
a time. The watermark's number was the highest counted *id*; it becomes the
highest counted *submission number*, so it restarts at 0 (same TIMEZONE, so no
rebuild).

``skm_rollup_retractions`` gains ``response_id`` and ``rollup_seq`` (the
triggers are recreated to fill them and to clear ``rollup_seq`` with
``rollup_day`` on a change), and ``skm_rebuild_cells`` / ``skm_rebuild_profile``
are the work tables of the chunked full rebuild (storage.rollup.rebuild). The
trigger DDL is a frozen copy of ``storage.rollup.triggers``.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 23:10:00.000000
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER_NAMES = ("skm_rollup_retract_on_delete", "skm_rollup_retract_on_update")
MEASURES = ("n", "comments", *(f"sum_u{i}" for i in range(1, 10)))

SQLITE_TRIGGERS = (
    """CREATE TRIGGER skm_rollup_retract_on_delete
AFTER DELETE ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND OLD.status = 'submitted' AND OLD.u1 IS NOT NULL AND OLD.u2 IS NOT NULL AND OLD.u3 IS NOT NULL AND OLD.u4 IS NOT NULL AND OLD.u5 IS NOT NULL AND OLD.u6 IS NOT NULL AND OLD.u7 IS NOT NULL AND OLD.u8 IS NOT NULL AND OLD.u9 IS NOT NULL
BEGIN
    INSERT INTO skm_rollup_retractions (response_id, rollup_seq, service_id, employee_id, day, comments, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation) VALUES (OLD.id, OLD.rollup_seq, OLD.service_id, OLD.employee_id, OLD.rollup_day, CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END, OLD.u1, OLD.u2, OLD.u3, OLD.u4, OLD.u5, OLD.u6, OLD.u7, OLD.u8, OLD.u9, OLD.age_group, OLD.gender, OLD.education, OLD.occupation);
END""",
    """CREATE TRIGGER skm_rollup_retract_on_update
AFTER UPDATE OF status, service_id, employee_id, submitted_at, comment, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND (OLD.status IS NOT NEW.status OR OLD.service_id IS NOT NEW.service_id OR OLD.employee_id IS NOT NEW.employee_id OR OLD.submitted_at IS NOT NEW.submitted_at OR OLD.comment IS NOT NEW.comment OR OLD.u1 IS NOT NEW.u1 OR OLD.u2 IS NOT NEW.u2 OR OLD.u3 IS NOT NEW.u3 OR OLD.u4 IS NOT NEW.u4 OR OLD.u5 IS NOT NEW.u5 OR OLD.u6 IS NOT NEW.u6 OR OLD.u7 IS NOT NEW.u7 OR OLD.u8 IS NOT NEW.u8 OR OLD.u9 IS NOT NEW.u9 OR OLD.age_group IS NOT NEW.age_group OR OLD.gender IS NOT NEW.gender OR OLD.education IS NOT NEW.education OR OLD.occupation IS NOT NEW.occupation)
BEGIN
    INSERT INTO skm_rollup_retractions (response_id, rollup_seq, service_id, employee_id, day, comments, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation)
        SELECT OLD.id, OLD.rollup_seq, OLD.service_id, OLD.employee_id, OLD.rollup_day, CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END, OLD.u1, OLD.u2, OLD.u3, OLD.u4, OLD.u5, OLD.u6, OLD.u7, OLD.u8, OLD.u9, OLD.age_group, OLD.gender, OLD.education, OLD.occupation WHERE OLD.status = 'submitted' AND OLD.u1 IS NOT NULL AND OLD.u2 IS NOT NULL AND OLD.u3 IS NOT NULL AND OLD.u4 IS NOT NULL AND OLD.u5 IS NOT NULL AND OLD.u6 IS NOT NULL AND OLD.u7 IS NOT NULL AND OLD.u8 IS NOT NULL AND OLD.u9 IS NOT NULL;
    UPDATE survey_responses SET rollup_day = NULL, rollup_seq = NULL WHERE id = NEW.id;
END""",
)
POSTGRESQL_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION skm_rollup_retract() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'submitted' AND OLD.u1 IS NOT NULL AND OLD.u2 IS NOT NULL AND OLD.u3 IS NOT NULL AND OLD.u4 IS NOT NULL AND OLD.u5 IS NOT NULL AND OLD.u6 IS NOT NULL AND OLD.u7 IS NOT NULL AND OLD.u8 IS NOT NULL AND OLD.u9 IS NOT NULL THEN
        INSERT INTO skm_rollup_retractions (response_id, rollup_seq, service_id, employee_id, day, comments, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation) VALUES (OLD.id, OLD.rollup_seq, OLD.service_id, OLD.employee_id, OLD.rollup_day, CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END, OLD.u1, OLD.u2, OLD.u3, OLD.u4, OLD.u5, OLD.u6, OLD.u7, OLD.u8, OLD.u9, OLD.age_group, OLD.gender, OLD.education, OLD.occupation);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.rollup_day := NULL;
        NEW.rollup_seq := NULL;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$""",
    """CREATE TRIGGER skm_rollup_retract_on_delete
AFTER DELETE ON survey_responses FOR EACH ROW
WHEN (OLD.rollup_day IS NOT NULL)
EXECUTE FUNCTION skm_rollup_retract()""",
    """CREATE TRIGGER skm_rollup_retract_on_update
BEFORE UPDATE OF status, service_id, employee_id, submitted_at, comment, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation ON survey_responses FOR EACH ROW
WHEN (OLD.rollup_day IS NOT NULL AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.service_id IS DISTINCT FROM NEW.service_id OR OLD.employee_id IS DISTINCT FROM NEW.employee_id OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at OR OLD.comment IS DISTINCT FROM NEW.comment OR OLD.u1 IS DISTINCT FROM NEW.u1 OR OLD.u2 IS DISTINCT FROM NEW.u2 OR OLD.u3 IS DISTINCT FROM NEW.u3 OR OLD.u4 IS DISTINCT FROM NEW.u4 OR OLD.u5 IS DISTINCT FROM NEW.u5 OR OLD.u6 IS DISTINCT FROM NEW.u6 OR OLD.u7 IS DISTINCT FROM NEW.u7 OR OLD.u8 IS DISTINCT FROM NEW.u8 OR OLD.u9 IS DISTINCT FROM NEW.u9 OR OLD.age_group IS DISTINCT FROM NEW.age_group OR OLD.gender IS DISTINCT FROM NEW.gender OR OLD.education IS DISTINCT FROM NEW.education OR OLD.occupation IS DISTINCT FROM NEW.occupation))
EXECUTE FUNCTION skm_rollup_retract()""",
)
OLD_SQLITE_TRIGGERS = (
    """CREATE TRIGGER skm_rollup_retract_on_delete
AFTER DELETE ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND OLD.status = 'submitted' AND OLD.u1 IS NOT NULL AND OLD.u2 IS NOT NULL AND OLD.u3 IS NOT NULL AND OLD.u4 IS NOT NULL AND OLD.u5 IS NOT NULL AND OLD.u6 IS NOT NULL AND OLD.u7 IS NOT NULL AND OLD.u8 IS NOT NULL AND OLD.u9 IS NOT NULL
BEGIN
    INSERT INTO skm_rollup_retractions (service_id, employee_id, day, comments, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation) VALUES (OLD.service_id, OLD.employee_id, OLD.rollup_day, CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END, OLD.u1, OLD.u2, OLD.u3, OLD.u4, OLD.u5, OLD.u6, OLD.u7, OLD.u8, OLD.u9, OLD.age_group, OLD.gender, OLD.education, OLD.occupation);
END""",
    """CREATE TRIGGER skm_rollup_retract_on_update
AFTER UPDATE OF status, service_id, employee_id, submitted_at, comment, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND (OLD.status IS NOT NEW.status OR OLD.service_id IS NOT NEW.service_id OR OLD.employee_id IS NOT NEW.employee_id OR OLD.submitted_at IS NOT NEW.submitted_at OR OLD.comment IS NOT NEW.comment OR OLD.u1 IS NOT NEW.u1 OR OLD.u2 IS NOT NEW.u2 OR OLD.u3 IS NOT NEW.u3 OR OLD.u4 IS NOT NEW.u4 OR OLD.u5 IS NOT NEW.u5 OR OLD.u6 IS NOT NEW.u6 OR OLD.u7 IS NOT NEW.u7 OR OLD.u8 IS NOT NEW.u8 OR OLD.u9 IS NOT NEW.u9 OR OLD.age_group IS NOT NEW.age_group OR OLD.gender IS NOT NEW.gender OR OLD.education IS NOT NEW.education OR OLD.occupation IS NOT NEW.occupation)
BEGIN
    INSERT INTO skm_rollup_retractions (service_id, employee_id, day, comments, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation)
        SELECT OLD.service_id, OLD.employee_id, OLD.rollup_day, CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END, OLD.u1, OLD.u2, OLD.u3, OLD.u4, OLD.u5, OLD.u6, OLD.u7, OLD.u8, OLD.u9, OLD.age_group, OLD.gender, OLD.education, OLD.occupation WHERE OLD.status = 'submitted' AND OLD.u1 IS NOT NULL AND OLD.u2 IS NOT NULL AND OLD.u3 IS NOT NULL AND OLD.u4 IS NOT NULL AND OLD.u5 IS NOT NULL AND OLD.u6 IS NOT NULL AND OLD.u7 IS NOT NULL AND OLD.u8 IS NOT NULL AND OLD.u9 IS NOT NULL;
    UPDATE survey_responses SET rollup_day = NULL WHERE id = NEW.id;
END""",
)
OLD_POSTGRESQL_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION skm_rollup_retract() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'submitted' AND OLD.u1 IS NOT NULL AND OLD.u2 IS NOT NULL AND OLD.u3 IS NOT NULL AND OLD.u4 IS NOT NULL AND OLD.u5 IS NOT NULL AND OLD.u6 IS NOT NULL AND OLD.u7 IS NOT NULL AND OLD.u8 IS NOT NULL AND OLD.u9 IS NOT NULL THEN
        INSERT INTO skm_rollup_retractions (service_id, employee_id, day, comments, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation) VALUES (OLD.service_id, OLD.employee_id, OLD.rollup_day, CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END, OLD.u1, OLD.u2, OLD.u3, OLD.u4, OLD.u5, OLD.u6, OLD.u7, OLD.u8, OLD.u9, OLD.age_group, OLD.gender, OLD.education, OLD.occupation);
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
    """CREATE TRIGGER skm_rollup_retract_on_update
BEFORE UPDATE OF status, service_id, employee_id, submitted_at, comment, u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, gender, education, occupation ON survey_responses FOR EACH ROW
WHEN (OLD.rollup_day IS NOT NULL AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.service_id IS DISTINCT FROM NEW.service_id OR OLD.employee_id IS DISTINCT FROM NEW.employee_id OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at OR OLD.comment IS DISTINCT FROM NEW.comment OR OLD.u1 IS DISTINCT FROM NEW.u1 OR OLD.u2 IS DISTINCT FROM NEW.u2 OR OLD.u3 IS DISTINCT FROM NEW.u3 OR OLD.u4 IS DISTINCT FROM NEW.u4 OR OLD.u5 IS DISTINCT FROM NEW.u5 OR OLD.u6 IS DISTINCT FROM NEW.u6 OR OLD.u7 IS DISTINCT FROM NEW.u7 OR OLD.u8 IS DISTINCT FROM NEW.u8 OR OLD.u9 IS DISTINCT FROM NEW.u9 OR OLD.age_group IS DISTINCT FROM NEW.age_group OR OLD.gender IS DISTINCT FROM NEW.gender OR OLD.education IS DISTINCT FROM NEW.education OR OLD.occupation IS DISTINCT FROM NEW.occupation))
EXECUTE FUNCTION skm_rollup_retract()""",
)


def _drop_triggers(postgres: bool) -> None:
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}{' ON survey_responses' if postgres else ''}")


def _set_watermark_number(number_of: Callable[[str], object]) -> None:
    jobs = sa.table("job_runs", sa.column("name", sa.String), sa.column("watermark", sa.String))
    bind = op.get_bind()
    value = bind.execute(sa.select(jobs.c.watermark).where(jobs.c.name == "rollup")).scalar()
    if value and "#" in value:
        zone, _, number = value.rpartition("#")
        bind.execute(
            jobs.update().where(jobs.c.name == "rollup").values(watermark=f"{zone}#{number_of(number)}")
        )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("survey_responses") as batch:
        batch.add_column(sa.Column("rollup_seq", sa.BigInteger(), nullable=True))
        batch.create_index("ix_survey_responses_rollup_seq", ["rollup_seq"], unique=True)
    with op.batch_alter_table("skm_rollup_retractions") as batch:
        batch.add_column(sa.Column("response_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rollup_seq", sa.BigInteger(), nullable=True))
    if postgres:
        op.execute("CREATE SEQUENCE survey_responses_rollup_seq")
    op.create_table(
        "skm_rebuild_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
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
    op.create_table(
        "skm_rollup_counted",
        sa.Column("upto", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("upto", name=op.f("pk_skm_rollup_counted")),
    )
    _drop_triggers(postgres)
    for statement in POSTGRESQL_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    _set_watermark_number(lambda _old: 0)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _drop_triggers(postgres)
    op.drop_table("skm_rollup_counted")
    op.drop_index("ix_skm_rebuild_profile_day", table_name="skm_rebuild_profile")
    op.drop_table("skm_rebuild_profile")
    op.drop_index("ix_skm_rebuild_cells_day", table_name="skm_rebuild_cells")
    op.drop_table("skm_rebuild_cells")
    if postgres:
        op.execute("DROP SEQUENCE IF EXISTS survey_responses_rollup_seq")
    with op.batch_alter_table("skm_rollup_retractions") as batch:
        batch.drop_column("rollup_seq")
        batch.drop_column("response_id")
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_index("ix_survey_responses_rollup_seq")
        batch.drop_column("rollup_seq")
    for statement in OLD_POSTGRESQL_TRIGGERS if postgres else OLD_SQLITE_TRIGGERS:
        op.execute(statement)
    # The old watermark named the highest counted id: 0 would count everything
    # again, so force a full rebuild on the next run instead.
    _set_watermark_number(lambda _new: "rebuild")
