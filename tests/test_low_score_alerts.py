"""Job ``low_score_alerts`` on its own: the rules, the recipients, the text, the outbox.

Responses are written directly with the models (submitted, with a chosen
``submitted_at``), and the job runs with an injected clock: Monday 23 November
2026 at 12:00 in Jakarta unless a test says otherwise.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.core.settings import Settings
from scheduler.jobs import low_score_alerts as alerts
from scheduler.jobs.specs import JobContext
from scheduler.scoring import alert_rules, skm
from storage import survey, survey_alerts
from storage.db import SessionFactory, create_engine, session_factory
from storage.outbox_models import PRIORITY_ALERT, JobRun, OutboxMessage
from storage.survey_models import SurveyAlert, SurveyRelay, SurveyResponse
from tests.support.alert_world import (
    CITIZEN_KEY,
    GOOD,
    HEAD_TG,
    NOON,
    OTHER_ADMIN_TG,
    UNIT_ADMIN_TG,
    WIB,
    World,
    add_unit_admin,
    seed_world,
    submit,
)
from tests.support.app import ADMIN_ID, make_settings
from tests.support.citizen import seed_roster

CITIZEN_CHAT = 4242424242


def context(settings: Settings, sessions: SessionFactory, now: datetime = NOON, **kw) -> JobContext:
    return JobContext(settings=settings, sessions=sessions, now=now, **kw)


async def outbox_rows(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def alert_rows(sessions: SessionFactory) -> list[SurveyAlert]:
    async with sessions() as session:
        return list(await session.scalars(select(SurveyAlert).order_by(SurveyAlert.id)))


def text_of(row: OutboxMessage) -> str:
    return json.loads(row.content)["text"]


def buttons_of(row: OutboxMessage) -> list[dict[str, str]]:
    return [b for line in json.loads(row.content).get("buttons", []) for b in line]


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await seed_world(sessions)


# -- the rule ----------------------------------------------------------------------------


def test_threshold_bound_is_exact():
    assert alert_rules.max_total(2.0) == 18
    assert alert_rules.max_total(2.5) == 22
    assert alert_rules.max_total(2.2) == 19  # 19.8 → a sum of 20 has mean 2.22 > 2.2
    assert alert_rules.max_total(1.0) == 9


@pytest.mark.parametrize(
    ("scores", "comment", "free", "expected"),
    [
        ((2,) * 9, None, False, ("low_mean",)),  # exactly 2.0 alerts
        ((2,) * 8 + (3,), None, False, ()),  # 2.11: above the threshold
        ((4, 4, 4, 4, 4, 4, 1, 4, 4), None, False, ("unsur_1",)),
        ((4, 4, 4, 3, 4, 4, 4, 4, 4), None, True, ("levy",)),
        ((4, 4, 4, 3, 4, 4, 4, 4, 4), None, False, ()),  # not a free service
        (GOOD, None, True, ()),  # "Gratis" at a free service
        (GOOD, "Antrean rapi.", False, ("comment",)),
        (GOOD, "   ", False, ()),
        ((1,) * 9, "Buruk", True, ("low_mean", "unsur_1", "levy", "comment")),
    ],
)
def test_reasons(scores, comment, free, expected):
    answers = dict(zip(skm.UNSUR_CODES, scores, strict=True))
    assert alert_rules.reasons_for(answers, comment, free=free, threshold=2.0) == expected


# -- the job -------------------------------------------------------------------------------


async def test_mean_of_exactly_the_threshold_alerts(settings, sessions, world):
    at_threshold = await submit(sessions, world.akta_id, (2,) * 9)
    await submit(sessions, world.akta_id, (2,) * 8 + (3,), user_key="d" * 64)
    summary = await alerts.run(context(settings, sessions))
    assert summary.startswith("1 alert(s), 1 message(s) queued")
    (alert,) = await alert_rows(sessions)
    assert alert.response_id == at_threshold and alert.reasons == "low_mean"
    head_row = next(r for r in await outbox_rows(sessions) if r.chat_id == HEAD_TG)
    assert "Nilai rata-rata 2,00 (peringatan pada 2,00 atau kurang)" in text_of(head_row)


async def test_a_higher_threshold_setting_is_used(tmp_path: Path, migrated: str, sessions, world):
    settings = make_settings(tmp_path, migrated, low_score_threshold=2.5)
    await submit(sessions, world.akta_id, (3, 3, 3, 2, 2, 2, 2, 2, 3))  # 2.33
    await alerts.run(context(settings, sessions))
    assert [a.reasons for a in await alert_rows(sessions)] == ["low_mean"]


async def test_an_unsur_at_one_alerts_and_is_marked(settings, sessions, world):
    await submit(sessions, world.akta_id, (4, 4, 4, 4, 4, 4, 1, 4, 4))
    await alerts.run(context(settings, sessions))
    (alert,) = await alert_rows(sessions)
    assert alert.reasons == "unsur_1"
    text = text_of((await outbox_rows(sessions))[0])
    assert "Jawaban terburuk (1) pada: Perilaku pelaksana" in text
    assert "• Perilaku pelaksana: Tidak sopan dan ramah (1) ❗" in text
    assert "• Persyaratan: Sangat sesuai (4)" in text


async def test_levy_at_a_free_service_is_worded_as_a_check(settings, sessions, world):
    await submit(sessions, world.ktp_id, (4, 4, 4, 2, 4, 4, 4, 4, 4))
    await submit(sessions, world.akta_id, (4, 4, 4, 2, 4, 4, 4, 4, 4), user_key="e" * 64)
    await alerts.run(context(settings, sessions))
    (alert,) = await alert_rows(sessions)  # the paid service's answer is no levy
    assert alert.reasons == "levy"
    text = text_of((await outbox_rows(sessions))[0])
    assert "Kemungkinan pungutan liar, mohon diperiksa" in text
    assert '"Cukup mahal"' in text
    assert "Perekaman KTP-el" in text


async def test_a_comment_alone_alerts_and_is_shown_masked(settings, sessions, world):
    await submit(sessions, world.ktp_id, GOOD, comment="Mohon hubungi 0812-3456-7890 ya")
    await alerts.run(context(settings, sessions))
    (alert,) = await alert_rows(sessions)
    assert alert.reasons == "comment"
    text = text_of((await outbox_rows(sessions))[0])
    assert "Mohon hubungi [TELEPON] ya" in text
    assert "0812" not in text


async def test_a_good_response_without_comment_raises_nothing(settings, sessions, world):
    await submit(sessions, world.ktp_id, GOOD)
    await submit(sessions, world.akta_id, (3, 3, 3, 3, 3, 3, 3, 3, 3), user_key="f" * 64)
    summary = await alerts.run(context(settings, sessions))
    assert summary.startswith("0 alert(s), 0 message(s)")
    assert await alert_rows(sessions) == []
    assert await outbox_rows(sessions) == []


async def test_recipients_are_the_head_and_the_units_admins_only(settings, sessions, world):
    await add_unit_admin(sessions, UNIT_ADMIN_TG, world.unit_id)
    await add_unit_admin(sessions, OTHER_ADMIN_TG, world.other_unit_id)
    await submit(sessions, world.ktp_id, (1,) * 9, officer_id=world.officer_id)
    await alerts.run(context(settings, sessions))
    rows = await outbox_rows(sessions)
    # Not the city-wide admin (ADMIN_IDS), not the admin of another unit.
    assert sorted(r.chat_id for r in rows) == sorted([HEAD_TG, UNIT_ADMIN_TG])
    for row in rows:
        assert row.kind == survey_alerts.ALERT_KIND and row.priority == PRIORITY_ALERT
    head_row = next(r for r in rows if r.chat_id == HEAD_TG)
    assert head_row.employee_id == world.head_id
    text = text_of(head_row)
    assert "Layanan: Perekaman KTP-el" in text
    assert "Unit: Dinas Kependudukan dan Pencatatan Sipil" in text
    assert "Petugas pada kode QR: Budi Santoso" in text
    assert "Dikirim: 23 Nov 2026, 11.55" in text


async def test_a_sub_unit_without_a_head_alerts_the_head_above(settings, sessions, world):
    await add_unit_admin(sessions, UNIT_ADMIN_TG, world.unit_id)  # manages the sub-unit too
    await submit(sessions, world.akta_id, (1,) * 9)
    await alerts.run(context(settings, sessions))
    chats = {r.chat_id for r in await outbox_rows(sessions)}
    assert chats == {HEAD_TG, UNIT_ADMIN_TG}
    text = text_of(next(r for r in await outbox_rows(sessions) if r.chat_id == HEAD_TG))
    assert "Unit: Bidang Pelayanan" in text


async def test_a_head_who_is_also_admin_gets_one_message(settings, sessions, world):
    await add_unit_admin(sessions, HEAD_TG, world.unit_id)
    await submit(sessions, world.ktp_id, (1,) * 9)
    await alerts.run(context(settings, sessions))
    assert [r.chat_id for r in await outbox_rows(sessions)] == [HEAD_TG]


async def test_a_unit_nobody_looks_after_alerts_the_city_admins(settings, sessions):
    roster = await seed_roster(sessions)  # no head, no unit admin
    await submit(sessions, roster.ktp_id, (1,) * 9)
    await alerts.run(context(settings, sessions))
    assert [r.chat_id for r in await outbox_rows(sessions)] == [ADMIN_ID]


async def test_no_head_and_no_admin_still_records_the_alert(tmp_path, migrated, sessions):
    roster = await seed_roster(sessions)
    settings = make_settings(tmp_path, migrated, admin_ids="")
    await submit(sessions, roster.ktp_id, (1,) * 9)
    summary = await alerts.run(context(settings, sessions))
    assert "1 without a recipient" in summary
    assert len(await alert_rows(sessions)) == 1 and await outbox_rows(sessions) == []


async def test_each_recipient_reads_their_own_language(sessions, tmp_path, migrated):
    world = await seed_world(sessions, head_language="en")
    await add_unit_admin(sessions, UNIT_ADMIN_TG, world.unit_id)
    settings = make_settings(tmp_path, migrated)
    await submit(sessions, world.ktp_id, (4, 4, 4, 3, 4, 4, 4, 1, 4), comment="Kursi kurang")
    await alerts.run(context(settings, sessions))
    rows = {r.chat_id: text_of(r) for r in await outbox_rows(sessions)}
    english, indonesian = rows[HEAD_TG], rows[UNIT_ADMIN_TG]
    assert "Citizen feedback needs attention" in english
    assert "Possible illegal levy, please check" in english
    assert '"Cheap"' in english
    assert "• Handling of complaints, suggestions and feedback: There is none (1) ❗" in english
    assert "Ulasan warga perlu ditindaklanjuti" in indonesian
    assert '"Murah"' in indonesian


async def test_no_citizen_identity_in_the_alert(settings, sessions, world):
    await submit(sessions, world.ktp_id, (1,) * 9, comment="Lambat sekali", contact=CITIZEN_CHAT)
    await alerts.run(context(settings, sessions))
    (alert,) = await alert_rows(sessions)
    for row in await outbox_rows(sessions):
        assert str(CITIZEN_CHAT) not in row.content
        assert CITIZEN_KEY not in row.content
        assert [b["callback_data"] for b in buttons_of(row)] == [
            f"al:{alert.token}:reply",
            f"ks:{alert.token}:1:open",
        ]


async def test_consent_gives_a_reply_button_and_no_consent_none(settings, sessions, world):
    with_consent = await submit(sessions, world.ktp_id, (1,) * 9, contact=CITIZEN_CHAT)
    without = await submit(sessions, world.akta_id, (1,) * 9, user_key="b" * 64)
    await alerts.run(context(settings, sessions))
    for row in await outbox_rows(sessions):
        labels = [b["text"] for b in buttons_of(row)]
        if row.dedupe_key.startswith(f"alert:{with_consent}:"):
            assert labels == ["Balas", "Buka kasus"]
            assert "Warga bersedia dihubungi" in text_of(row)
        else:
            assert row.dedupe_key.startswith(f"alert:{without}:")
            assert labels == ["Buka kasus"]
            assert "Warga tidak meminta untuk dihubungi." in text_of(row)


async def test_running_twice_writes_nothing_new(settings, sessions, world):
    await submit(sessions, world.ktp_id, (1,) * 9, comment="Buruk")
    first = await alerts.run(context(settings, sessions))
    before = ([a.token for a in await alert_rows(sessions)], len(await outbox_rows(sessions)))
    second = await alerts.run(context(settings, sessions, NOON + timedelta(minutes=1)))
    assert first.startswith("1 alert(s), 1 message(s)")
    assert second.startswith("0 alert(s), 0 message(s)")
    assert ([a.token for a in await alert_rows(sessions)], len(await outbox_rows(sessions))) == (
        before
    )


async def test_two_runs_at_once_alert_once(settings, sessions, world):
    for n in range(3):
        await submit(sessions, world.ktp_id, (1,) * 9, user_key=f"{n}" * 64)
    other_engine = create_engine(settings.database_url)
    try:
        others = session_factory(other_engine)
        await asyncio.gather(
            alerts.run(context(settings, sessions)), alerts.run(context(settings, others))
        )
    finally:
        await other_engine.dispose()
    assert len(await alert_rows(sessions)) == 3
    assert len(await outbox_rows(sessions)) == 3


async def test_quiet_hours_hold_alerts_until_seven(settings, sessions, world):
    late = datetime(2026, 11, 23, 22, 30, tzinfo=WIB).astimezone(UTC)
    await submit(sessions, world.ktp_id, (1,) * 9, at=late - timedelta(minutes=1))
    await alerts.run(context(settings, sessions, late))
    seven = datetime(2026, 11, 24, 7, 0, tzinfo=WIB).astimezone(UTC)
    assert {r.not_before for r in await outbox_rows(sessions)} == {seven}


async def test_early_morning_waits_for_seven_the_same_day(settings, sessions, world):
    early = datetime(2026, 11, 28, 5, 15, tzinfo=WIB).astimezone(UTC)  # a Saturday
    await submit(sessions, world.ktp_id, (1,) * 9, at=early - timedelta(minutes=1))
    await alerts.run(context(settings, sessions, early))
    seven = datetime(2026, 11, 28, 7, 0, tzinfo=WIB).astimezone(UTC)
    assert {r.not_before for r in await outbox_rows(sessions)} == {seven}


async def test_force_ignores_quiet_hours(settings, sessions, world):
    late = datetime(2026, 11, 23, 22, 30, tzinfo=WIB).astimezone(UTC)
    await submit(sessions, world.ktp_id, (1,) * 9, at=late - timedelta(minutes=1))
    started = datetime.now(UTC)
    await alerts.run(context(settings, sessions, late, force=True))
    for row in await outbox_rows(sessions):
        assert row.not_before <= datetime.now(UTC) and row.not_before >= started


async def test_inside_the_window_alerts_go_now(settings, sessions, world):
    await submit(sessions, world.ktp_id, (1,) * 9)
    await alerts.run(context(settings, sessions))
    assert {r.not_before for r in await outbox_rows(sessions)} == {NOON}


async def test_the_watermark_makes_runs_incremental(settings, sessions, world):
    await submit(sessions, world.ktp_id, GOOD, at=NOON - timedelta(minutes=3))
    await alerts.run(context(settings, sessions))
    async with sessions() as session:
        mark = await session.scalar(
            select(JobRun.watermark).where(JobRun.name == "low_score_alerts")
        )
    assert mark == (NOON - timedelta(minutes=3)).isoformat()
    # Stamped before the watermark but committed only now: within the overlap, still seen.
    await submit(
        sessions, world.ktp_id, (1,) * 9, at=NOON - timedelta(minutes=8), user_key="1" * 64
    )
    # Long before the watermark (outside the overlap): not examined again.
    await submit(sessions, world.ktp_id, (1,) * 9, at=NOON - timedelta(hours=2), user_key="2" * 64)
    await alerts.run(context(settings, sessions, NOON + timedelta(minutes=1)))
    assert len(await alert_rows(sessions)) == 1


async def test_the_first_run_looks_back_one_day_only(settings, sessions, world):
    await submit(sessions, world.ktp_id, (1,) * 9, at=NOON - timedelta(days=3))
    await submit(sessions, world.ktp_id, (1,) * 9, at=NOON - timedelta(hours=20), user_key="9" * 64)
    summary = await alerts.run(context(settings, sessions))
    assert summary.startswith("1 alert(s)")


async def test_drafts_are_never_alerted(settings, sessions, world):
    response_id = await submit(sessions, world.ktp_id, (1,) * 9)
    async with sessions.begin() as session:
        await session.execute(
            update(SurveyResponse).where(SurveyResponse.id == response_id).values(status="draft")
        )
    await alerts.run(context(settings, sessions))
    assert await alert_rows(sessions) == []


async def test_a_response_deleted_meanwhile_is_not_alerted(settings, sessions, world):
    response_id = await submit(sessions, world.ktp_id, (1,) * 9)
    async with sessions.begin() as session:
        await survey.delete_user_data(session, CITIZEN_KEY)
    async with sessions.begin() as session:
        assert not await survey_alerts.insert_alert(
            session, response_id, ("low_mean",), "t" * 12, NOON
        )


# -- /hapusdata ---------------------------------------------------------------------------


async def test_hapusdata_removes_alerts_and_relays_and_counts_responses(settings, sessions, world):
    mine = await submit(sessions, world.ktp_id, (1,) * 9, contact=CITIZEN_CHAT)
    other = await submit(sessions, world.ktp_id, (1,) * 9, user_key="o" * 64)
    await alerts.run(context(settings, sessions))
    async with sessions.begin() as session:
        for direction in (survey_alerts.TO_CITIZEN, survey_alerts.FROM_CITIZEN):
            session.add(
                SurveyRelay(response_id=mine, direction=direction, employee_id=None, text="x")
            )
    async with sessions.begin() as session:
        deleted = await survey.delete_user_data(session, CITIZEN_KEY)
    assert deleted == 1  # responses only: the cascaded alert and relays are not counted
    async with sessions() as session:
        assert [a.response_id for a in await session.scalars(select(SurveyAlert))] == [other]
        relays = await session.scalar(select(func.count()).select_from(SurveyRelay))
        assert relays == 0


def test_local_dates_are_jakarta(settings):
    assert NOON.astimezone(settings.tz).date() == date(2026, 11, 23)
