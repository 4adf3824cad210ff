"""``housekeeping`` with a clock the tests control: stale drafts abandoned (their step
kept), pseudonyms and contact chat ids removed after RETENTION_DAYS (scores kept), old
link failures and done outbox rows pruned, and a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.core.settings import Settings
from scheduler.jobs import housekeeping
from scheduler.jobs.specs import JobContext
from storage.crypto import new_token
from storage.db import SessionFactory
from storage.models import LinkFailure, Service, Unit
from storage.outbox_models import CANCELLED, FAILED, QUEUED, SENT, OutboxMessage
from storage.survey_models import ABANDONED, DRAFT, SUBMITTED, SurveyResponse

NOW = datetime(2031, 6, 2, 3, 0, tzinfo=UTC)
SCORES = {f"u{i}": 3 for i in range(1, 10)}


async def seed_service(sessions: SessionFactory) -> int:
    async with sessions.begin() as session:
        unit = Unit(code="DUKCAPIL", name="Dinas Kependudukan")
        session.add(unit)
        await session.flush()
        service = Service(code="KTP", unit_id=unit.id, name="Perekaman KTP-el")
        session.add(service)
        await session.flush()
        return service.id


async def add_response(
    sessions: SessionFactory,
    service_id: int,
    *,
    status: str,
    started: datetime,
    updated: datetime | None = None,
    submitted: datetime | None = None,
    step: str = "done",
    chat_id: int | None = None,
) -> int:
    async with sessions.begin() as session:
        response = SurveyResponse(
            token=new_token(),
            user_key="k" * 64,
            service_id=service_id,
            status=status,
            step=step,
            local_date=date(started.year, started.month, started.day),
            started_at=started,
            updated_at=updated or started,
            submitted_at=submitted,
            contact_ok=chat_id is not None,
            contact_chat_id=chat_id,
            comment="Pelayanan cepat",
            **(SCORES if status == SUBMITTED else {"u1": 2}),
        )
        session.add(response)
        await session.flush()
        return response.id


async def responses(sessions: SessionFactory) -> dict[int, SurveyResponse]:
    async with sessions() as session:
        return {r.id: r for r in (await session.scalars(select(SurveyResponse))).all()}


async def run(sessions: SessionFactory, settings: Settings, now: datetime = NOW) -> str:
    return await housekeeping.run(JobContext(settings, sessions, now))


async def test_stale_drafts_are_abandoned_with_their_step(
    sessions: SessionFactory, settings: Settings
):
    service = await seed_service(sessions)
    stale = await add_response(
        sessions, service, status=DRAFT, started=NOW - timedelta(hours=30), step="U3"
    )
    fresh = await add_response(
        sessions, service, status=DRAFT, started=NOW - timedelta(hours=2), step="U5"
    )
    summary = await run(sessions, settings)
    assert summary.startswith("1 stale drafts abandoned")
    found = await responses(sessions)
    assert (found[stale].status, found[stale].step) == (ABANDONED, "U3")
    assert found[stale].updated_at == NOW - timedelta(hours=30)  # when they stopped
    assert (found[fresh].status, found[fresh].step) == (DRAFT, "U5")


async def test_retention_removes_pseudonyms_and_chat_ids_but_keeps_scores(
    sessions: SessionFactory, settings: Settings
):
    service = await seed_service(sessions)
    old = NOW - timedelta(days=settings.retention_days + 1)
    recent = NOW - timedelta(days=settings.retention_days - 1)
    old_id = await add_response(
        sessions, service, status=SUBMITTED, started=old, submitted=old, chat_id=555
    )
    recent_id = await add_response(
        sessions, service, status=SUBMITTED, started=recent, submitted=recent, chat_id=556
    )
    # Never submitted: its age counts from the start.
    old_draft = await add_response(sessions, service, status=ABANDONED, started=old, step="U2")
    summary = await run(sessions, settings)
    assert "2 responses older than 365 days stripped" in summary
    found = await responses(sessions)
    stripped = found[old_id]
    assert (stripped.user_key, stripped.contact_chat_id) == (None, None)
    assert stripped.answers() == {f"U{i}": 3 for i in range(1, 10)}
    assert (stripped.status, stripped.comment, stripped.submitted_at) == (
        SUBMITTED,
        "Pelayanan cepat",
        old,
    )
    assert (found[old_draft].user_key, found[old_draft].step) == (None, "U2")
    kept = found[recent_id]
    assert (kept.user_key, kept.contact_chat_id) == ("k" * 64, 556)


async def test_old_link_failures_and_done_outbox_rows_are_pruned(
    sessions: SessionFactory, settings: Settings
):
    long_ago = NOW - timedelta(days=100)
    async with sessions.begin() as session:
        session.add_all(
            [
                LinkFailure(user_key="a" * 64, at=NOW - timedelta(days=30)),
                LinkFailure(user_key="b" * 64, at=NOW - timedelta(minutes=5)),
            ]
        )
        for n, (status, created) in enumerate(
            [
                (SENT, long_ago),
                (CANCELLED, long_ago),
                (FAILED, long_ago),  # kept for the operator
                (QUEUED, long_ago),  # still to send
                (SENT, NOW - timedelta(days=10)),
            ]
        ):
            session.add(
                OutboxMessage(
                    chat_id=1000 + n,
                    kind="test",
                    content='{"text": "x"}',
                    dedupe_key=f"test:{n}",
                    not_before=created,
                    status=status,
                    created_at=created,
                    sent_at=created if status == SENT else None,
                )
            )
    summary = await run(sessions, settings)
    assert "1 old link failures and 2 done outbox rows older than 90 days removed" in summary
    async with sessions() as session:
        left = sorted(
            (row.status, row.dedupe_key) for row in await session.scalars(select(OutboxMessage))
        )
        failures = (await session.scalars(select(LinkFailure.user_key))).all()
    assert left == [(FAILED, "test:2"), (QUEUED, "test:3"), (SENT, "test:4")]
    assert failures == ["b" * 64]


async def test_a_second_run_changes_nothing(sessions: SessionFactory, settings: Settings):
    service = await seed_service(sessions)
    old = NOW - timedelta(days=400)
    await add_response(sessions, service, status=SUBMITTED, started=old, submitted=old, chat_id=7)
    await add_response(sessions, service, status=DRAFT, started=NOW - timedelta(days=2))
    first = await run(sessions, settings)
    assert first.startswith("1 stale drafts abandoned; 1 responses")
    before = {
        i: (r.status, r.step, r.user_key, r.contact_chat_id, r.answers())
        for i, r in (await responses(sessions)).items()
    }
    second = await run(sessions, settings, NOW + timedelta(minutes=1))
    assert second.startswith("0 stale drafts abandoned; 0 responses")
    assert "0 old link failures and 0 done outbox rows" in second
    after = {
        i: (r.status, r.step, r.user_key, r.contact_chat_id, r.answers())
        for i, r in (await responses(sessions)).items()
    }
    assert after == before
