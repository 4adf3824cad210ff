"""``expectation_reminders`` with a clock the tests control: klarifikasi ekspektasi asked for.

The roster of tests/support/review_roster.py: H (English) supervises A and B; A supervises
A1, A2, A3 (and X, inactive). H and A1 are linked; A links here (Indonesian). The clock
walks from Tuesday 1 January 2030 (the year's first working day) day by day; the job runs
at 09:15 WIB, as scheduled.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, select, update

from bot.core.settings import Settings
from scheduler import expectations
from scheduler.jobs import expectation_reminders
from scheduler.jobs.specs import JobContext
from storage.db import SessionFactory, create_engine
from storage.migrate import upgrade
from storage.models import Employee, TelegramAccount, UTCDateTime
from storage.outbox_models import OutboxMessage
from storage.performance_models import ExpectationPrompt, PerformanceExpectation
from tests.support.review_roster import TG, WIB, Roster, seed_roster, wib

A_CHAT = 104
B_CHAT = 105
NEW_YEAR = date(2030, 1, 1)  # a Tuesday


async def seeded(sessions: SessionFactory, *, link_a: bool = True) -> Roster:
    roster = await seed_roster(sessions)
    if link_a:
        await link(sessions, roster.ids["A"], A_CHAT)
    return roster


async def link(sessions: SessionFactory, employee_id: int, chat: int) -> None:
    async with sessions.begin() as session:
        session.add(TelegramAccount(telegram_user_id=chat, employee_id=employee_id))


async def run(sessions: SessionFactory, settings: Settings, day: date) -> str:
    return await expectation_reminders.run(JobContext(settings, sessions, wib(day, 9, 15)))


async def walk(sessions: SessionFactory, settings: Settings, first: date, days: int) -> None:
    for offset in range(days):
        await run(sessions, settings, first + timedelta(days=offset))


async def sent(sessions: SessionFactory, kind: str = expectation_reminders.KIND) -> list[dict]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
        return [
            {
                "to": m.employee_id,
                "chat": m.chat_id,
                "day": m.dedupe_key.rsplit(":", 1)[1],
                "key": m.dedupe_key,
                "text": json.loads(m.content)["text"],
                "buttons": json.loads(m.content).get("buttons"),
                "created": m.created_at.astimezone(WIB).date().isoformat(),
            }
            for m in rows.all()
        ]


async def state(
    sessions: SessionFactory, settings: Settings, roster: Roster, boss: str, who: str, day: date
) -> PerformanceExpectation:
    async with sessions.begin() as session:
        await expectations.state(
            session,
            settings,
            employee_id=roster.ids[who],
            supervisor_id=roster.ids[boss],
            supervisor_name=f"Pegawai {boss}",
            year=day.year,
            skp_line=None,
            value_code="B1",
            text="Melayani pemohon dengan ramah.",
            now=wib(day, 10),
        )
        return await session.scalar(
            select(PerformanceExpectation).order_by(PerformanceExpectation.id.desc()).limit(1)
        )


async def test_the_years_first_working_day_asks_and_one_reminder_follows_a_week_later(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions)
    await run(sessions, settings, NEW_YEAR)
    first = await sent(sessions)
    assert [(m["to"], m["day"]) for m in first] == [
        (roster.ids["H"], "2030-01-01"),
        (roster.ids["A"], "2030-01-01"),
    ]
    h, a = first
    assert "You have not stated a special expectation for 2030 yet for (2): " in h["text"]
    assert "Pegawai A, Pegawai B" in h["text"] and "/ekspektasi" in h["text"]
    assert "Belum ada ekspektasi khusus dari Anda untuk 2030 bagi (3): " in a["text"]
    assert "Pegawai A1, Pegawai A2, Pegawai A3" in a["text"]
    assert "Pegawai X" not in a["text"]  # inactive

    # A states an expectation for A1 on 3 January; the reminder a week on names the others.
    await state(sessions, settings, roster, "A", "A1", date(2030, 1, 3))
    await walk(sessions, settings, NEW_YEAR, 40)
    messages = await sent(sessions)
    assert [(m["to"], m["day"]) for m in messages] == [
        (roster.ids["H"], "2030-01-01"),
        (roster.ids["A"], "2030-01-01"),
        (roster.ids["H"], "2030-01-08"),
        (roster.ids["A"], "2030-01-08"),
    ]
    reminder = messages[3]["text"]
    assert "Pengingat, masih tanpa ekspektasi khusus untuk 2030 (2): Pegawai A2, Pegawai A3" in (
        reminder
    )
    assert "Pegawai A1" not in reminder
    async with sessions() as session:
        prompts = list(await session.scalars(select(ExpectationPrompt)))
    assert len(prompts) == 5  # H: A, B; A: A1, A2, A3
    assert sum(p.reminded_at is not None for p in prompts) == 4  # not A1: stated on the 3rd


async def test_weekends_wait_and_a_second_run_sends_nothing_new(
    sessions: SessionFactory, settings: Settings
):
    await seeded(sessions)
    saturday = date(2030, 1, 5)
    assert (await run(sessions, settings, saturday)).startswith("not a working day")
    assert await sent(sessions) == []
    await run(sessions, settings, date(2030, 1, 7))
    result = await run(sessions, settings, date(2030, 1, 7))
    assert result == (
        "2030: 0 supervisor prompt(s) naming 0 subordinate(s); "
        "0 expectation(s) sent late or reminded to employees"
    )
    assert len(await sent(sessions)) == 2


async def test_a_new_subordinate_is_asked_about_and_an_unlinked_supervisor_waits(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions, link_a=False)
    await walk(sessions, settings, NEW_YEAR, 20)
    assert {m["to"] for m in await sent(sessions)} == {roster.ids["H"]}  # A is not linked
    async with sessions() as session:
        assert (
            await session.scalar(
                select(ExpectationPrompt).where(ExpectationPrompt.supervisor_id == roster.ids["A"])
            )
            is None
        )

    # In March A links, and A3 moves to B (linked too): each hears on the next working day.
    await link(sessions, roster.ids["A"], A_CHAT)
    await link(sessions, roster.ids["B"], B_CHAT)
    async with sessions.begin() as session:
        await session.execute(
            update(Employee)
            .where(Employee.id == roster.ids["A3"])
            .values(supervisor_id=roster.ids["B"])
        )
    await walk(sessions, settings, date(2030, 3, 2), 3)  # Saturday to Monday
    march = [m for m in await sent(sessions) if m["day"] >= "2030-03-01"]
    assert [(m["to"], m["day"]) for m in march] == [
        (roster.ids["A"], "2030-03-04"),
        (roster.ids["B"], "2030-03-04"),
    ]
    assert "(2): Pegawai A1, Pegawai A2" in march[0]["text"]
    assert "(1): Pegawai A3" in march[1]["text"]


async def test_december_asks_nothing_new_and_january_asks_for_the_new_year(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions)
    await walk(sessions, settings, date(2030, 12, 2), 20)
    assert await sent(sessions) == []
    await run(sessions, settings, date(2031, 1, 1))  # a Wednesday
    assert [(m["to"], m["day"]) for m in await sent(sessions)] == [
        (roster.ids["H"], "2031-01-01"),
        (roster.ids["A"], "2031-01-01"),
    ]


async def test_an_unanswered_expectation_comes_again_once(
    sessions: SessionFactory, settings: Settings
):
    roster = await seeded(sessions)
    to_a1 = await state(sessions, settings, roster, "A", "A1", date(2030, 2, 4))
    to_a2 = await state(sessions, settings, roster, "A", "A2", date(2030, 2, 4))  # not linked
    answered = await state(sessions, settings, roster, "H", "B", date(2030, 2, 4))
    await link(sessions, roster.ids["B"], B_CHAT)
    async with sessions.begin() as session:
        await session.execute(
            update(PerformanceExpectation)
            .where(PerformanceExpectation.id == answered.id)
            .values(understood_at=wib(date(2030, 2, 5), 9))
        )
    await walk(sessions, settings, date(2030, 2, 5), 10)
    again = await sent(sessions, expectations.KIND)
    reminders = [m for m in again if m["key"].startswith("expect-again:")]
    assert [(m["to"], m["key"]) for m in reminders] == [
        (roster.ids["A1"], f"expect-again:{to_a1.token}")
    ]
    (reminder,) = reminders
    assert reminder["chat"] == TG["A1"]
    assert (
        "Pegawai A menunggu jawaban Anda atas ekspektasi khususnya untuk 2030" in (reminder["text"])
    )
    assert "Melayani pemohon dengan ramah." in reminder["text"]
    assert [b[0]["callback_data"] for b in reminder["buttons"]] == [
        f"ex:{to_a1.token}:ok",
        f"ex:{to_a1.token}:q",
    ]

    # A2 links later: the expectation she never received goes out on the next run, and its
    # one reminder a week after that.
    await link(sessions, roster.ids["A2"], 106)
    await walk(sessions, settings, date(2030, 2, 18), 14)
    late = [m for m in await sent(sessions, expectations.KIND) if m["to"] == roster.ids["A2"]]
    assert [(m["key"], m["created"]) for m in late] == [
        (f"expect:{to_a2.token}", "2030-02-18"),
        (f"expect-again:{to_a2.token}", "2030-02-25"),
    ]
    assert late[0]["text"].startswith("🎯 Ekspektasi khusus Pegawai A untuk 2030 — B1")
    async with sessions() as session:
        stored = await session.get(PerformanceExpectation, to_a2.id)
    assert stored.sent_at is not None and stored.reminded_at is not None

    # Housekeeping prunes old outbox rows: nothing is sent again, the times are on the row.
    async with sessions.begin() as session:
        await session.execute(delete(OutboxMessage))
    await walk(sessions, settings, date(2030, 3, 4), 30)
    assert await sent(sessions, expectations.KIND) == []


async def test_the_migration_takes_delivery_times_from_the_outbox(database_url: str):
    """0025: an expectation already sent (and reminded) keeps those times; one whose row was
    pruned counts as sent when its employee was linked then; one never sent stays unsent."""
    stated = datetime(2026, 11, 2, 3, tzinfo=UTC)
    await upgrade(database_url, "0024")
    t = UTCDateTime()
    unit = sa.table(
        "units",
        sa.column("id"),
        sa.column("code"),
        sa.column("name"),
        sa.column("created_at", t),
        sa.column("updated_at", t),
    )
    employee = sa.table(
        "employees",
        sa.column("id"),
        sa.column("nip"),
        sa.column("name"),
        sa.column("position"),
        sa.column("unit_id"),
        sa.column("active"),
        sa.column("created_at", t),
        sa.column("updated_at", t),
    )
    account = sa.table(
        "telegram_accounts",
        sa.column("telegram_user_id"),
        sa.column("employee_id"),
        sa.column("reachable"),
        sa.column("linked_at", t),
    )
    wish = sa.table(
        "performance_expectations",
        sa.column("id"),
        sa.column("token"),
        sa.column("employee_id"),
        sa.column("supervisor_id"),
        sa.column("year"),
        sa.column("text"),
        sa.column("created_at", t),
    )
    outbox = sa.table(
        "outbox",
        sa.column("chat_id"),
        sa.column("kind"),
        sa.column("priority"),
        sa.column("content"),
        sa.column("dedupe_key"),
        sa.column("not_before", t),
        sa.column("status"),
        sa.column("attempts"),
        sa.column("created_at", t),
    )
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                unit.insert().values(id=1, code="U", name="U", created_at=stated, updated_at=stated)
            )
            for id_, linked in ((1, True), (2, True), (3, False), (4, False)):
                await connection.execute(
                    employee.insert().values(
                        id=id_,
                        nip=f"{id_:018d}",
                        name=f"E{id_}",
                        position="",
                        unit_id=1,
                        active=True,
                        created_at=stated,
                        updated_at=stated,
                    )
                )
                if linked:
                    await connection.execute(
                        account.insert().values(
                            telegram_user_id=100 + id_,
                            employee_id=id_,
                            reachable=True,
                            linked_at=stated - timedelta(days=1),
                        )
                    )
            for id_, token in ((1, "sentandasked"), (2, "prunedlinked"), (3, "neversentyet")):
                await connection.execute(
                    wish.insert().values(
                        id=id_,
                        token=token,
                        employee_id=id_,
                        supervisor_id=4,
                        year=2026,
                        text="x",
                        created_at=stated,
                    )
                )
            for key, at in (("expect:sentandasked", 1), ("expect-again:sentandasked", 8)):
                await connection.execute(
                    outbox.insert().values(
                        chat_id=101,
                        kind="expectation",
                        priority=3,
                        content="{}",
                        dedupe_key=key,
                        status="sent",
                        attempts=1,
                        not_before=stated,
                        created_at=stated + timedelta(days=at),
                    )
                )
        await upgrade(database_url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(
                        sa.column("token"), sa.column("sent_at", t), sa.column("reminded_at", t)
                    )
                    .select_from(sa.table("performance_expectations"))
                    .order_by(sa.column("id"))
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("sentandasked", stated + timedelta(days=1), stated + timedelta(days=8)),
        ("prunedlinked", stated, None),
        ("neversentyet", None, None),
    ]
