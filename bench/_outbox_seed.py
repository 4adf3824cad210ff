"""Seed a synthetic organisation whose 360° cycle makes ``review_reminders`` queue N reminders.

N active employees in one unit, each with a linked Telegram account (a distinct
chat) and one pending self-assessment in an open cycle that opened three days
ago (local time), so today is a reminder day (``REMINDER_EVERY_DAYS=3``). The
driver then runs the real job (``ulasan job run review_reminders --force``),
which queues one reminder per rater through `storage.outbox.enqueue`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from bot.core.clock import local_day, utcnow
from bot.core.settings import Settings
from storage.db import create_engine, session_factory
from storage.models import Employee, TelegramAccount, Unit
from storage.review_models import OPEN, PENDING, SELF, ReviewAssignment, ReviewCycle

FIRST_CHAT_ID = 700_000_000
FIRST_NIP = 199001012020120000
CHUNK = 1000


def chat_ids(count: int) -> list[int]:
    return [FIRST_CHAT_ID + n for n in range(count)]


async def seed(settings: Settings, count: int) -> None:
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    sessions = session_factory(engine)
    now = utcnow()
    opened = now - timedelta(days=3)
    try:
        async with sessions.begin() as session:
            unit = Unit(code="BENCH", name="Unit Benchmark")
            session.add(unit)
            await session.flush()
            cycle = ReviewCycle(
                name="Benchmark 360",
                deadline=local_day(now, settings.tz) + timedelta(days=10),
                status=OPEN,
                opened_at=opened,
                opened_by="bench",
            )
            session.add(cycle)
            await session.flush()
            for start in range(0, count, CHUNK):
                numbers = range(start, min(count, start + CHUNK))
                await session.execute(
                    insert(Employee),
                    [
                        {
                            "id": n + 1,
                            "nip": str(FIRST_NIP + n),
                            "name": f"Pegawai {n:05d}",
                            "unit_id": unit.id,
                            "active": True,
                        }
                        for n in numbers
                    ],
                )
                await session.execute(
                    insert(TelegramAccount),
                    [
                        {"telegram_user_id": FIRST_CHAT_ID + n, "employee_id": n + 1}
                        for n in numbers
                    ],
                )
                await session.execute(
                    insert(ReviewAssignment),
                    [
                        {
                            "cycle_id": cycle.id,
                            "rater_id": n + 1,
                            "ratee_id": n + 1,
                            "relation": SELF,
                            "status": PENDING,
                            "token": f"bench{n:011d}",
                        }
                        for n in numbers
                    ],
                )
    finally:
        await engine.dispose()
