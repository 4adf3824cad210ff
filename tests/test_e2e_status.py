"""``/status`` through the real Application and the fake Bot API server: an admin sees
the scheduled jobs and the outbox counts; anyone else is politely refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import BotApplication
from bot.core.settings import Settings
from scheduler.jobs.specs import JOB_SPECS
from scheduler.runner import NEW, OK, RUNNING, run_job
from scheduler.services import services_of
from storage.db import SessionFactory
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REMINDER, JobRun
from tests.support.app import ADMIN_ID
from tests.support.fakebot import FakeBotApi


async def test_admin_sees_jobs_and_outbox_counts(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings
):
    # Two messages waiting for their window (far ahead, so the sender leaves them queued).
    async with sessions.begin() as session:
        for n in (1, 2):
            await enqueue(
                session,
                chat_id=5000 + n,
                kind="review_reminder",
                text="Pengingat",
                dedupe_key=f"status-test:{n}",
                priority=PRIORITY_REMINDER,
                not_before=datetime.now(UTC) + timedelta(days=3),
            )
    outcome = await run_job("housekeeping", settings, sessions, datetime.now(UTC))
    assert outcome.ok

    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM", language_code="id")
    reply = await admin.send("/status")
    text = reply.text
    assert text.startswith("Status Ulasan, ") and "(Asia/Jakarta)" in text
    assert "Tugas terjadwal:" in text
    for spec in JOB_SPECS:
        assert f"• {spec.name} ({spec.schedule(settings)})" in text
    assert "terakhir dijalankan: " in text and ", berhasil: 0 stale drafts abandoned" in text
    assert "berikutnya: " in text
    assert "Kotak keluar: antre 2, sedang dikirim 0, terkirim 0, gagal 0" in text
    assert "Traceback" not in text

    english = fake_api.user(ADMIN_ID, "Admin BKPSDM", language_code="en")
    await english.send("/language")
    await english.press("English")
    reply = await english.send("/status")
    assert reply.text.startswith("Ulasan status, ")
    assert "Outbox: queued 2, sending 0, sent 0, failed 0, unreachable 0, cancelled 0" in reply.text


async def test_someone_else_is_refused(bot: BotApplication, fake_api: FakeBotApi):
    citizen = fake_api.user(4242, language_code="id")
    reply = await citizen.send("/status")
    assert reply.text == "Maaf, /status hanya untuk administrator."
    stranger = fake_api.user(4243, language_code="en")
    reply = await stranger.send("/status")
    assert reply.text == "Sorry, /status is only for administrators."


async def test_the_bot_ticks_and_registers_the_jobs(bot: BotApplication, sessions: SessionFactory):
    """The JobQueue's first tick (1 s after start) registers every job; nothing is due yet."""
    assert services_of(bot).runner is not None
    deadline = asyncio.get_running_loop().time() + 10
    rows: list[JobRun] = []
    while asyncio.get_running_loop().time() < deadline:
        async with sessions() as session:
            rows = list((await session.scalars(select(JobRun))).all())
        if len(rows) == len(JOB_SPECS):
            break
        await asyncio.sleep(0.1)  # real time: the JobQueue runs on the wall clock
    assert sorted(row.name for row in rows) == sorted(spec.name for spec in JOB_SPECS)
    assert {row.last_status for row in rows} <= {NEW, RUNNING, OK}
