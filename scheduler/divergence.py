"""The divergence flag at a cycle's close: the supervisor's own superior and BKPSDM are told.

`queue_divergence` runs inside the cycle's close (``scheduler/cycles.py``, the
caller's transaction, never commits). For each ratee with a supervisor in the
cycle, `scheduler.scoring.perilaku_divergence.divergence` compares the
supervisor's perilaku level with the pooled peers and subordinates (only where
that pool may be shown). Each flag goes to the supervisor's own superior (the
roster's supervisor of the supervisor, if linked; one message per cycle and
superior) and all flags to every city-wide admin (``ADMIN_IDS``; one message
per cycle and admin). Outbox kind ``divergence``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.messages.divergence import Flagged, admin_text, superior_text
from scheduler.scoring.perilaku_divergence import divergence
from storage.directory import accounts_by_employee
from storage.models import Employee
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.preferences import language_of, language_of_chat
from storage.review_results import RateeResults

KIND = "divergence"


async def _flags(
    session: AsyncSession, results: Sequence[RateeResults]
) -> list[tuple[int | None, Flagged]]:
    """(the supervisor's superior, the flag) for every divergent ratee."""
    found = []
    for item in results:
        if item.supervisor_id is None:
            continue
        flagged = divergence(item.result, item.instrument)
        if flagged is None:
            continue
        supervisor = await session.get(Employee, item.supervisor_id)
        if supervisor is None:
            continue
        flag = Flagged(supervisor.name, item.ratee.name, item.ratee.unit_name, flagged)
        found.append((supervisor.supervisor_id, flag))
    return found


async def queue_divergence(
    session: AsyncSession,
    settings: Settings,
    cycle_id: int,
    results: Sequence[RateeResults],
    now: datetime,
) -> int:
    """Queue the flags of a closed cycle; how many rows were added."""
    flags = await _flags(session, results)
    if not flags:
        return 0
    cycle = results[0].cycle.name
    by_superior: dict[int, list[Flagged]] = defaultdict(list)
    for superior, flag in flags:
        if superior is not None:
            by_superior[superior].append(flag)
    accounts = await accounts_by_employee(session, sorted(by_superior))
    queued = 0
    for superior, mine in sorted(by_superior.items()):
        account = accounts.get(superior)
        if account is None:
            continue
        _ = gettext_for(language_of(account, settings))
        queued += await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=KIND,
            text=superior_text(_, cycle, mine),
            dedupe_key=f"{KIND}:{cycle_id}:superior:{superior}",
            priority=PRIORITY_NOTICE,
            employee_id=superior,
            now=now,
        )
    every = [flag for _superior, flag in flags]
    for chat in settings.admin_ids:
        _ = gettext_for(await language_of_chat(session, settings, chat))
        queued += await enqueue(
            session,
            chat_id=chat,
            kind=KIND,
            text=admin_text(_, cycle, every),
            dedupe_key=f"{KIND}:{cycle_id}:admin:{chat}",
            priority=PRIORITY_NOTICE,
            now=now,
        )
    return queued
