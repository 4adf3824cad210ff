"""Praise: counted per officer and month, and collected into one note a day for the officer
and their supervisor (job ``praise_notes``), masked and never saying when or who.

World: tests/support/case_world.py (officer Budi, supervisor Siti, both linked).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from scheduler.jobs import low_score_alerts, praise_notes
from scheduler.jobs.specs import JobContext
from storage import mutes, praise, survey
from storage.db import SessionFactory
from storage.outbox_models import OutboxMessage
from storage.survey_models import PraiseNote
from tests.support.alert_world import GOOD, HEAD_TG, WIB, submit
from tests.support.case_world import OFFICER_TG, CaseWorld, seed_case_world


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB).astimezone(UTC)


TUESDAY_RUN = wib(24, 10)


@pytest.fixture
async def cw(sessions: SessionFactory) -> CaseWorld:
    world = await seed_case_world(sessions)
    officer = world.world.officer_id
    keys = iter(f"{n:064d}" for n in range(100))

    async def praised(at: datetime, comment: str) -> int:
        return await submit(
            sessions,
            world.world.ktp_id,
            GOOD,
            comment=comment,
            at=at,
            officer_id=officer,
            user_key=next(keys),
        )

    await praised(wib(23, 10, 30), "Pak Budi sabar menjelaskan")
    await praised(wib(23, 11), "Cepat sekali, hubungi saya 0812-1111-2222")
    await praised(wib(24, 9), "Terima kasih Pak")
    # Not praise: not every answer at 4; no officer on the QR code.
    await submit(
        sessions,
        world.world.ktp_id,
        (4,) * 8 + (3,),
        comment="Bagus",
        at=wib(23, 12),
        officer_id=officer,
        user_key=next(keys),
    )
    await submit(
        sessions, world.world.ktp_id, GOOD, comment="Bagus", at=wib(23, 13), user_key=next(keys)
    )
    return world


def ctx(settings, sessions, now: datetime = TUESDAY_RUN, **kw) -> JobContext:
    return JobContext(settings=settings, sessions=sessions, now=now, **kw)


async def notes(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == praise_notes.KIND)
                .order_by(OutboxMessage.id)
            )
        )


def text_of(row: OutboxMessage) -> str:
    return json.loads(row.content)["text"]


TIME_OR_DATE = re.compile(r"\d{1,2}[.:]\d{2}|Nov|Senin|Selasa|kemarin|pagi|siang")


async def test_one_note_a_day_to_the_officer_and_the_supervisor(settings, sessions, cw):
    summary = await praise_notes.run(ctx(settings, sessions))
    assert summary == "3 praise(s) for 1 officer(s), 2 message(s) queued"
    officer, supervisor = await notes(sessions)
    assert officer.chat_id == OFFICER_TG and supervisor.chat_id == HEAD_TG
    mine = text_of(officer)
    assert mine.startswith("🌟 Warga memuji pelayanan Anda\n\n")
    assert "Warga yang memberi nilai terbaik pada semua jawaban: 3. Mereka menulis:" in mine
    for quote in (
        "“Pak Budi sabar menjelaskan” (Perekaman KTP-el)",
        "“Cepat sekali, hubungi saya [TELEPON]” (Perekaman KTP-el)",
        "“Terima kasih Pak” (Perekaman KTP-el)",
    ):
        assert quote in mine
    assert "Pujian bulan ini sejauh ini: 3." in mine
    team = text_of(supervisor)
    assert team.startswith("🌟 Warga memuji tim Anda\n\nBudi Santoso (3):\n")
    for text in (mine, team):
        assert not TIME_OR_DATE.search(text), text  # never when
        assert "0812" not in text and "Bagus" not in text
    assert officer.not_before == TUESDAY_RUN


async def test_a_second_run_sends_nothing_new_and_the_next_day_only_the_new(settings, sessions, cw):
    await praise_notes.run(ctx(settings, sessions))
    again = await praise_notes.run(ctx(settings, sessions, wib(24, 15)))
    assert again == "0 praise(s) for 0 officer(s), 0 message(s) queued"
    await submit(
        sessions,
        cw.world.ktp_id,
        GOOD,
        comment="Ramah",
        at=wib(24, 14),
        officer_id=cw.world.officer_id,
        user_key="z" * 64,
    )
    next_day = await praise_notes.run(ctx(settings, sessions, wib(25, 10)))
    assert next_day == "1 praise(s) for 1 officer(s), 2 message(s) queued"
    latest = text_of((await notes(sessions))[-2])
    assert "“Ramah”" in latest and "Pak Budi sabar" not in latest
    assert "Pujian bulan ini sejauh ini: 4." in latest


async def test_weekends_wait_for_monday(settings, sessions, cw):
    saturday = wib(28, 10)
    assert (await praise_notes.run(ctx(settings, sessions, saturday))).startswith(
        "not a working day"
    )
    assert await notes(sessions) == []
    forced = await praise_notes.run(ctx(settings, sessions, saturday, force=True))
    assert forced.startswith("3 praise(s)")


async def test_muted_praise_and_erased_praise(settings, sessions, cw):
    async with sessions.begin() as session:
        await mutes.set_muted(session, HEAD_TG, mutes.PRAISE, True, TUESDAY_RUN)
        await survey.delete_user_data(session, f"{1:064d}")  # the second citizen erases theirs
    summary = await praise_notes.run(ctx(settings, sessions))
    assert summary == "2 praise(s) for 1 officer(s), 1 message(s) queued"
    (only,) = await notes(sessions)
    assert only.chat_id == OFFICER_TG and "Cepat sekali" not in text_of(only)
    async with sessions() as session:
        assert len((await session.scalars(select(PraiseNote))).all()) == 2


async def test_praise_is_counted_per_officer_per_month(settings, sessions, cw):
    officer = cw.world.officer_id
    async with sessions() as session:
        november = await praise.monthly_counts(session, date(2026, 11, 15), settings.tz)
        december = await praise.monthly_counts(session, date(2026, 12, 1), settings.tz)
    assert november == {officer: 3} and december == {}
    # On the last evening of the month in Jakarta (still 30 Nov), counted in November.
    await submit(
        sessions,
        cw.world.ktp_id,
        GOOD,
        comment="Mantap",
        at=wib(30, 23, 30),
        officer_id=officer,
        user_key="m" * 64,
    )
    async with sessions() as session:
        november = await praise.monthly_counts(session, date(2026, 11, 30), settings.tz)
        assert await praise.monthly_counts(session, date(2026, 12, 1), settings.tz) == {}
    assert november == {officer: 4}


async def test_praise_is_not_a_comment_note(settings, sessions, cw):
    summary = await low_score_alerts.run(ctx(settings, sessions, wib(24, 9, 30)))
    # The two "Bagus" surveys (one not all 4s, one without an officer) are comment notes
    # to the head and the unit admin; the three praises are not.
    assert summary == "2 alert(s), 4 message(s) queued"
    async with sessions() as session:
        texts = [text_of(r) for r in await session.scalars(select(OutboxMessage))]
    assert all("Bagus" in t for t in texts)
    assert not any("Pak Budi" in t or "Terima kasih Pak" in t for t in texts)
