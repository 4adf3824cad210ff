"""Klarifikasi ekspektasi: a supervisor states a special expectation, the employee answers.

`state` keeps the expectation (per core value or SKP line, for the year) and
queues it to the employee with "Saya mengerti" and "Ajukan pertanyaan"
(``ex:<token>:ok`` / ``ex:<token>:q``); `understood` and `ask` keep the answer
and tell the supervisor. Messages to the other person go through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.messages import feedback_cards as texts
from storage import achievements
from storage.directory import accounts_by_employee
from storage.outbox import MAX_TEXT, Button, enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.performance_models import PerformanceExpectation, SkpLine
from storage.preferences import language_of

KIND = "expectation"
PREFIX = "ex"
UNDERSTOOD, ASK = "ok", "q"


async def _send(
    session: AsyncSession,
    settings: Settings,
    employee_id: int,
    key: str,
    text_of: Callable[[str], str],
    now: datetime,
    buttons: Callable[[str], list[list[Button]]] | None = None,
    not_before: datetime | None = None,
) -> bool:
    account = (await accounts_by_employee(session, [employee_id])).get(employee_id)
    if account is None:
        return False
    language = language_of(account, settings)
    return await enqueue(
        session,
        chat_id=account.telegram_user_id,
        kind=KIND,
        text=text_of(language)[:MAX_TEXT],
        buttons=buttons(language) if buttons else None,
        dedupe_key=key,
        priority=PRIORITY_NOTICE,
        employee_id=employee_id,
        now=now,
    )


async def state(
    session: AsyncSession,
    settings: Settings,
    *,
    employee_id: int,
    supervisor_id: int,
    supervisor_name: str,
    year: int,
    skp_line: SkpLine | None,
    value_code: str | None,
    text: str,
    now: datetime,
) -> bool:
    """Keep the expectation and queue it to the employee (False: they are not linked)."""
    item = await achievements.add_expectation(
        session,
        employee_id=employee_id,
        supervisor_id=supervisor_id,
        year=year,
        value_code=value_code,
        skp_line_id=skp_line.id if skp_line else None,
        text=text,
        now=now,
    )

    sent = await _deliver(session, settings, item, skp_line, supervisor_name, now, None)
    if sent:
        item.sent_at = now
    return sent


async def _deliver(
    session: AsyncSession,
    settings: Settings,
    item: PerformanceExpectation,
    line: SkpLine | None,
    supervisor_name: str,
    now: datetime,
    not_before: datetime | None,
) -> bool:
    """Queue the expectation itself (``expect:<token>``: at most once, ever)."""

    def message(language: str) -> str:
        _ = gettext_for(language)
        about = texts.target_label(line, item.value_code, _)
        head = _("🎯 {supervisor}'s special expectation for {year} — {about}:").format(
            supervisor=supervisor_name, year=item.year, about=about
        )
        return f"{head}\n\n{item.text}"

    return await _send(
        session,
        settings,
        item.employee_id,
        f"expect:{item.token}",
        message,
        now,
        lambda language: _buttons(item.token, language),
        not_before,
    )


async def deliver_late(
    session: AsyncSession,
    settings: Settings,
    item: PerformanceExpectation,
    now: datetime,
    not_before: datetime,
) -> bool:
    """An expectation the employee never received (not linked when it was stated): queue it
    now that they may be (False: still not linked, or it went out before)."""
    if item.sent_at is not None:
        return False
    line = await session.get(SkpLine, item.skp_line_id) if item.skp_line_id else None
    sent = await _deliver(session, settings, item, line, item.supervisor.name, now, not_before)
    if sent:
        item.sent_at = now
    return sent


def _buttons(token: str, language: str) -> list[list[Button]]:
    _ = gettext_for(language)
    return [
        [{"text": _("I understand"), "callback_data": f"{PREFIX}:{token}:{UNDERSTOOD}"}],
        [{"text": _("Ask a question"), "callback_data": f"{PREFIX}:{token}:{ASK}"}],
    ]


async def remind(
    session: AsyncSession,
    settings: Settings,
    item: PerformanceExpectation,
    now: datetime,
    not_before: datetime,
) -> bool:
    """Ask the employee once more to answer an expectation (once, `reminded_at`; False:
    reminded before, or they are not linked or blocked the bot)."""
    line = await session.get(SkpLine, item.skp_line_id) if item.skp_line_id else None

    def message(language: str) -> str:
        _ = gettext_for(language)
        about = texts.target_label(line, item.value_code, _)
        head = _(
            "⏰ {supervisor} is waiting for your answer to their special expectation "
            "for {year} — {about}:"
        ).format(supervisor=item.supervisor.name, year=item.year, about=about)
        tail = _("Tap “I understand”, or ask a question if anything is unclear.")
        return f"{head}\n\n{item.text}\n\n{tail}"

    if item.reminded_at is not None:
        return False
    sent = await _send(
        session,
        settings,
        item.employee_id,
        f"expect-again:{item.token}",
        message,
        now,
        lambda language: _buttons(item.token, language),
        not_before,
    )
    if sent:
        item.reminded_at = now
    return sent


async def understood(
    session: AsyncSession, settings: Settings, item: PerformanceExpectation, now: datetime
) -> bool:
    """The employee understood (once); the supervisor hears of it."""
    if item.understood_at is not None:
        return False
    item.understood_at = now

    def message(language: str) -> str:
        _ = gettext_for(language)
        return _("✅ {name} understood your expectation: {text}").format(
            name=item.employee.name, text=item.text[:300]
        )

    await _send(session, settings, item.supervisor_id, f"expect-ok:{item.token}", message, now)
    return True


async def ask(
    session: AsyncSession,
    settings: Settings,
    item: PerformanceExpectation,
    question: str,
    now: datetime,
) -> None:
    """Keep the employee's question (a later one is added below) and pass it on."""
    item.question = f"{item.question}\n{question}" if item.question else question
    item.asked_at = now
    count = item.question.count("\n") + 1

    def message(language: str) -> str:
        _ = gettext_for(language)
        head = _("❓ {name} asks about your expectation “{text}”:").format(
            name=item.employee.name, text=item.text[:200]
        )
        return f"{head}\n\n{question}"

    await _send(
        session, settings, item.supervisor_id, f"expect-q:{item.token}:{count}", message, now
    )
