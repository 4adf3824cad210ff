"""Survey storage functions on their own: steps, conditional writes, abandonment, deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import local_day
from storage import directory, survey, survey_press
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import Unit
from storage.survey_models import SurveyResponse
from tests.support.citizen import Roster, seed_roster

WIB = ZoneInfo("Asia/Jakarta")

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def roster(db: SessionFactory) -> Roster:
    return await seed_roster(db)


async def _draft(db: SessionFactory, roster: Roster, user_key: str = "k" * 64, **kw) -> int:
    async with db.begin() as session:
        response = await survey.start_draft(
            session,
            user_key=user_key,
            service_id=kw.get("service_id", roster.ktp_id),
            employee_id=None,
            entry_id=None,
            language="id",
            now=kw.get("now", NOW),
            local_date=date(2026, 11, 23),
        )
        return response.id


async def _get(db: SessionFactory, response_id: int) -> SurveyResponse:
    async with db() as session:
        return await survey.reload(session, response_id)


def test_step_order():
    assert survey.STEPS[0] == "intro" and survey.STEPS[-1] == "done"
    assert survey.UNSUR_STEPS == tuple(f"U{i}" for i in range(1, 10))
    assert survey.next_step("U9") == "comment"
    assert survey.next_step("comment") == "age_group"
    assert survey.next_step("occupation") == "contact"
    assert survey.previous_step("U1") is None
    assert survey.previous_step("intro") is None
    assert survey.previous_step("done") is None
    assert survey.previous_step("U2") == "U1"
    assert survey.previous_step("comment") == "U9"
    assert survey.previous_step("contact") == "occupation"
    assert all(len(step) <= 16 for step in survey.STEPS)  # fits the step column


def test_local_day_uses_the_time_zone():
    from zoneinfo import ZoneInfo

    late = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 01:30 on the 24th in Jakarta
    assert local_day(late, ZoneInfo("Asia/Jakarta")) == date(2026, 11, 24)


async def test_answers_are_conditional_and_idempotent(db: SessionFactory, roster: Roster):
    response_id = await _draft(db, roster)
    async with db.begin() as session:
        assert not await survey.answer_unsur(session, response_id, "U1", 4, NOW)  # still intro
        assert await survey.begin(session, response_id, NOW)
        assert not await survey.begin(session, response_id, NOW)
        assert await survey.answer_unsur(session, response_id, "U1", 4, NOW)
        assert not await survey.answer_unsur(session, response_id, "U1", 1, NOW)  # a double tap
        assert not await survey.answer_unsur(session, response_id, "U3", 1, NOW)  # ahead
    row = await _get(db, response_id)
    assert row.u1 == 4 and row.u3 is None and row.step == "U2"
    with pytest.raises(ValueError):
        async with db.begin() as session:
            await survey.answer_unsur(session, response_id, "U2", 5, NOW)
    with pytest.raises(ValueError):
        async with db.begin() as session:
            await survey.answer_profile(session, response_id, "gender", "x", NOW)
    with pytest.raises(ValueError):
        async with db.begin() as session:
            await survey.skip(session, response_id, "U2", NOW)


async def test_back_skip_comment_and_submit(db: SessionFactory, roster: Roster):
    response_id = await _draft(db, roster)
    later = NOW + timedelta(minutes=1)
    async with db.begin() as session:
        await survey.begin(session, response_id, NOW)
        for step in survey.UNSUR_STEPS:
            assert await survey.answer_unsur(session, response_id, step, 3, NOW)
        assert await survey.go_back(session, response_id, "comment", NOW)
        assert not await survey.go_back(session, response_id, "comment", NOW)
        assert await survey.answer_unsur(session, response_id, "U9", 1, NOW)
        assert await survey.save_comment(session, response_id, "Lambat\x00. HP 081234567890", NOW)
        assert await survey.answer_profile(session, response_id, "age_group", "60+", NOW)
        assert await survey.skip(session, response_id, "gender", NOW)
        assert await survey.go_back(session, response_id, "education", NOW)
        assert await survey.skip(session, response_id, "gender", NOW)
        assert await survey.answer_profile(session, response_id, "education", "s2", NOW)
        assert await survey.skip(session, response_id, "occupation", NOW)
        assert await survey.submit(session, response_id, later, contact_chat_id=None, tz=WIB)
        assert not await survey.submit(session, response_id, later, contact_chat_id=42, tz=WIB)
        assert not await survey.cancel(session, response_id, later)
    row = await _get(db, response_id)
    assert row.status == "submitted" and row.step == "done"
    assert row.submitted_at == later and row.updated_at == later
    assert row.u9 == 1 and row.u8 == 3
    assert row.comment == "Lambat. HP [TELEPON]"
    assert (row.age_group, row.gender, row.education, row.occupation) == ("60+", None, "s2", None)
    assert row.contact_ok is False and row.contact_chat_id is None
    # The rollup's marks come with the submission: the local day and a number.
    assert row.rollup_day == local_day(later, WIB) and row.rollup_seq is not None


async def test_abandon_stale_drafts_keeps_the_step(db: SessionFactory, roster: Roster):
    old = await _draft(db, roster, "a" * 64, now=NOW - timedelta(hours=25))
    async with db.begin() as session:
        await survey.begin(session, old, NOW - timedelta(hours=25))
    recent = await _draft(db, roster, "b" * 64, now=NOW - timedelta(hours=23))
    finished = await _draft(db, roster, "c" * 64, now=NOW - timedelta(hours=48))
    async with db.begin() as session:
        await survey.cancel(session, finished, NOW - timedelta(hours=48))
    async with db.begin() as session:
        assert await survey.abandon_stale_drafts(session, NOW, 24) == 1
    async with db.begin() as session:
        assert await survey.abandon_stale_drafts(session, NOW, 24) == 0
    assert (await _get(db, old)).status == "abandoned"
    assert (await _get(db, old)).step == "U1"
    assert (await _get(db, old)).updated_at == NOW - timedelta(hours=25)
    assert (await _get(db, recent)).status == "draft"
    assert (await _get(db, finished)).status == "cancelled"
    async with db.begin() as session:  # an hour later the recent one is stale too
        assert await survey.abandon_stale_drafts(session, NOW + timedelta(hours=2), 24) == 1


async def test_current_draft_abandons_only_that_citizens_stale_draft(
    db: SessionFactory, roster: Roster
):
    mine = await _draft(db, roster, "a" * 64, now=NOW - timedelta(hours=30))
    theirs = await _draft(db, roster, "b" * 64, now=NOW - timedelta(hours=30))
    async with db.begin() as session:
        assert await survey.current_draft(session, "a" * 64, NOW, 24) is None
    assert (await _get(db, mine)).status == "abandoned"
    assert (await _get(db, theirs)).status == "draft"
    fresh = await _draft(db, roster, "a" * 64)
    async with db.begin() as session:
        draft = await survey.current_draft(session, "a" * 64, NOW, 24)
        assert draft is not None and draft.id == fresh
        assert draft.service.unit.code == "DUKCAPIL"


async def test_a_new_draft_abandons_the_previous_one(db: SessionFactory, roster: Roster):
    first = await _draft(db, roster)
    second = await _draft(db, roster, service_id=roster.kk_id)
    assert (await _get(db, first)).status == "abandoned"
    assert (await _get(db, second)).status == "draft"
    assert (await _get(db, first)).token != (await _get(db, second)).token


async def test_submitted_on_counts_per_service_and_day(db: SessionFactory, roster: Roster):
    response_id = await _draft(db, roster)
    async with db.begin() as session:
        await survey.begin(session, response_id, NOW)
        for step in survey.UNSUR_STEPS:
            await survey.answer_unsur(session, response_id, step, 4, NOW)
        await survey.skip(session, response_id, "comment", NOW)
        for field in survey.PROFILE_STEPS:
            await survey.skip(session, response_id, field, NOW)
        await survey.submit(session, response_id, NOW, contact_chat_id=5, tz=WIB)
    async with db() as session:
        key = "k" * 64
        assert await survey_press.submitted_on(session, key, roster.ktp_id, date(2026, 11, 23)) == 1
        assert await survey_press.submitted_on(session, key, roster.kk_id, date(2026, 11, 23)) == 0
        assert await survey_press.submitted_on(session, key, roster.ktp_id, date(2026, 11, 24)) == 0
        assert (
            await survey_press.submitted_on(session, "z" * 64, roster.ktp_id, date(2026, 11, 23))
            == 0
        )


async def test_delete_user_data(db: SessionFactory, roster: Roster):
    await _draft(db, roster, "a" * 64)
    await _draft(db, roster, "a" * 64, service_id=roster.kk_id)
    await _draft(db, roster, "b" * 64)
    async with db.begin() as session:
        assert await survey.count_user_responses(session, "a" * 64) == 2
        assert await survey.delete_user_data(session, "a" * 64) == 2
        assert await survey.delete_user_data(session, "a" * 64) == 0
        assert await survey.count_user_responses(session, "b" * 64) == 1


async def test_entries_are_reused_and_opaque(db: SessionFactory, roster: Roster):
    async with db.begin() as session:
        entry, created = await survey.ensure_entry(session, roster.kk_id, None)
        again, created_again = await survey.ensure_entry(session, roster.kk_id, None)
        officer, _ = await survey.ensure_entry(session, roster.kk_id, roster.officer_id)
    assert created and not created_again and again.payload == entry.payload
    assert officer.payload != entry.payload
    assert survey.PAYLOAD_RE.match(entry.payload) and len(entry.payload) <= 64
    async with db() as session:
        assert (await survey_press.entry_target(session, entry.payload)) is not None
        assert await survey_press.entry_target(session, "s_ktpdesk0001") is not None
        assert await survey_press.entry_target(session, "s_oldposter01") is None  # inactive entry
        assert await survey_press.entry_target(session, "s_closedsvc01") is None  # inactive service
        assert await survey_press.entry_target(session, "s_nothing") is None


async def test_qr_services_scope(db: SessionFactory, roster: Roster):
    async with db.begin() as session:
        parent = await session.get(Unit, roster.unit_id)
        assert parent is not None
        child = Unit(code="DUKCAPIL-UPT", name="UPT Dukcapil Selatan", parent_id=parent.id)
        session.add(child)
        await session.flush()
        from storage.models import Service

        session.add(Service(code="AKTA", unit_id=child.id, name="Akta Kelahiran"))
    async with db() as session:
        every = await survey.qr_services(session)
        assert [s.code for s in every] == ["KK", "KTP", "AKTA"]
        in_unit = await survey.qr_services(session, unit_code="DUKCAPIL")
        assert [s.code for s in in_unit] == ["KK", "KTP", "AKTA"]
        child_only = await survey.qr_services(session, unit_code="DUKCAPIL-UPT")
        assert [s.code for s in child_only] == ["AKTA"]
        named = await survey.qr_services(session, service_codes=("KTP", "KTP"))
        assert [s.code for s in named] == ["KTP"]
        officer = await directory.employee_by_nip(session, "198001012005011001")
        assert officer is not None
        mine = await survey.qr_services(session, employee=officer)
        assert [s.code for s in mine] == ["KK", "KTP"]
        for kwargs, message in (
            ({"unit_code": "NOPE"}, "unknown unit"),
            ({"service_codes": ("NOPE",)}, "unknown service"),
            ({"service_codes": ("OLD",)}, "not active"),
            ({"unit_code": "DUKCAPIL-UPT", "service_codes": ("KTP",)}, "not in unit"),
        ):
            with pytest.raises(survey.QrScopeError, match=message):
                await survey.qr_services(session, **kwargs)
