"""Development plans end to end: the real bot over HTTP, the cycle closed as the CLI does.

The world is tests/support/result_world.py: R is rated by self (3), the
supervisor S (3, hasil kerja) and three peers (1, 2, 3), so "others" read 2.25
on every core value and self 3.00: the suggestion is B1 (the lowest, first in
order) and B2 (the largest blind spot, 0.75 ≥ 0.67, first in order after B1).
The bot's clock is a ManualClock, moved for the supervisor's 7 days and the
monthly check-ins; the outbox is delivered by the bot's own sender.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.app import BotApplication
from bot.cli.main import cli, register_commands
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler import development_lists
from scheduler.cycles import close_cycle
from scheduler.services import services_of
from storage.db import SessionFactory
from storage.development_models import DevelopmentCheckin, DevelopmentFocus, DevelopmentPlan
from storage.models import AuditLog, Employee, Service, TelegramAccount, Unit
from storage.outbox_models import OutboxMessage
from storage.review_models import OPEN, PEER, SELF, SUPERVISOR
from storage.review_results import cycle_results
from tests.support.alert_world import UNIT_ADMIN_TG, add_unit_admin, submit
from tests.support.app import ADMIN_ID, make_settings, start_bot, stop_bot
from tests.support.fakebot import FakeBotApi
from tests.support.records import Sent
from tests.support.result_world import NOW, TG, Review, Seeded, base_reviews, nip, seed

NEVER = "0 0 1 1 *"
JOBS = (
    "low_score_alerts",
    "case_followup",
    "praise_notes",
    "weekly_digest",
    "review_reminders",
    "supervisor_nudges",
    "rollup",
    "housekeeping",
    "expectation_reminders",
)


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    never = {f"schedule_{job}": NEVER for job in JOBS}
    return make_settings(tmp_path, migrated, telegram_base_url=fake_api.base_url, **never)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def bot(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    yield application
    await stop_bot(application)


async def received(
    bot: BotApplication, api: FakeBotApi, clock: ManualClock, chat_id: int, containing: str
) -> Sent:
    """The newest message to ``chat_id`` with ``containing``, waiting for the outbox (the
    clock moved a second at a time, as the sender spaces messages to one chat)."""

    def arrived(calls: list) -> bool:
        return any(c.chat_id == chat_id and containing in c.text for c in calls)

    for _ in range(40):
        if arrived(api.calls):
            break
        clock.advance(seconds=1)
        services_of(bot).wake()
        try:
            await api.wait_for_calls(arrived, timeout=0.25)
        except TimeoutError:
            continue
    await api.wait_for_calls(arrived)
    return [m for m in api.chat_messages(chat_id) if containing in m.text][-1]


async def closed_world(sessions: SessionFactory, settings: Settings, clock: ManualClock) -> Seeded:
    """R's cycle, seeded open and closed with the use case ``ulasan cycle close`` runs."""
    seeded = await seed(sessions, base_reviews(peers=3), status=OPEN)
    async with sessions.begin() as session:
        await close_cycle(session, "Semester I 2030", "cli:test", clock.now(), settings)
    return seeded


async def plan_of(sessions: SessionFactory, employee_id: int) -> DevelopmentPlan:
    async with sessions() as session:
        plan = await session.scalar(
            select(DevelopmentPlan).where(DevelopmentPlan.employee_id == employee_id)
        )
    assert plan is not None
    return plan


async def focus_of(
    sessions: SessionFactory, plan_id: int
) -> list[tuple[str, str | None, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(DevelopmentFocus)
            .where(DevelopmentFocus.plan_id == plan_id)
            .order_by(DevelopmentFocus.position)
        )
        return [(r.value_code, r.activity, r.action) for r in rows]


async def write_plan(ratee, bot, fake_api, clock) -> Sent:
    """R opens the invitation and writes the plan as suggested, up to the summary."""
    invite = await received(bot, fake_api, clock, TG["R"], "Pilih fokus pengembangan")
    await ratee.press("Pilih fokus pengembangan", invite)
    await ratee.press("Lanjut ➜")
    await ratee.press("Coaching")
    await ratee.send("Minta atasan membimbing saya menangani keluhan setiap Jumat")
    await ratee.press("E-learning")
    await ratee.send("Ikut e-learning akuntabilitas di ASN Unggul bulan ini")
    await ratee.press("3 bulan lagi")
    return ratee.last


async def test_a_ratee_chooses_a_focus_and_writes_a_plan(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    seeded = await closed_world(sessions, settings, clock)
    invite = await received(bot, fake_api, clock, TG["R"], "Pilih fokus pengembangan")
    assert "Saran dari hasil Anda: Berorientasi Pelayanan, Akuntabel." in invite.text
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")

    await ratee.press("Pilih fokus pengembangan", invite)
    focus = ratee.last
    ticked = [t for t in focus.button_texts() if t.startswith("✓")]
    assert ticked == ["✓ Berorientasi Pelayanan", "✓ Akuntabel"]
    # A third value is refused; removing one and choosing another works.
    reply = await ratee.press("Kompeten")
    assert reply.alerts and "paling banyak 2" in reply.alerts[0]
    await ratee.press("✓ Berorientasi Pelayanan")
    await ratee.press("Kompeten")
    await ratee.press("Lanjut ➜")
    assert "Nilai 1 dari 2: Akuntabel" in ratee.last.text
    await ratee.press("Coaching")
    assert "Ketik satu tindakan konkret" in ratee.last.text

    # Bad input at ACTION: a sticker, too short, too long; nothing is stored.
    await ratee.send_sticker()
    assert "ketik jawabannya sebagai teks" in ratee.last.text
    await ratee.send("ok")
    assert "sedikitnya 10 karakter" in ratee.last.text
    await ratee.send("x" * 501)
    assert "Terlalu panjang" in ratee.last.text
    plan = await plan_of(sessions, seeded.ids["R"])
    assert await focus_of(sessions, plan.id) == [("B2", "coaching", None), ("B3", None, None)]

    await ratee.send("Minta atasan memeriksa laporan kas saya setiap Jumat")
    assert "Nilai 2 dari 2: Kompeten" in ratee.last.text
    # Text where a button is expected.
    await ratee.send("mentoring saja")
    assert "gunakan tombol" in ratee.last.text
    await ratee.press("Mentoring")
    await ratee.send("Belajar SOP baru dari Pak Budi dua kali sebulan")
    target = ratee.last
    assert "Paling lambat 1 Agustus 2030" in target.text  # no open cycle: 6 months

    # A date too late, not a date, in the past; then a good one.
    await ratee.send("2030-08-02")
    assert "terlalu lambat" in ratee.last.text
    await ratee.send("besok")
    assert "bukan tanggal" in ratee.last.text
    await ratee.send("2030-01-15")
    assert "harus setelah hari ini" in ratee.last.text
    await ratee.send("30-06-2030")
    summary = ratee.last
    assert "1. Akuntabel: Coaching" in summary.text
    assert "Tindakan: Belajar SOP baru dari Pak Budi dua kali sebulan" in summary.text
    assert "Tanggal target: 30 Juni 2030" in summary.text

    # A stale press from an earlier screen changes nothing.
    reply = await ratee.press("Mentoring", next(m for m in ratee.messages if "Nilai 2" in m.text))
    assert reply.alerts and "tidak berlaku lagi" in reply.alerts[0]
    await ratee.press("Kirim ke atasan", summary)
    plan = await plan_of(sessions, seeded.ids["R"])
    assert (plan.status, plan.revision, plan.target_date) == ("submitted", 1, date(2030, 6, 30))
    assert "menunggu persetujuan atasan" in ratee.last.text

    # /rencana shows it again, as submitted.
    await ratee.send("/rencana")
    assert "Rencana pengembangan setelah “Semester I 2030” — Pegawai R" in ratee.last.text


async def test_someone_elses_plan_and_forged_data_are_refused(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    seeded = await closed_world(sessions, settings, clock)
    plan = await plan_of(sessions, seeded.ids["R"])
    peer = fake_api.user(TG["P1"], "Putri", language_code="id")
    for data in (
        f"dp:o:{plan.token}",
        f"dp:f:{plan.token}:B3",
        f"dp:n:{plan.token}",
        "dp:o:" + "A" * 12,
        f"dp:a:{plan.token}:B1:sneaky",
        "dp:zz",
    ):
        reply = await peer.press_data(data)
        assert reply.alerts and "tidak berlaku lagi" in reply.alerts[0], data
        assert not [c for c in reply.calls if c.method in ("sendMessage", "editMessageText")]
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    # An activity for a value that is not the current one, at the wrong step.
    reply = await ratee.press_data(f"dp:a:{plan.token}:B1:coaching")
    assert reply.alerts and "tidak berlaku lagi" in reply.alerts[0]
    after = await plan_of(sessions, seeded.ids["R"])
    assert (after.step, after.updated_at) == (plan.step, plan.updated_at)
    assert await focus_of(sessions, plan.id) == [("B1", None, None), ("B2", None, None)]


async def run_job(bot: BotApplication, name: str) -> str:
    """Run one job now, at the bot's clock, through the bot's runner (it wakes the sender)."""
    runner = services_of(bot).runner
    assert runner.start(name)
    (outcome,) = await runner.wait()
    assert outcome.status == "ok", outcome.result
    return str(outcome.result)


async def outbox_texts(sessions: SessionFactory) -> list[tuple[int, str]]:
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    return [(row.chat_id, json.loads(row.content)["text"]) for row in rows]


async def test_the_supervisor_sends_back_approves_and_monthly_check_ins_follow(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    seeded = await closed_world(sessions, settings, clock)
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    boss = fake_api.user(TG["S"], "Sari", language_code="en")
    peer = fake_api.user(TG["P1"], "Putri", language_code="id")
    summary = await write_plan(ratee, bot, fake_api, clock)
    await ratee.press("Kirim ke atasan", summary)
    request = await received(bot, fake_api, clock, TG["S"], "asks you to approve")
    assert "Pegawai R asks you to approve their development plan." in request.text
    assert "Please answer by 8 February 2030." in request.text  # 1 February + 7 days
    assert request.button_texts() == ["Approve", "Ask for a change", "Comment"]
    plan = await plan_of(sessions, seeded.ids["R"])

    # Nobody else can approve or read it; a forged revision approves nothing.
    for data in (f"dv:a:{plan.token}:1", f"dv:v:{plan.token}", f"dv:y:{'A' * 16}"):
        reply = await peer.press_data(data)
        assert reply.alerts, data
    reply = await boss.press_data(f"dv:a:{plan.token}:7", request)
    assert reply.alerts and "no longer waiting" in reply.alerts[0]

    # Three days on (Monday 4 February), the nudge names the plan, not its text.
    clock.advance(days=3)
    await run_job(bot, "supervisor_nudges")
    nudge = await received(bot, fake_api, clock, TG["S"], "waiting for your approval")
    assert "Development plans waiting for your approval (1): Pegawai R" in nudge.text
    assert "Belajar SOP" not in nudge.text

    # Ask for a change: a typed note goes to the ratee, the plan is a draft again.
    await boss.press("Ask for a change", request)
    await boss.send("Tambahkan siapa pembimbingnya")
    assert "Sent to the plan's owner." in boss.last.text
    back = await received(bot, fake_api, clock, TG["R"], "meminta Anda mengubah")
    assert "Tambahkan siapa pembimbingnya" in back.text
    await ratee.press("Pilih fokus pengembangan", back)
    await ratee.press("Kirim ke atasan")
    second = await received(bot, fake_api, clock, TG["S"], "Please answer by 11 February 2030")
    # The first request's buttons belong to revision 1: refused.
    reply = await boss.press("Approve", request)
    assert reply.alerts and "no longer waiting" in reply.alerts[0]
    await boss.press("Approve", second)
    confirm_screen = boss.last
    assert "Approve this development plan as shown?" in confirm_screen.text
    # Someone else pressing the nonce, then the supervisor: approved once.
    nonce = confirm_screen.buttons()[0]["callback_data"]
    reply = await peer.press_data(nonce)
    assert reply.alerts
    await boss.press("Yes, approve", confirm_screen)
    reply = await boss.press_data(nonce, confirm_screen)
    assert reply.alerts and "no longer valid" in reply.alerts[0]
    plan = await plan_of(sessions, seeded.ids["R"])
    assert (plan.status, plan.revision) == ("approved", 2)
    await received(bot, fake_api, clock, TG["R"], "Atasan Anda menyetujui")

    # The plan's text reached only the ratee and the supervisor.
    for chat, text in await outbox_texts(sessions):
        if "Belajar SOP baru" in text or "Minta atasan membimbing" in text:
            assert chat in (TG["R"], TG["S"]), chat

    # No check-in in the approval's month; on 1 March one, once; tapped with a note.
    assert (await run_job(bot, "development_checkins")).startswith("0 development check-ins")
    clock.set(datetime(2030, 3, 1, 3, 0, tzinfo=UTC))
    assert (await run_job(bot, "development_checkins")).startswith("1 development check-ins")
    assert (await run_job(bot, "development_checkins")).startswith("0 development check-ins")
    checkin = await received(bot, fake_api, clock, TG["R"], "Cek bulanan")
    assert checkin.button_texts() == ["Belum", "Berjalan", "Selesai"]
    await ratee.press("Berjalan", checkin)
    await ratee.send("Sudah dua kali dibimbing")
    assert "Catatan tersimpan" in ratee.last.text
    async with sessions() as session:
        row = await session.scalar(select(DevelopmentCheckin))
    assert (row.month, row.status, row.note) == (
        date(2030, 3, 1),
        "berjalan",
        "Sudah dua kali dibimbing",
    )
    # The supervisor reads it in the plan; a forged month changes nothing.
    reply = await ratee.press_data(f"dc:{plan.token}:203001:selesai")
    assert reply.alerts
    await boss.press_data(f"dv:v:{plan.token}")
    assert "203003: Under way — Sudah dua kali dibimbing" in boss.last.text


async def approve_plan(
    ratee: Any, boss: Any, bot: BotApplication, fake_api: FakeBotApi, clock: ManualClock
) -> None:
    """R writes the plan as suggested and sends it; S approves it through the confirmation."""
    summary = await write_plan(ratee, bot, fake_api, clock)
    await ratee.press("Kirim ke atasan", summary)
    request = await received(bot, fake_api, clock, TG["S"], "asks you to approve")
    await boss.press("Approve", request)
    await boss.press("Yes, approve", boss.last)


async def test_the_next_cycles_report_shows_each_focus_value_beside_its_plan(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    seeded = await closed_world(sessions, settings, clock)
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    boss = fake_api.user(TG["S"], "Sari", language_code="en")
    await approve_plan(ratee, boss, bot, fake_api, clock)
    assert (await plan_of(sessions, seeded.ids["R"])).status == "approved"

    # Six months on, the next cycle: the peers now give 3 on B1 (Berorientasi Pelayanan),
    # still 2 on the rest; so B1 "others" moves 2.25 → 3.00 and B2 (Akuntabel) stays.
    clock.set(datetime(2030, 8, 1, 3, 0, tzinfo=UTC))
    peers = [Review(f"P{i}", "R", PEER, [3, 2, 2, 2, 2, 2, 2]) for i in (1, 2, 3)]
    reviews = [Review("R", "R", SELF, 3), Review("S", "R", SUPERVISOR, 3, hasil=3), *peers]
    await seed(sessions, reviews, status=OPEN, name="Semester II 2030")
    async with sessions.begin() as session:
        await close_cycle(session, "Semester II 2030", "cli:test", clock.now(), settings)
    report = await received(bot, fake_api, clock, TG["R"], "Rencana pengembangan Anda setelah")
    text = report.text
    assert "Rencana pengembangan Anda setelah “Semester I 2030”:" in text
    assert "• Berorientasi Pelayanan: 2,25 → 3,00 (+0,75)" in text
    assert "Rencana: Coaching — Minta atasan membimbing saya menangani keluhan" in text
    assert "• Akuntabel: 2,25 → 2,25 (±0,00)" in text
    assert "Rencana: E-learning — Ikut e-learning akuntabilitas" in text
    assert "Status: disetujui" in text

    # /hasil shows the same lines; nobody but R and S ever received the plan's text.
    await ratee.send("/hasil")
    assert any("2,25 → 3,00 (+0,75)" in m.text for m in ratee.messages[-3:])
    for chat, sent in await outbox_texts(sessions):
        if "Minta atasan membimbing" in sent:
            assert chat in (TG["R"], TG["S"]), chat


def cli_runner(settings: Settings, clock: ManualClock) -> Callable[..., Result]:
    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "SECRET_KEY": "test-secret-key-0123456789",
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, obj=clock, catch_exceptions=False)

    return run


async def test_only_the_ratee_the_supervisor_and_a_named_coach_read_a_plan(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    seeded = await closed_world(sessions, settings, clock)
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    boss = fake_api.user(TG["S"], "Sari", language_code="en")
    peer = fake_api.user(TG["P1"], "Putri", language_code="id")
    stranger = fake_api.user(299, "Orang", language_code="id")  # no linked account
    await approve_plan(ratee, boss, bot, fake_api, clock)
    plan = await plan_of(sessions, seeded.ids["R"])
    view = f"dv:v:{plan.token}"

    async def refused(user: Any) -> None:
        reply = await user.press_data(view)
        assert reply.alerts, user
        assert not [c for c in reply.calls if c.method in ("sendMessage", "editMessageText")]

    await refused(peer)
    await refused(stranger)
    await boss.press_data(view)
    assert "Minta atasan membimbing" in boss.last.text

    run = cli_runner(settings, clock)
    cycle = ("development", "coach", "--cycle", "Semester I 2030", "--employee", nip("R"))
    # Bad input: neither or both, the ratee or the supervisor as coach, unknown people.
    for args, error in (
        ((), "either --coach NIP or --clear"),
        (("--coach", nip("R")), "someone other than the ratee and the supervisor"),
        (("--coach", nip("S")), "someone other than the ratee and the supervisor"),
        (("--coach", "000"), "no active employee with NIP 000"),
    ):
        result = await asyncio.to_thread(run, *cycle, *args)
        assert result.exit_code == 1 and error in result.output, result.output
    unknown = await asyncio.to_thread(
        run, "development", "coach", "--cycle", "X", "--employee", nip("R"), "--clear"
    )
    assert unknown.exit_code == 1 and "no development plan" in unknown.output

    named = await asyncio.to_thread(run, *cycle, "--coach", nip("P1"))
    assert named.exit_code == 0, named.output
    sent = await received(bot, fake_api, clock, TG["P1"], "ditunjuk sebagai coach")
    assert "Minta atasan membimbing" in sent.text
    await peer.press_data(view)
    assert "Minta atasan membimbing" in peer.last.text
    await refused(stranger)

    cleared = await asyncio.to_thread(run, *cycle, "--clear")
    assert cleared.exit_code == 0, cleared.output
    await refused(peer)
    async with sessions() as session:
        audits = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "development.coach"))
        ).all()
    assert [a.detail.rsplit("=", 1)[1] for a in audits] == [nip("P1"), "None"]
    # Nobody else ever received the plan's text.
    for chat, text in await outbox_texts(sessions):
        if "Minta atasan membimbing" in text:
            assert chat in (TG["R"], TG["S"], TG["P1"]), chat


async def test_the_supervisor_names_and_removes_a_coach_from_telegram(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    """S approves R's plan and names its coach in Telegram, as ``ulasan development coach``
    does: the unit's linked staff as buttons (P1, P2; not R, not S in DINAS) or a typed NIP,
    then a binding confirmation. Bad NIPs are answered, others' and forged presses refused,
    a double press and a confirmation made stale by another change name nobody."""
    seeded = await closed_world(sessions, settings, clock)
    async with sessions.begin() as session:
        p2 = await session.scalar(select(Employee).where(Employee.nip == nip("P2")))
        session.add(TelegramAccount(telegram_user_id=204, employee_id=p2.id, language="id"))
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    boss = fake_api.user(TG["S"], "Sari", language_code="en")
    peer = fake_api.user(TG["P1"], "Putri", language_code="id")
    await approve_plan(ratee, boss, bot, fake_api, clock)
    plan = await plan_of(sessions, seeded.ids["R"])
    assert boss.last.text.startswith("Approved.")

    async def refused(user: Any, data: str) -> None:
        reply = await user.press_data(data)
        assert reply.alerts, (user, data)
        assert not [c for c in reply.calls if c.method in ("sendMessage", "editMessageText")]

    async def coach_audits() -> list[str]:
        async with sessions() as session:
            rows = await session.scalars(
                select(AuditLog).where(AuditLog.action == "development.coach")
            )
            return [a.detail.rsplit("=", 1)[1] for a in rows]

    # Only the plan's supervisor: the ratee, a peer and forged data get a notice.
    for user, data in (
        (ratee, f"dk:o:{plan.token}"),
        (peer, f"dk:o:{plan.token}"),
        (peer, f"dk:p:{plan.token}:{seeded.ids['P1']}"),
        (boss, "dk:o:AAAAAAAAAAAA"),
        (boss, "dk:zz"),
        (boss, "dk:y:forged"),
    ):
        await refused(user, data)

    await boss.press("Name a coach")
    assert "Who coaches Pegawai R on this development plan?" in boss.last.text
    assert boss.last.button_texts() == ["Pegawai P1", "Pegawai P2"]
    # A typed NIP: unknown, the ratee, an unlinked colleague are answered and still awaited.
    for typed in ("123", nip("R"), nip("P3"), "000000000000000000"):
        await boss.send(typed)
        assert "No linked, active employee has that NIP" in boss.last.text, typed
    await boss.send(nip("P2"))
    assert boss.last.text.startswith("Name Pegawai P2 (NIP")
    assert "and receive it now" in boss.last.text
    await boss.press("Cancel")
    assert "Nothing was changed" in boss.last.text
    assert (await plan_of(sessions, seeded.ids["R"])).coach_id is None

    await boss.send("/rencana")
    await boss.press("Pegawai R")
    await boss.press("Name a coach")
    await boss.press("Pegawai P1")
    question = boss.last
    yes = question.buttons()[0]["callback_data"]
    await refused(peer, yes)  # someone else's confirmation
    await boss.press_data(yes, question)
    assert boss.last.text == "Done: the coach is named."
    sent = await received(bot, fake_api, clock, TG["P1"], "ditunjuk sebagai coach")
    assert "Minta atasan membimbing" in sent.text
    await refused(boss, yes)  # the same press again changes nothing
    assert (await plan_of(sessions, seeded.ids["R"])).coach_id == seeded.ids["P1"]
    assert await coach_audits() == [nip("P1")]

    # A confirmation shown with P1 as coach goes stale once the coach is removed meanwhile.
    await boss.send("/rencana")
    await boss.press("Pegawai R")
    await boss.press("Name a coach")
    assert "Coach now: Pegawai P1" in boss.last.text
    await boss.press("Pegawai P2")
    stale = boss.last.buttons()[0]["callback_data"]
    await boss.send("/rencana")
    await boss.press("Pegawai R")
    await boss.press("Name a coach")
    await boss.press("Remove the coach")
    assert "Remove the coach of Pegawai R's development plan?" in boss.last.text
    await boss.press("Yes")
    assert boss.last.text == "Done: the plan has no coach now."
    await refused(boss, stale)
    assert (await plan_of(sessions, seeded.ids["R"])).coach_id is None
    assert await coach_audits() == [nip("P1"), "None"]
    await refused(peer, f"dv:v:{plan.token}")  # the removed coach reads the plan no more
    for chat, text in await outbox_texts(sessions):
        if "Minta atasan membimbing" in text:
            assert chat in (TG["R"], TG["S"], TG["P1"]), chat


async def test_heads_get_recognition_and_development_lists_at_close(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    """R excels (others 3 on six values, hasil kerja di atas: Sangat Baik) but the peers
    rate Harmonis (B4) 1: R is on both lists. R heads SEKSI, so R's entry goes to S, who
    heads DINAS above it. P1 (SEKSI) has three citizen praise notes in the cycle's dates and
    goes on R's recognition list; P2's two are not enough (RECOGNITION_MIN_PRAISE 3)."""
    peers = [Review(f"P{i}", "R", PEER, [3, 3, 3, 1, 3, 3, 3]) for i in (1, 2, 3)]
    reviews = [Review("R", "R", SELF, 3), Review("S", "R", SUPERVISOR, 3, hasil=3), *peers]
    seeded = await seed(sessions, reviews, status=OPEN)
    async with sessions.begin() as session:
        units = {u.code: u for u in await session.scalars(select(Unit))}
        units["SEKSI"].head_employee_id = seeded.ids["R"]
        units["DINAS"].head_employee_id = seeded.ids["S"]
        service = Service(code="KTP", unit_id=units["SEKSI"].id, name="KTP-el")
        session.add(service)
        await session.flush()
        service_id = service.id
    keys = iter(f"{n:064d}" for n in range(10))
    for officer, times in (("P1", 3), ("P2", 2)):
        for day in range(times):
            await submit(
                sessions,
                service_id,
                comment="Terima kasih, cepat sekali",
                at=datetime(2030, 1, 10 + day, 3, 0, tzinfo=UTC),
                officer_id=seeded.ids[officer],
                user_key=next(keys),
            )
    # An admin records the distribution that applies (data, not invented by the bot).
    run = cli_runner(settings, clock)
    mix = ("development", "mix", "set", "--cycle", "Semester I 2030", "--achievement", "Baik")
    for args, error in (
        ((), "at least one --min or --max"),
        (("--max", "luar_biasa=20"), "'luar_biasa' is not a predikat"),
        (("--max", "baik=120"), "whole percent 0-100"),
        (("--min", "baik=60", "--max", "baik=50"), "minimum 60% is above the maximum 50%"),
        (("--max", "baik=50", "--unit", "SEKSI"), "SEKSI is part of the OPD DINAS"),
    ):
        result = await asyncio.to_thread(run, *mix, *args)
        assert result.exit_code == 1 and error in result.output, (args, result.output)
    result = await asyncio.to_thread(run, *mix, "--max", "sangat_baik=20", "--min", "baik=50")
    assert result.exit_code == 0, result.output
    assert "0 head(s) warned" in result.output  # the cycle is open: its close warns
    shown = await asyncio.to_thread(run, "development", "mix", "show", "--cycle", "Semester I 2030")
    assert "*          Baik: sangat_baik <=20%, baik >=50%" in shown.output
    async with sessions.begin() as session:
        await close_cycle(session, "Semester I 2030", "cli:test", clock.now(), settings)

    to_s = await received(bot, fake_api, clock, TG["S"], "Recognition and development lists")
    assert "breaks the distribution recorded for the organisation's achievement “Baik”" in (
        to_s.text
    )
    assert "• Excellent: 1 of 1 (100%), above the maximum of 20%" in to_s.text
    assert "• Good: 0 of 1 (0%), below the minimum of 50%" in to_s.text
    assert "Only a warning" in to_s.text
    # Recorded after the close (the achievement came later): the head is warned then.
    later = (*mix[:-1], "Butuh Perbaikan", "--max", "sangat_baik=0")
    result = await asyncio.to_thread(run, *later)
    assert result.exit_code == 0 and "1 head(s) warned" in result.output, result.output
    warned = await received(bot, fake_api, clock, TG["S"], "Predikat mix — “Semester I 2030”")
    assert "achievement “Butuh Perbaikan”" in warned.text
    assert "• Excellent: 1 of 1 (100%), above the maximum of 0%" in warned.text
    assert "A recommendation for the Pejabat Penilai Kinerja, not a decision" in to_s.text
    assert "• Pegawai R: rating Excellent (Sangat Baik)" in to_s.text
    assert "• Pegawai R: Harmonious 1.50" in to_s.text
    to_r = await received(bot, fake_api, clock, TG["R"], "Daftar penghargaan dan pengembangan")
    assert "• Pegawai P1: 3 pujian warga" in to_r.text
    assert "Pegawai P2" not in to_r.text and "Pegawai R" not in to_r.text
    assert "Pengembangan (nilai dasar di bawah ekspektasi):\n• tidak ada" in to_r.text
    # Once per cycle and head: closing's queue run again adds nothing.
    async with sessions.begin() as session:
        cycle_id = seeded.cycle_id
        assert (
            await development_lists.queue_lists(session, settings, cycle_id, [], clock.now()) == 0
        )


async def test_bkpsdm_records_shows_and_removes_the_predikat_mix_in_telegram(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    """/predikat does what ``ulasan development mix set|show|clear`` does, for city-wide
    admins only: R (Sangat Baik, routed to S who heads DINAS) breaks "sangat baik max 0"
    recorded after the close, so S is warned at once. Bad typed lines are answered and asked
    again; a unit admin's, a repeated and a stale confirmation change nothing."""
    reviews = [
        Review("R", "R", SELF, 3),
        Review("S", "R", SUPERVISOR, 3, hasil=3),
        *(Review(f"P{i}", "R", PEER, 3) for i in (1, 2, 3)),
    ]
    seeded = await seed(sessions, reviews, status=OPEN)
    async with sessions.begin() as session:
        units = {u.code: u for u in await session.scalars(select(Unit))}
        units["DINAS"].head_employee_id = seeded.ids["S"]
        dinas_id = units["DINAS"].id
    async with sessions.begin() as session:
        await close_cycle(session, "Semester I 2030", "cli:test", clock.now(), settings)
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM", language_code="en")
    boss = fake_api.user(TG["S"], "Sari", language_code="en")
    await add_unit_admin(sessions, UNIT_ADMIN_TG, dinas_id)
    unit_admin = fake_api.user(UNIT_ADMIN_TG, "Admin Dinas", language_code="en")
    run = cli_runner(settings, clock)
    show = ("development", "mix", "show", "--cycle", "Semester I 2030")

    async def audits() -> list[str]:
        async with sessions() as session:
            rows = await session.scalars(
                select(AuditLog).where(AuditLog.action == "development.mix")
            )
            return [a.detail for a in rows]

    async def refused(user: Any, data: str, message: Sent | None = None) -> None:
        reply = await user.press_data(data, message)
        assert reply.alerts, (user, data)
        assert not [c for c in reply.calls if c.method in ("sendMessage", "editMessageText")]

    for user in (boss, unit_admin):
        await user.send("/predikat")
        assert "only for city-wide administrators" in user.last.text
    await refused(unit_admin, f"pm:c:{seeded.cycle_id}")
    await refused(unit_admin, f"pm:s:{seeded.cycle_id}:all")
    await refused(admin, "pm:c:999")
    await refused(admin, f"pm:s:{seeded.cycle_id}:999999")  # not an OPD
    await refused(admin, "pm:y:forged")

    await admin.send("/help")
    assert "/predikat" in admin.last.text
    await admin.send("/predikat")
    await admin.press("Semester I 2030")
    assert "Nothing recorded yet." in admin.last.text
    assert admin.last.button_texts() == ["Every OPD", "DINAS"]
    await admin.press("Every OPD")
    assert "Type the organisation's achievement" in admin.last.text
    await admin.send("x" * 65)
    assert "1 to 64 characters" in admin.last.text
    await admin.send("Baik")
    assert "Now type the limits in whole percent" in admin.last.text
    for typed, reason in (
        ("luar biasa max 5", "“luar biasa” is not a predikat."),
        ("baik max 120", "120% is not a whole percent from 0 to 100."),
        ("baik 80-40", "Good: the minimum 80% is above the maximum 40%."),
        ("baik max 20, baik max 30", "Good is given twice."),
        ("sangat baik", "“sangat baik” is not a limit."),
    ):
        await admin.send(typed)
        assert admin.last.text.startswith(reason), (typed, admin.last.text)
        assert "Type the limits again" in admin.last.text
    await admin.send("sangat baik max 0; Baik min 50")
    summary = admin.last
    assert summary.text.startswith("Record this predikat mix?")
    for line in (
        "For: every OPD",
        "Achievement: Baik",
        "• Excellent: at most 0%",
        "• Good: at least 50%",
        "heads whose unit breaks it are warned at once",
    ):
        assert line in summary.text, line
    yes = summary.buttons()[0]["callback_data"]
    await refused(unit_admin, yes)
    await admin.press_data(yes, summary)
    assert admin.last.text == "Recorded. 1 unit head(s) were warned now."
    warned = await received(bot, fake_api, clock, TG["S"], "Predikat mix — “Semester I 2030”")
    assert "• Excellent: 1 of 1 (100%), above the maximum of 0%" in warned.text
    await refused(admin, yes, summary)  # pressed again: nothing more
    assert await audits() == ["cycle=Semester I 2030; scope=*; sangat_baik <=0%, baik >=50%"]
    shown = await asyncio.to_thread(run, *show)
    assert "*          Baik: sangat_baik <=0%, baik >=50%" in shown.output

    # A summary made stale: the CLI replaces the mix before the admin presses Yes.
    await admin.send("/predikat")
    await admin.press("Semester I 2030")
    assert "every OPD, achievement “Baik”:\n• Excellent: at most 0%" in admin.last.text
    await admin.press("Every OPD")
    await admin.send("Butuh Perbaikan")
    await admin.send("sangat baik 0-10")
    stale = admin.last
    assert "It replaces what is recorded now: Baik: sangat_baik <=0%, baik >=50%" in stale.text
    cli_set = ("development", "mix", "set", "--cycle", "Semester I 2030")
    result = await asyncio.to_thread(run, *cli_set, "--achievement", "Baik", "--max", "baik=90")
    assert result.exit_code == 0, result.output
    await refused(admin, stale.buttons()[0]["callback_data"], stale)
    assert "Baik: baik <=90%" in (await asyncio.to_thread(run, *show)).output

    # Removing, through its own binding confirmation.
    await admin.send("/predikat")
    await admin.press("Semester I 2030")
    await admin.press("Remove: every OPD")
    assert "Remove the predikat mix recorded for every OPD" in admin.last.text
    await admin.press("Yes, remove it")
    assert admin.last.text.startswith("Removed.")
    assert "No predikat mix recorded" in (await asyncio.to_thread(run, *show)).output
    assert (await audits())[-1] == "cycle=Semester I 2030; scope=*; cleared"
    assert len(await audits()) == 3  # the Telegram set, the CLI set, the Telegram removal


async def test_a_heads_own_entry_goes_above_the_unit_they_head_when_they_sit_below_it(
    sessions: SessionFactory, settings: Settings, clock: ManualClock
):
    """4fa0594: R heads SEKSI but sits in SUBSEKSI, a unit below it without a head of its
    own. R's nearest head is R; R's own entry (Sangat Baik) goes to the head above SEKSI,
    S of DINAS, not to R and not dropped."""
    reviews = [
        Review("R", "R", SELF, 3),
        Review("S", "R", SUPERVISOR, 3, hasil=3),
        *(Review(f"P{i}", "R", PEER, 3) for i in (1, 2, 3)),
    ]
    seeded = await seed(sessions, reviews, status=OPEN)
    async with sessions.begin() as session:
        units = {u.code: u for u in await session.scalars(select(Unit))}
        below = Unit(code="SUBSEKSI", name="Subseksi Arsip", parent_id=units["SEKSI"].id)
        session.add(below)
        await session.flush()
        (await session.get(Employee, seeded.ids["R"])).unit_id = below.id
        units["SEKSI"].head_employee_id = seeded.ids["R"]
        units["DINAS"].head_employee_id = seeded.ids["S"]
    async with sessions.begin() as session:
        await close_cycle(session, "Semester I 2030", "cli:test", clock.now(), settings)
    lists = {
        chat: text
        for chat, text in await outbox_texts(sessions)
        if "Recognition and development lists" in text
        or "Daftar penghargaan dan pengembangan" in text
    }
    assert "• Pegawai R: rating Excellent (Sangat Baik)" in lists[TG["S"]]
    assert "Pegawai R" not in lists.get(TG["R"], "")


async def test_an_uncovered_recommendation_puts_nobody_on_the_recognition_list(
    sessions: SessionFactory, settings: Settings, clock: ManualClock
):
    """Everyone rates R 3 but only on B1-B3 ('cannot assess' on the rest): three values
    released, fewer than RECOMMENDATION_MIN_VALUES (4), so no recommendation and no
    predikat despite hasil kerja di atas; R is on no list and the head gets nothing."""
    only_three: list[int | None] = [3, 3, 3, None, None, None, None]
    reviews = [
        Review("R", "R", SELF, only_three),
        Review("S", "R", SUPERVISOR, only_three, hasil=3),
        *(Review(f"P{i}", "R", PEER, only_three) for i in (1, 2, 3)),
    ]
    seeded = await seed(sessions, reviews)
    async with sessions.begin() as session:
        dinas = await session.scalar(select(Unit).where(Unit.code == "DINAS"))
        seksi = await session.scalar(select(Unit).where(Unit.code == "SEKSI"))
        dinas.head_employee_id, seksi.head_employee_id = seeded.ids["S"], seeded.ids["S"]
    async with sessions.begin() as session:
        results = await cycle_results(
            session, seeded.cycle_id, min_raters=settings.min_anonymous_raters
        )
        (r,) = [item for item in results if item.ratee.id == seeded.ids["R"]]
        assert r.hasil_kerja is not None and r.recommendation is None and r.predikat is None
        queued = await development_lists.queue_lists(
            session, settings, seeded.cycle_id, results, clock.now()
        )
    assert queued == 0
