"""Cases without Telegram: opened by the alert job, changed by their use cases, followed up
by their job as the clock moves, counted in the digest, listed by ``ulasan alerts list``.

The world is tests/support/case_world.py; the clock starts on Monday 23 November
2026 at 12:00 in Jakarta, so a case opened then is past its target from
Thursday 26th 00:00 and past it twice from Saturday 28th 00:00.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import cli, register_commands
from bot.core.settings import Settings
from scheduler import alert_relay, case_flows
from scheduler.case_flows import Outcome
from scheduler.jobs import case_followup, low_score_alerts, weekly_digest
from scheduler.jobs.specs import JobContext
from storage import case_queries, cases, mutes, survey, survey_alerts
from storage.case_models import CaseEvent, SurveyCase
from storage.db import SessionFactory
from storage.holiday_models import Holiday
from storage.outbox_models import OutboxMessage
from tests.support.alert_world import (
    CITIZEN_KEY,
    GOOD,
    HEAD_TG,
    NOON,
    OTHER_ADMIN_TG,
    UNIT_ADMIN_TG,
    WIB,
    submit,
)
from tests.support.app import ADMIN_ID, make_settings
from tests.support.case_world import (
    DUE,
    SEKDA_TG,
    STAFF_NAME,
    STAFF_TG,
    TWICE,
    CaseWorld,
    seed_case_world,
)

LOW = (1, 2, 2, 2, 2, 2, 1, 2, 2)
CITIZEN_CHAT = 4343434343


@pytest.fixture
async def cw(sessions: SessionFactory) -> CaseWorld:
    return await seed_case_world(sessions)


def ctx(settings: Settings, sessions: SessionFactory, now: datetime = NOON, **kw) -> JobContext:
    return JobContext(settings=settings, sessions=sessions, now=now, **kw)


async def outbox(sessions: SessionFactory, kind: str | None = None) -> list[OutboxMessage]:
    async with sessions() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            statement = statement.where(OutboxMessage.kind == kind)
        return list(await session.scalars(statement))


def text_of(row: OutboxMessage) -> str:
    return json.loads(row.content)["text"]


async def only_case(sessions: SessionFactory) -> case_queries.CaseView:
    async with sessions() as session:
        (case_id,) = (await session.scalars(select(SurveyCase.id))).all()
        view = await case_queries.case_by_id(session, case_id)
    assert view is not None
    return view


async def open_low_case(settings, sessions, cw: CaseWorld, **kw) -> case_queries.CaseView:
    await submit(sessions, cw.world.ktp_id, LOW, at=NOON - timedelta(minutes=5), **kw)
    await low_score_alerts.run(ctx(settings, sessions))
    return await only_case(sessions)


# -- opening ------------------------------------------------------------------------------


async def test_a_low_score_opens_a_case_owned_by_the_head(settings, sessions, cw):
    view = await open_low_case(settings, sessions, cw)
    assert view.status == "baru" and view.version == 1
    assert view.owner_employee_id == cw.world.head_id and view.owner_name == "Siti Rahmawati"
    assert view.unit_id == view.responsible_unit_id == cw.world.unit_id
    assert view.due_at == DUE and view.escalate_at == TWICE
    assert view.reasons == ("low_mean", "unsur_1", "levy")
    head_alert = next(r for r in await outbox(sessions) if r.chat_id == HEAD_TG)
    text = text_of(head_alert)
    assert text.startswith("⚠️ Ulasan warga perlu ditindaklanjuti")
    assert (
        "📋 Kasus dibuka. Penanggung jawab: Siti Rahmawati. Mohon tanggapi paling lambat "
        "25 November 2026 (2 hari kerja)"
    ) in text
    buttons = [b for row in json.loads(head_alert.content)["buttons"] for b in row]
    assert [b["callback_data"] for b in buttons] == [f"ks:{view.token}:1:open"]


async def test_a_loaded_holiday_moves_the_target(settings, sessions, cw):
    async with sessions.begin() as session:
        session.add(Holiday(day=date(2026, 11, 24), name="Cuti bersama"))
    view = await open_low_case(settings, sessions, cw)
    assert view.due_at == datetime(2026, 11, 27, tzinfo=WIB).astimezone(UTC)  # end of Thu 26
    assert view.escalate_at == datetime(2026, 12, 1, tzinfo=WIB).astimezone(UTC)  # end of Mon 30
    head_alert = next(r for r in await outbox(sessions) if r.chat_id == HEAD_TG)
    assert "paling lambat 26 November 2026 (2 hari kerja)" in text_of(head_alert)


async def test_a_sub_unit_case_belongs_to_the_head_above_it(settings, sessions, cw):
    await submit(sessions, cw.world.akta_id, LOW)
    await low_score_alerts.run(ctx(settings, sessions))
    view = await only_case(sessions)
    assert view.unit_id == cw.world.sub_unit_id
    assert view.responsible_unit_id == cw.world.unit_id  # whose head owns it
    assert view.owner_employee_id == cw.world.head_id


async def test_a_comment_alone_is_a_note_and_praise_is_neither(settings, sessions, cw):
    await submit(sessions, cw.world.ktp_id, GOOD, comment="Mohon tambah kursi")
    await submit(
        sessions,
        cw.world.ktp_id,
        GOOD,
        comment="Pak Budi sangat membantu",
        officer_id=cw.world.officer_id,
        user_key="p" * 64,
    )
    summary = await low_score_alerts.run(ctx(settings, sessions))
    assert summary == "1 alert(s), 2 message(s) queued"
    async with sessions() as session:
        assert (await session.scalars(select(SurveyCase))).all() == []
    texts = [text_of(r) for r in await outbox(sessions)]
    assert all(t.startswith("💬 Warga menyampaikan saran atau keluhan") for t in texts)
    assert all("Mohon tambah kursi" in t and "Kasus dibuka" not in t for t in texts)
    assert not any("Pak Budi" in t for t in texts)  # praise goes to the officer instead


async def test_nobody_up_the_tree_means_an_ownerless_case(tmp_path, migrated, sessions):
    from tests.support.citizen import seed_roster

    roster = await seed_roster(sessions)
    settings = make_settings(tmp_path, migrated)
    await submit(sessions, roster.ktp_id, LOW)
    await low_score_alerts.run(ctx(settings, sessions))
    view = await only_case(sessions)
    assert view.owner_employee_id is None
    (row,) = await outbox(sessions)
    assert row.chat_id == ADMIN_ID  # the city-wide admins, since nobody else looks after it
    assert "Belum ada penanggung jawab" in text_of(row)


# -- changes ------------------------------------------------------------------------------


async def test_changes_are_made_once_and_stale_presses_change_nothing(settings, sessions, cw):
    view = await open_low_case(settings, sessions, cw)
    later = NOON + timedelta(hours=1)
    async with sessions.begin() as session:
        assert await case_flows.mark_handling(session, view, cw.world.head_id, later) is Outcome.OK
    async with sessions.begin() as session:  # the same press again: version 1 is gone
        assert await case_flows.mark_handling(session, view, cw.world.head_id, later) is (
            Outcome.STALE
        )
    fresh = await only_case(sessions)
    assert (fresh.status, fresh.version, fresh.first_response_at) == ("ditangani", 2, later)

    async with sessions.begin() as session:
        outcome = await case_flows.hand_over(
            session, settings, fresh, cw.world.officer_id - 999, cw.world.head_id, later
        )
    assert outcome is Outcome.NOT_STAFF
    async with sessions.begin() as session:
        outcome = await case_flows.hand_over(
            session, settings, fresh, cw.staff_id, cw.world.head_id, later
        )
    assert outcome is Outcome.OK
    handed = await only_case(sessions)
    assert handed.owner_name == STAFF_NAME and handed.version == 3
    (notice,) = await outbox(sessions, case_flows.HANDED_KIND)
    assert notice.chat_id == STAFF_TG
    assert text_of(notice).startswith("📋 Sebuah kasus diserahkan kepada Anda.")

    async with sessions.begin() as session:
        assert await case_flows.resolve(session, fresh, "x", None, later) is Outcome.STALE
        outcome = await case_flows.resolve(
            session, handed, "Petugas ditegur;\nloket ditambah satu.", cw.staff_id, later
        )
    assert outcome is Outcome.OK
    done = await only_case(sessions)
    assert done.status == "selesai" and done.resolution == "Petugas ditegur; loket ditambah satu."
    assert done.first_response_at == later  # the first response stays the first
    async with sessions() as session:
        history = await case_queries.history(session, done.id)
    assert [(e.kind, e.actor, e.detail) for e in history] == [
        ("opened", None, ""),
        ("status", "Siti Rahmawati", "ditangani"),
        ("handed", "Siti Rahmawati", STAFF_NAME),
        ("resolved", STAFF_NAME, "Petugas ditegur; loket ditambah satu."),
    ]


async def test_two_admins_at_once_change_it_once(settings, sessions, cw):
    view = await open_low_case(settings, sessions, cw)

    async def press() -> Outcome:
        async with sessions.begin() as session:
            return await case_flows.resolve(session, view, "Selesai", None, NOON)

    results = await asyncio.gather(press(), press())
    assert sorted(r.value for r in results) == ["ok", "stale"]
    async with sessions() as session:
        resolved = await session.scalars(select(CaseEvent).where(CaseEvent.kind == "resolved"))
        assert len(resolved.all()) == 1


async def test_a_balas_reply_is_the_first_response(settings, sessions, cw):
    view = await open_low_case(settings, sessions, cw, contact=CITIZEN_CHAT)
    async with sessions() as session:
        alert = await survey_alerts.alert_case(session, view.token)
    replied = NOON + timedelta(hours=2)
    async with sessions.begin() as session:
        await alert_relay.reply_to_citizen(
            session,
            alert,
            "Mohon maaf, kami perbaiki.",
            employee_id=cw.world.head_id,
            dedupe_key="relay:test",
            now=replied,
            not_before=replied,
            settings=settings,
        )
    fresh = await only_case(sessions)
    assert (fresh.status, fresh.first_response_at) == ("ditangani", replied)
    # Answered in time: no reminder and no escalation, however late it gets.
    summary = await case_followup.run(ctx(settings, sessions, TWICE + timedelta(days=3)))
    assert summary == "0 reminder(s), 0 escalation(s), 0 message(s) queued"


# -- follow-up as the clock moves ------------------------------------------------------------


async def test_past_the_target_reminds_once_then_twice_goes_up(settings, sessions, cw):
    view = await open_low_case(settings, sessions, cw)
    async with sessions.begin() as session:  # the head handed it to Rina, who did nothing
        await case_flows.hand_over(session, settings, view, cw.staff_id, cw.world.head_id, NOON)

    before = await case_followup.run(ctx(settings, sessions, DUE - timedelta(minutes=1)))
    assert before.startswith("0 reminder(s), 0 escalation(s)")
    at_due = await case_followup.run(ctx(settings, sessions, DUE))
    assert at_due == "1 reminder(s), 0 escalation(s), 2 message(s) queued"
    reminders = await outbox(sessions, case_followup.REMINDER_KIND)
    assert sorted(r.chat_id for r in reminders) == sorted([STAFF_TG, HEAD_TG])
    assert text_of(reminders[0]).startswith("⏰ Kasus ini sudah melewati target tanggapan pertama.")
    assert "⏰ Target tanggapan pertama 25 November 2026: sudah terlewati" in text_of(reminders[0])
    again = await case_followup.run(ctx(settings, sessions, DUE + timedelta(hours=5)))
    assert again.startswith("0 reminder(s)")

    twice = await case_followup.run(ctx(settings, sessions, TWICE))
    assert twice == "0 reminder(s), 1 escalation(s), 3 message(s) queued"
    rows = await outbox(sessions, case_followup.ESCALATION_KIND)
    up = next(r for r in rows if r.chat_id == SEKDA_TG)
    assert text_of(up).startswith(
        "⏫ Sebuah kasus di Dinas Kependudukan dan Pencatatan Sipil, unit di bawah Anda"
    )
    assert sorted(r.chat_id for r in rows if r is not up) == sorted([STAFF_TG, HEAD_TG])
    assert (await only_case(sessions)).escalated_at == TWICE
    assert (await case_followup.run(ctx(settings, sessions, TWICE + timedelta(days=1)))).startswith(
        "0 reminder(s), 0 escalation(s)"
    )


async def test_the_top_units_case_goes_to_its_admins(settings, sessions, cw):
    # Without the secretariat above it, Disdukcapil is the top unit: its admin hears.
    async with sessions.begin() as session:
        from storage.models import Unit

        (await session.get(Unit, cw.world.unit_id)).parent_id = None
    await open_low_case(settings, sessions, cw)
    summary = await case_followup.run(ctx(settings, sessions, TWICE + timedelta(hours=1)))
    assert summary.startswith("0 reminder(s), 1 escalation(s)")  # no reminder after going up
    up = [r for r in await outbox(sessions, case_followup.ESCALATION_KIND)]
    admin = next(r for r in up if r.chat_id == UNIT_ADMIN_TG)
    assert "tidak memiliki atasan di atasnya" in text_of(admin)
    assert {r.chat_id for r in up} == {UNIT_ADMIN_TG, HEAD_TG}
    assert not any(r.chat_id in (OTHER_ADMIN_TG, ADMIN_ID) for r in await outbox(sessions))


async def test_the_head_above_may_mute_escalations(settings, sessions, cw):
    async with sessions.begin() as session:
        await mutes.set_muted(session, SEKDA_TG, mutes.ESCALATIONS, True, NOON)
    await open_low_case(settings, sessions, cw)
    await case_followup.run(ctx(settings, sessions, TWICE))
    assert not any(r.chat_id == SEKDA_TG for r in await outbox(sessions))
    assert (await only_case(sessions)).escalated_at == TWICE  # still recorded


async def test_quiet_hours_hold_follow_ups(settings, sessions, cw):
    await open_low_case(settings, sessions, cw)
    await case_followup.run(ctx(settings, sessions, DUE))  # 00:00 WIB
    seven = datetime(2026, 11, 26, 7, 0, tzinfo=WIB).astimezone(UTC)
    assert {r.not_before for r in await outbox(sessions, case_followup.REMINDER_KIND)} == {seven}


# -- mutes --------------------------------------------------------------------------------


async def test_mutes_keep_owned_cases_and_drop_the_rest(settings, sessions, cw):
    async with sessions.begin() as session:
        for kind in (mutes.CASES, mutes.COMMENTS):
            await mutes.set_muted(session, HEAD_TG, kind, True, NOON)
            await mutes.set_muted(session, UNIT_ADMIN_TG, kind, True, NOON)
            await mutes.set_muted(session, UNIT_ADMIN_TG, kind, True, NOON)  # twice: same
    await submit(sessions, cw.world.ktp_id, LOW)
    await submit(sessions, cw.world.ktp_id, GOOD, comment="Parkir sempit", user_key="n" * 64)
    await low_score_alerts.run(ctx(settings, sessions))
    rows = await outbox(sessions)
    # The head owns the case: it reaches them anyway; the comment note reaches nobody.
    assert [(r.chat_id, text_of(r)[:2]) for r in rows] == [(HEAD_TG, "⚠️")]
    async with sessions.begin() as session:
        await mutes.set_muted(session, UNIT_ADMIN_TG, mutes.CASES, False, NOON)
        assert await mutes.muted_kinds(session, UNIT_ADMIN_TG) == {mutes.COMMENTS}


# -- the digest ----------------------------------------------------------------------------


async def test_the_weekly_digest_counts_open_and_late_cases(settings, sessions, cw):
    await open_low_case(settings, sessions, cw)
    await submit(sessions, cw.world.akta_id, LOW, user_key="s" * 64)
    await low_score_alerts.run(ctx(settings, sessions, NOON + timedelta(minutes=1)))
    async with sessions() as session:
        first = await case_queries.case_by_id(
            session, (await session.scalars(select(SurveyCase.id))).first()
        )
    async with sessions.begin() as session:
        await case_flows.resolve(session, first, "Sudah ditangani", None, NOON)
    # Monday 30 November 08:30: last week is 23–29 November.
    monday = datetime(2026, 11, 30, 8, 30, tzinfo=WIB).astimezone(UTC)
    await weekly_digest.run(ctx(settings, sessions, monday))
    head = next(r for r in await outbox(sessions, weekly_digest.KIND) if r.chat_id == HEAD_TG)
    assert (
        "Kasus: 2 dibuka minggu lalu; 1 masih terbuka, 1 melewati target tanggapan pertama"
    ) in text_of(head)


# -- erasure -------------------------------------------------------------------------------


async def test_hapusdata_erases_the_case_with_the_response(settings, sessions, cw):
    view = await open_low_case(settings, sessions, cw)
    async with sessions.begin() as session:
        await cases.mark_handling(session, view.id, 1, None, NOON)
    async with sessions.begin() as session:
        await survey.delete_user_data(session, CITIZEN_KEY)
    async with sessions() as session:
        assert (await session.scalars(select(SurveyCase))).all() == []
        assert (await session.scalars(select(CaseEvent))).all() == []


# -- ulasan alerts list --------------------------------------------------------------------


def run_cli(tmp_path: Path, settings: Settings, *args: str) -> tuple[int, str]:
    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
    }
    result = CliRunner().invoke(cli, ["alerts", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.output


async def test_alerts_list(tmp_path, settings, sessions, cw, monkeypatch):
    monkeypatch.chdir(tmp_path)
    view = await open_low_case(settings, sessions, cw)
    await submit(sessions, cw.world.akta_id, (4, 4, 4, 4, 4, 4, 1, 4, 4), user_key="s" * 64)
    await low_score_alerts.run(ctx(settings, sessions, NOON + timedelta(minutes=1)))
    async with sessions.begin() as session:
        await case_flows.resolve(session, view, "Loket ditambah", cw.world.head_id, NOON)

    code, out = await asyncio.to_thread(run_cli, tmp_path, settings, "list", "--format", "json")
    assert code == 0, out
    rows = json.loads(out)
    assert [(r["case"], r["unit"]["code"], r["status"]) for r in rows] == [
        (view.id, "DUKCAPIL", "selesai"),
        (view.id + 1, "DUKCAPIL-PL", "baru"),
    ]
    assert rows[0]["resolution"] == "Loket ditambah" and rows[0]["owner"] == "Siti Rahmawati"
    assert rows[1]["reasons"] == ["unsur_1"] and rows[1]["first_response_due_by"] == "2026-11-25"
    for row in rows:
        assert CITIZEN_KEY not in json.dumps(row)

    code, out = await asyncio.to_thread(
        run_cli, tmp_path, settings, "list", "--unit", "DUKCAPIL-PL", "--status", "baru"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["case", "opened", "age", "unit", "service"]
    assert len(lines) == 3 and "Legalisir Akta" in lines[2] and "Siti Rahmawati" in lines[2]
    code, out = await asyncio.to_thread(run_cli, tmp_path, settings, "list", "--unit", "NOPE")
    assert code == 1 and "unknown unit 'NOPE'" in out
    code, out = await asyncio.to_thread(run_cli, tmp_path, settings, "list", "--status", "lost")
    assert code == 1 and "Traceback" not in out
