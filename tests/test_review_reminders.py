"""``review_reminders`` with a clock the tests control: the cadence across a cycle, stop
when done, one a day across cycles, quiet hours, ``--force``, who is skipped, idempotency.

The roster of tests/support/review_roster.py (H in English, A1 and O in Indonesian are
linked; the others are not). The cycle "Siklus 1" opens on Monday 7 January 2030 at
09:00 WIB with the deadline Friday 25 January; REMINDER_EVERY_DAYS is 3, working days
Monday–Friday 08:00–16:00.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from bot.core.settings import Settings
from scheduler import cycles
from scheduler.jobs import review_reminders
from scheduler.jobs.specs import JobContext
from storage.db import SessionFactory
from storage.models import TelegramAccount
from storage.outbox_models import (
    CANCELLED,
    PRIORITY_REMINDER,
    QUEUED,
    OutboxMessage,
    UnreachableChat,
)
from storage.review_models import SELF, SUBMITTED, ReviewAssignment
from tests.support.review_roster import (
    DEADLINE,
    OPENED,
    TG,
    Roster,
    open_cycle,
    seed_roster,
    wib,
)

KIND = review_reminders.KIND


async def run(
    sessions: SessionFactory, settings: Settings, now: datetime, *, force: bool = False
) -> str:
    return await review_reminders.run(JobContext(settings, sessions, now, force=force))


async def reminders(
    sessions: SessionFactory, employee_id: int | None = None
) -> list[OutboxMessage]:
    async with sessions() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == KIND)
        if employee_id is not None:
            statement = statement.where(OutboxMessage.employee_id == employee_id)
        return list((await session.scalars(statement.order_by(OutboxMessage.id))).all())


def day_of(message: OutboxMessage) -> str:
    return message.dedupe_key.rsplit(":", 1)[1]


def content(message: OutboxMessage) -> dict:
    return json.loads(message.content)


async def submit_all(sessions: SessionFactory, rater_id: int) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(ReviewAssignment)
            .where(ReviewAssignment.rater_id == rater_id)
            .values(status=SUBMITTED)
        )


async def colleagues_of(sessions: SessionFactory, rater_id: int) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count(ReviewAssignment.id)).where(
                    ReviewAssignment.rater_id == rater_id, ReviewAssignment.relation != SELF
                )
            )
            or 0
        )


async def seeded(sessions: SessionFactory, settings: Settings) -> Roster:
    roster = await seed_roster(sessions)
    await open_cycle(sessions, settings)
    return roster


# -- cadence ------------------------------------------------------------------------------------


async def test_cadence_across_a_cycle(sessions: SessionFactory, settings: Settings):
    roster = await seeded(sessions, settings)
    # The opening day, after the opening: the opening message was the day's reminder.
    assert (await run(sessions, settings, wib(OPENED, 10))).startswith("0 reminders queued")
    # Every day at 08:30 (the default schedule), weekends included, past the deadline.
    for offset in range(1, 24):
        await run(sessions, settings, wib(OPENED + timedelta(days=offset), 8, 30))
    a1 = await reminders(sessions, roster.ids["A1"])
    assert [day_of(m) for m in a1] == [
        "2030-01-10",  # day 3
        "2030-01-14",  # day 6 is a Sunday: on Monday (queued on Saturday, for Monday 08:00)
        "2030-01-16",  # day 9
        "2030-01-21",  # day 12 is a Saturday: on Monday
        "2030-01-22",  # day 15
        "2030-01-23",  # 2 days before the deadline
        "2030-01-25",  # the deadline day (also day 18)
    ]
    assert {m.priority for m in a1} == {PRIORITY_REMINDER}
    monday = next(m for m in a1 if day_of(m) == "2030-01-14")
    assert monday.not_before == wib(date(2030, 1, 14), 8)
    # Every linked rater on the same days (H and O too), and nobody else.
    everyone = await reminders(sessions)
    assert {m.employee_id for m in everyone} == {roster.ids[p] for p in ("H", "A1", "O")}
    assert len(everyone) == 3 * 7


async def test_the_message_says_what_is_left_and_by_when(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    await run(sessions, settings, wib(date(2030, 1, 23), 8, 30))  # 2 days before
    (a1,) = await reminders(sessions, roster.ids["A1"])
    body = content(a1)
    colleagues = await colleagues_of(sessions, roster.ids["A1"])
    assert a1.chat_id == TG["A1"]
    assert body["text"] == (
        "Pengingat: penilaian 360° “Siklus 1” masih menunggu Anda.\n\n"
        f"Belum dinilai: {colleagues} rekan dan penilaian diri Anda.\n\n"
        "Mohon selesaikan paling lambat 25 Januari 2030 (tinggal 2 hari)."
    )
    assert body["buttons"] == [[{"text": "Lanjutkan menilai", "callback_data": "rv:list"}]]
    (h,) = await reminders(sessions, roster.ids["H"])  # H reads English
    assert "Still to rate: 2 colleagues and your self-assessment." in content(h)["text"]
    assert content(h)["buttons"] == [[{"text": "Continue rating", "callback_data": "rv:list"}]]
    (o,) = await reminders(sessions, roster.ids["O"])  # only a self-assessment
    assert "Belum dinilai: penilaian diri Anda." in content(o)["text"]

    await run(sessions, settings, wib(DEADLINE, 8, 30))
    last = (await reminders(sessions, roster.ids["A1"]))[-1]
    assert "Hari ini, 25 Januari 2030, adalah hari terakhir." in content(last)["text"]


async def test_nothing_for_someone_who_has_finished(sessions: SessionFactory, settings: Settings):
    roster = await seeded(sessions, settings)
    await run(sessions, settings, wib(date(2030, 1, 10), 8, 30))
    assert len(await reminders(sessions, roster.ids["A1"])) == 1
    await submit_all(sessions, roster.ids["A1"])
    for offset in range(4, 19):
        await run(sessions, settings, wib(OPENED + timedelta(days=offset), 8, 30))
    assert len(await reminders(sessions, roster.ids["A1"])) == 1
    assert len(await reminders(sessions, roster.ids["O"])) == 7  # the others go on


async def test_a_waiting_reminder_is_cancelled_when_the_rater_finishes(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    # Saturday: queued for Monday 08:00 (day 6 falls on Sunday).
    await run(sessions, settings, wib(date(2030, 1, 12), 8, 30))
    (waiting,) = await reminders(sessions, roster.ids["A1"])
    assert waiting.status == QUEUED and waiting.not_before == wib(date(2030, 1, 14), 8)
    await submit_all(sessions, roster.ids["A1"])  # finished on Sunday
    summary = await run(sessions, settings, wib(date(2030, 1, 13), 8, 30))
    assert "1 cancelled as finished" in summary
    (cancelled,) = await reminders(sessions, roster.ids["A1"])
    assert cancelled.status == CANCELLED
    (still,) = await reminders(sessions, roster.ids["O"])
    assert still.status == QUEUED


async def test_one_reminder_a_day_across_two_cycles(sessions: SessionFactory, settings: Settings):
    roster = await seeded(sessions, settings)
    await open_cycle(
        sessions, settings, "Siklus 2", opened=date(2030, 1, 8), deadline=date(2030, 2, 15)
    )
    # Monday 14 January: "Siklus 1" (its day 6, a Sunday) and "Siklus 2" (day 6) are both due.
    await run(sessions, settings, wib(date(2030, 1, 14), 8, 30))
    (a1,) = await reminders(sessions, roster.ids["A1"])
    text = content(a1)["text"]
    assert text.startswith("Pengingat: penilaian 360° Anda masih menunggu.")
    assert "• “Siklus 1”:" in text and "batas waktu 25 Januari 2030" in text
    assert "• “Siklus 2”:" in text and "batas waktu 15 Februari 2030" in text
    assert text.index("Siklus 1") < text.index("Siklus 2")  # nearest deadline first
    # Friday 11 January only "Siklus 2" is due (its day 3): still one message.
    await run(sessions, settings, wib(date(2030, 1, 11), 8, 30))
    assert [day_of(m) for m in await reminders(sessions, roster.ids["A1"])] == [
        "2030-01-14",
        "2030-01-11",
    ]


async def test_opening_day_only_for_raters_who_missed_the_opening_message(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    # A2 links the account after the cycle opened (no opening message for them).
    async with sessions.begin() as session:
        session.add(TelegramAccount(telegram_user_id=201, employee_id=roster.ids["A2"]))
    await run(sessions, settings, wib(OPENED, 10))
    (a2,) = await reminders(sessions)
    assert (a2.employee_id, day_of(a2), a2.chat_id) == (roster.ids["A2"], "2030-01-07", 201)


# -- quiet hours and --force -----------------------------------------------------------------


async def test_quiet_hours_hold_the_reminder_until_the_window_opens(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    early = wib(date(2030, 1, 10), 7, 0)  # Thursday, day 3, before 08:00
    await run(sessions, settings, early)
    (message,) = await reminders(sessions, roster.ids["A1"])
    assert message.not_before == wib(date(2030, 1, 10), 8, 0)
    assert day_of(message) == "2030-01-10"


async def test_after_hours_on_friday_it_waits_for_monday(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    # Friday 18 January 17:00: the window opens on Monday 21 January, which speaks for
    # Saturday (day 12, a reminder day), Sunday and Monday.
    await run(sessions, settings, wib(date(2030, 1, 18), 17, 0))
    (message,) = await reminders(sessions, roster.ids["A1"])
    assert (day_of(message), message.not_before) == ("2030-01-21", wib(date(2030, 1, 21), 8))
    # Saturday's and Monday's runs add nothing for that Monday.
    await run(sessions, settings, wib(date(2030, 1, 19), 8, 30))
    await run(sessions, settings, wib(date(2030, 1, 21), 8, 30))
    assert len(await reminders(sessions, roster.ids["A1"])) == 1


async def test_force_ignores_quiet_hours_but_not_the_cadence(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    saturday = wib(date(2030, 1, 19), 10, 0)  # day 12: a reminder day, on a weekend
    await run(sessions, settings, saturday, force=True)
    (forced,) = await reminders(sessions, roster.ids["A1"])
    assert (day_of(forced), forced.not_before) == ("2030-01-19", saturday)
    # Forcing on a day that is no reminder day queues nothing.
    summary = await run(sessions, settings, wib(date(2030, 1, 17), 20, 0), force=True)
    assert summary.startswith("0 reminders queued")


# -- who is skipped, and idempotency -----------------------------------------------------------


async def test_unlinked_and_unreachable_raters_are_skipped(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, settings)
    async with sessions.begin() as session:
        await session.execute(
            update(TelegramAccount)
            .where(TelegramAccount.telegram_user_id == TG["O"])
            .values(reachable=False)
        )
        session.add(UnreachableChat(chat_id=TG["H"]))  # blocked, account not yet marked
    summary = await run(sessions, settings, wib(date(2030, 1, 10), 8, 30))
    sent_to = {m.employee_id for m in await reminders(sessions)}
    assert sent_to == {roster.ids["A1"]}
    # A, B, A2 and A3 have no linked account.
    assert "4 due but not linked" in summary and "1 blocked the bot" in summary


async def test_running_twice_queues_nothing_new(sessions: SessionFactory, settings: Settings):
    await seeded(sessions, settings)
    now = wib(date(2030, 1, 10), 8, 30)
    first = await run(sessions, settings, now)
    assert first.startswith("3 reminders queued for 2030-01-10")
    before = [(m.id, m.content, m.status) for m in await reminders(sessions)]
    second = await run(sessions, settings, now + timedelta(minutes=5))
    assert second.startswith("0 reminders queued")
    assert [(m.id, m.content, m.status) for m in await reminders(sessions)] == before


async def test_nothing_after_the_deadline_or_for_a_closed_cycle(
    sessions: SessionFactory, settings: Settings
):
    await seeded(sessions, settings)
    await run(sessions, settings, wib(DEADLINE + timedelta(days=3), 8, 30))  # Monday after
    assert await reminders(sessions) == []
    async with sessions.begin() as session:
        await cycles.close_cycle(session, "Siklus 1", "test", wib(date(2030, 1, 9), 12), settings)
    await run(sessions, settings, wib(date(2030, 1, 10), 8, 30))
    assert await reminders(sessions) == []
