"""The retraction triggers on ``survey_responses``: deleted or changed responses leave the tables.

The same DDL as migration 0030 (first written by 0007), repeated here on purpose: migrations are
frozen, and a SQLite migration that rebuilds ``survey_responses`` drops its
triggers, so every rollup run checks that they exist and, if not, recreates
them from here (and rebuilds everything, since deletions in between cannot be
known otherwise). What they do is in the package docstring (`storage.rollup`,
"Deletions and changes").
"""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.rollup.sql import PROFILE_FIELDS, UNSUR

# -- the triggers (the same DDL as migration 0007; recreated here if lost) --------------

TRIGGER_NAMES: tuple[str, ...] = ("skm_rollup_retract_on_delete", "skm_rollup_retract_on_update")
_WATCHED = ("status", "service_id", "employee_id", "submitted_at", "comment", *UNSUR)
_WATCHED += PROFILE_FIELDS
_RETRACTION_COLUMNS = (
    "response_id, rollup_seq, "
    "service_id, employee_id, day, comments, u1, u2, u3, u4, u5, u6, u7, u8, u9, "
    "age_group, gender, education, occupation"
)
_OLD_VALUES = (
    "OLD.id, OLD.rollup_seq, "
    "OLD.service_id, OLD.employee_id, OLD.rollup_day, "
    "CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END, "
    + ", ".join(f"OLD.{u}" for u in UNSUR)
    + ", OLD.age_group, OLD.gender, OLD.education, OLD.occupation"
)
_OLD_COUNTED = "OLD.status = 'submitted' AND " + " AND ".join(f"OLD.{u} IS NOT NULL" for u in UNSUR)


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in _WATCHED)


SQLITE_TRIGGERS: tuple[str, ...] = (
    f"""CREATE TRIGGER skm_rollup_retract_on_delete
AFTER DELETE ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND {_OLD_COUNTED}
BEGIN
    INSERT INTO skm_rollup_retractions ({_RETRACTION_COLUMNS}) VALUES ({_OLD_VALUES});
END""",
    f"""CREATE TRIGGER skm_rollup_retract_on_update
AFTER UPDATE OF {", ".join(_WATCHED)} ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND ({_changed("IS NOT")})
BEGIN
    INSERT INTO skm_rollup_retractions ({_RETRACTION_COLUMNS})
        SELECT {_OLD_VALUES} WHERE {_OLD_COUNTED};
    UPDATE survey_responses SET rollup_day = NULL, rollup_seq = NULL WHERE id = NEW.id;
END""",
)
POSTGRESQL_TRIGGERS: tuple[str, ...] = (
    f"""CREATE OR REPLACE FUNCTION skm_rollup_retract() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {_OLD_COUNTED} THEN
        INSERT INTO skm_rollup_retractions ({_RETRACTION_COLUMNS}) VALUES ({_OLD_VALUES});
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
    f"""CREATE TRIGGER skm_rollup_retract_on_update
BEFORE UPDATE OF {", ".join(_WATCHED)} ON survey_responses FOR EACH ROW
WHEN (OLD.rollup_day IS NOT NULL AND ({_changed("IS DISTINCT FROM")}))
EXECUTE FUNCTION skm_rollup_retract()""",
)


async def triggers_present(session: AsyncSession) -> bool:
    if dialect_name(session) == "postgresql":
        query = text(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
            " AND tgrelid = 'survey_responses'::regclass AND tgname IN :names"
        )
    else:
        query = text(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name = 'survey_responses' AND name IN :names"
        )
    query = query.bindparams(bindparam("names", expanding=True))
    found = await session.scalar(query, {"names": list(TRIGGER_NAMES)})
    return int(found or 0) == len(TRIGGER_NAMES)


async def create_triggers(session: AsyncSession) -> None:
    """(Re)create the retraction triggers (drops any half-present set first)."""
    postgres = dialect_name(session) == "postgresql"
    for name in TRIGGER_NAMES:
        suffix = " ON survey_responses" if postgres else ""
        await session.execute(text(f"DROP TRIGGER IF EXISTS {name}{suffix}"))
    for statement in POSTGRESQL_TRIGGERS if postgres else SQLITE_TRIGGERS:
        await session.execute(text(statement))
