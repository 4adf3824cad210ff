"""Achievements (``/capaian``) and expectations (klarifikasi ekspektasi) as stored.

Evidence files live under ``DATA_DIR/evidence/<employee id>/`` (so backups,
which take every file of DATA_DIR, keep them); a row holds the path relative
to DATA_DIR. ``/hapusdata`` erases an employee's achievements with their files
(`erase_achievements`, then `remove_files` after the commit) and the lines
quoting them in stored messages (the supervisor's card, e-Kinerja text). Each function
takes a session and never commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage import erasure
from storage.crypto import new_token
from storage.models import TelegramAccount
from storage.performance_models import Achievement, PerformanceExpectation

EVIDENCE_DIR = "evidence"
CAPTION_MAX_CHARS = 500
LINK_MAX_CHARS = 1000
QUOTED_PREFIX = 40  # characters of a caption enough to find it where it was quoted


def keep_file(data_dir: Path, employee_id: int, content: bytes, suffix: str, kind: str = "") -> str:
    """Write evidence bytes under DATA_DIR/evidence/[<kind>/]<employee>/ (``notes`` for a
    supervisor's /catat photos); the path relative to DATA_DIR."""
    relative = f"{EVIDENCE_DIR}/{kind}/{employee_id}" if kind else f"{EVIDENCE_DIR}/{employee_id}"
    folder = data_dir / relative
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(8)}{suffix}"
    temporary = folder / f"{name}.part"
    temporary.write_bytes(content)
    temporary.replace(folder / name)
    return f"{relative}/{name}"


async def add_achievement(
    session: AsyncSession,
    *,
    employee_id: int,
    skp_line_id: int,
    period: str,
    kind: str,
    file_path: str | None,
    link: str | None,
    caption: str,
    now: datetime,
) -> Achievement:
    item = Achievement(
        employee_id=employee_id,
        skp_line_id=skp_line_id,
        period=period,
        kind=kind,
        file_path=file_path,
        link=link,
        caption=caption,
        created_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def achievements_in(
    session: AsyncSession, employee_id: int, periods: list[str]
) -> list[Achievement]:
    rows = await session.scalars(
        select(Achievement)
        .where(Achievement.employee_id == employee_id, Achievement.period.in_(periods))
        .order_by(Achievement.created_at, Achievement.id)
    )
    return list(rows.all())


async def add_expectation(
    session: AsyncSession,
    *,
    employee_id: int,
    supervisor_id: int,
    year: int,
    value_code: str | None,
    skp_line_id: int | None,
    text: str,
    now: datetime,
) -> PerformanceExpectation:
    item = PerformanceExpectation(
        token=new_token(9),
        employee_id=employee_id,
        supervisor_id=supervisor_id,
        year=year,
        value_code=value_code,
        skp_line_id=skp_line_id,
        text=text,
        created_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def expectation_by_token(session: AsyncSession, token: str) -> PerformanceExpectation | None:
    return await session.scalar(
        select(PerformanceExpectation)
        .where(PerformanceExpectation.token == token)
        .options(
            selectinload(PerformanceExpectation.employee),
            selectinload(PerformanceExpectation.supervisor),
        )
    )


async def expectations_of(
    session: AsyncSession, employee_id: int, year: int
) -> list[PerformanceExpectation]:
    rows = await session.scalars(
        select(PerformanceExpectation)
        .where(
            PerformanceExpectation.employee_id == employee_id, PerformanceExpectation.year == year
        )
        .order_by(PerformanceExpectation.id)
    )
    return list(rows.all())


async def achievement_ids_of_telegram(session: AsyncSession, telegram_user_id: int) -> list[int]:
    """The achievements of the employee this Telegram account is linked to (for /hapusdata)."""
    rows = await session.scalars(
        select(Achievement.id)
        .join(TelegramAccount, TelegramAccount.employee_id == Achievement.employee_id)
        .where(TelegramAccount.telegram_user_id == telegram_user_id)
        .order_by(Achievement.id)
    )
    return list(rows.all())


async def erase_achievements(
    session: AsyncSession, telegram_user_id: int, ids: list[int]
) -> tuple[int, list[str]]:
    """Delete these achievements if they are still this account's employee's: how many, and
    the evidence files' paths (relative to DATA_DIR) for the caller to remove after the commit."""
    mine = set(await achievement_ids_of_telegram(session, telegram_user_id)) & set(ids)
    if not mine:
        return 0, []
    rows = await session.scalars(select(Achievement).where(Achievement.id.in_(sorted(mine))))
    found = list(rows.all())
    await session.execute(delete(Achievement).where(Achievement.id.in_(sorted(mine))))
    # Their captions and links were quoted on the supervisor's card and in e-Kinerja text:
    # those lines go from the stored messages too (as a citizen's erased comment does).
    # A long caption is shown shortened: its beginning identifies it as well.
    quoted = [(i.caption, i.caption[:QUOTED_PREFIX], i.link or "") for i in found]
    await erasure.cut_quotes(session, sorted({text for texts in quoted for text in texts if text}))
    return len(found), [item.file_path for item in found if item.file_path]


def remove_files(data_dir: Path, paths: list[str]) -> None:
    """Remove evidence files (never outside DATA_DIR/evidence)."""
    root = (data_dir / EVIDENCE_DIR).resolve()
    for relative in paths:
        path = (data_dir / relative).resolve()
        if root in path.parents:
            path.unlink(missing_ok=True)
