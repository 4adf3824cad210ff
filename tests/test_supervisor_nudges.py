"""``supervisor_nudges`` with a clock the tests control: weekly while the cycle is open,
daily in its last 3 days; what a nudge says; who gets none.

The roster of tests/support/review_roster.py: H (English) supervises A and B; A supervises
A1, A2, A3 (and X, inactive). H and A1 are linked; here A links too. "Siklus 1" opens on
Monday 7 January 2030 at 09:00 WIB, deadline Friday 25 January.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select, update

from bot.core.settings import Settings
from scheduler.jobs import supervisor_nudges
from scheduler.jobs.specs import JobContext
from storage.db import SessionFactory
from storage.models import TelegramAccount
from storage.outbox_models import OutboxMessage
from storage.review_models import SUBMITTED, ReviewAssignment
from tests.support.review_roster import DEADLINE, OPENED, TG, Roster, open_cycle, seed_roster, wib

KIND = supervisor_nudges.KIND
A_CHAT = 104


async def seeded(sessions: SessionFactory, settings: Settings) -> Roster:
    roster = await seed_roster(sessions)
    async with sessions.begin() as session:
        session.add(TelegramAccount(telegram_user_id=A_CHAT, employee_id=roster.ids["A"]))
    await open_cycle(sessions, settings)
    return roster


async def run(sessions: SessionFactory, settings: Settings, day: date, hour: int = 8) -> str:
    return await supervisor_nudges.run(JobContext(settings, sessions, wib(day, hour, 30)))


async def nudges(sessions: SessionFactory, employee_id: int | None = None) -> list[OutboxMessage]:
    async with sessions() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == KIND)
        if employee_id is not None:
            statement = statement.where(OutboxMessage.employee_id == employee_id)
        return list((await session.scalars(statement.order_by(OutboxMessage.id))).all())


def day_of(message: OutboxMessage) -> str:
    return message.dedupe_key.rsplit(":", 1)[1]


def text_of(message: OutboxMessage) -> str:
    return json.loads(message.content)["text"]


async def submit(sessions: SessionFactory, *rater_ids: int) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(ReviewAssignment)
            .where(ReviewAssignment.rater_id.in_(rater_ids))
            .values(status=SUBMITTED)
        )


async def test_weekly_while_open_and_daily_in_the_last_three_days(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    for offset in range(0, 24):
        await run(sessions, settings, OPENED + timedelta(days=offset))
    assert [day_of(m) for m in await nudges(sessions, roster.ids["A"])] == [
        "2030-01-14",  # a week after the opening
        "2030-01-21",  # two weeks
        "2030-01-23",  # deadline - 2
        "2030-01-24",  # deadline - 1
        "2030-01-25",  # the deadline
    ]
    # Both linked supervisors, nobody else (A1 and O supervise no one).
    assert {m.employee_id for m in await nudges(sessions)} == {roster.ids["A"], roster.ids["H"]}


async def test_the_nudge_shows_own_reviews_completion_and_unlinked_members(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    await submit(sessions, roster.ids["A1"])  # 4 of the team's 12 reviews
    await run(sessions, settings, date(2030, 1, 14))
    (a,) = await nudges(sessions, roster.ids["A"])
    assert a.chat_id == A_CHAT
    assert text_of(a) == (
        "Penilaian 360°: perkembangan tim Anda\n\n"
        "“Siklus 1”, batas waktu 25 Januari 2030\n"
        "• Penilaian Anda terhadap tim yang belum selesai (3): Pegawai A1, Pegawai A2, "
        "Pegawai A3\n"
        "• Tim Anda telah mengirim 4 dari 12 penilaian (33%).\n"
        "• Belum menautkan akun ke bot ini (2): Pegawai A2, Pegawai A3\n\n"
        "Anggota tim yang akunnya belum ditautkan tidak menerima pengingat dan belum dapat "
        "menilai; mereka dapat meminta kode tautan kepada BKPSDM."
    )
    assert json.loads(a.content)["buttons"] == [
        [{"text": "Lanjutkan menilai", "callback_data": "rv:list"}]
    ]
    (h,) = await nudges(sessions, roster.ids["H"])
    assert h.chat_id == TG["H"]
    text = text_of(h)
    assert text.startswith("360° review: how your team is doing")
    assert "• Your reviews of your team still to do (2): Pegawai A, Pegawai B" in text
    assert "• Your team has submitted 0 of 9 reviews (0%)." in text
    assert "Not yet linked to this bot (1): Pegawai B" in text  # A is linked now


async def test_own_reviews_done_shows_no_button(sessions: SessionFactory, settings: Settings):
    roster = await seeded(sessions, settings)
    await submit(sessions, roster.ids["A"])  # A's own reviews (and A's others) are done
    await run(sessions, settings, date(2030, 1, 14))
    (a,) = await nudges(sessions, roster.ids["A"])
    assert "• Penilaian Anda terhadap tim sudah selesai." in text_of(a)
    assert "buttons" not in json.loads(a.content)


async def test_no_nudge_when_the_team_and_the_supervisor_are_done(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    await submit(sessions, roster.ids["H"], roster.ids["A"], roster.ids["B"])
    summary = await run(sessions, settings, date(2030, 1, 23))
    assert {m.employee_id for m in await nudges(sessions)} == {roster.ids["A"]}
    assert summary.startswith("1 supervisor nudges queued for 2030-01-23")


async def test_quiet_hours_and_one_a_day(sessions: SessionFactory, settings: Settings):
    roster = await seeded(sessions, settings)
    # Saturday 19 January (day 12): no nudge day in Saturday..Monday 21 except Monday (day 14).
    await run(sessions, settings, date(2030, 1, 19))
    (a,) = await nudges(sessions, roster.ids["A"])
    assert (day_of(a), a.not_before) == ("2030-01-21", wib(date(2030, 1, 21), 8))
    await run(sessions, settings, date(2030, 1, 21))
    again = await run(sessions, settings, date(2030, 1, 21), hour=10)
    assert len(await nudges(sessions, roster.ids["A"])) == 1
    assert again.startswith("0 supervisor nudges queued")


async def test_nothing_after_the_deadline(sessions: SessionFactory, settings: Settings):
    await seeded(sessions, settings)
    await run(sessions, settings, DEADLINE + timedelta(days=1))
    assert await nudges(sessions) == []
