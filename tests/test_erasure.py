"""`storage.erasure` on its own: what an erasure counts and takes, what it leaves.

The alert job writes the alerts (and cases) of a citizen's responses; the test
adds the outbox rows the other features would (a relay, a praise note quoting
two citizens, an employee's reminder to the same chat) and erases.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.core.settings import Settings
from scheduler.jobs import low_score_alerts as alerts
from scheduler.jobs.specs import JobContext
from storage import confirmations, erasure
from storage.case_models import SurveyCase
from storage.confirmation_models import Confirmation
from storage.db import SessionFactory
from storage.models import UserPreference
from storage.outbox import enqueue
from storage.outbox_models import QUEUED, SENT, OutboxMessage, UnreachableChat
from storage.survey_models import DRAFT, SurveyAlert, SurveyRelay, SurveyResponse
from tests.support.alert_world import CITIZEN_KEY, NOON, seed_world, submit

CHAT = 4242424242
LOW = (1, 2, 2, 2, 2, 2, 1, 2, 2)
COMMENT = "Antrean panjang sekali, petugas tidak ada"
OTHER_KEY = "o" * 64


async def queue(sessions: SessionFactory, chat_id: int, key: str, text: str, status: str) -> None:
    async with sessions.begin() as session:
        await enqueue(
            session, chat_id=chat_id, kind="test", text=text, dedupe_key=key, priority=5, now=NOON
        )
        if status != QUEUED:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
            row.status = status


async def outbox(sessions: SessionFactory) -> dict[str, tuple[str, str]]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage))
        return {r.dedupe_key: (r.status, json.loads(r.content)["text"]) for r in rows}


async def test_erasure_takes_the_responses_and_everything_about_them(
    sessions: SessionFactory, settings: Settings
):
    world = await seed_world(sessions)
    mine = await submit(sessions, world.ktp_id, LOW, comment=COMMENT, contact=CHAT)
    theirs = await submit(
        sessions, world.ktp_id, LOW, comment="Ruang tunggu panas", user_key=OTHER_KEY
    )
    await alerts.run(JobContext(settings, sessions, NOON))
    async with sessions.begin() as session:
        token = await session.scalar(
            select(SurveyAlert.token).where(SurveyAlert.response_id == mine)
        )
        session.add(
            SurveyRelay(response_id=mine, direction="to_citizen", text="Maaf", employee_id=None)
        )
        session.add(UserPreference(user_key=CITIZEN_KEY, language="en"))
        await confirmations.issue(
            session, action="erase", owner_key=CITIZEN_KEY, now=NOON, ttl=timedelta(minutes=5)
        )
        await confirmations.issue(
            session,
            action="relay",
            owner_key="h" * 64,
            subject=f"alert:{token}",
            payload={"role": "head", "text": "draft"},
            now=NOON,
            ttl=timedelta(minutes=5),
        )
        draft = SurveyResponse(
            token="d" * 12,
            user_key=CITIZEN_KEY,
            service_id=world.akta_id,
            status=DRAFT,
            local_date=NOON.date(),
        )
        session.add(draft)
        await session.flush()
        draft_id = draft.id
    await queue(sessions, CHAT, f"relay:{token}:n1", "Balasan dari unit: Maaf", SENT)
    quoted = f"Warga memuji:\n• “{COMMENT}” (KTP)\n• “Pak Budi ramah sekali” (KTP)"
    await queue(sessions, 555, "praise:x", quoted, QUEUED)
    await queue(sessions, CHAT, "review_reminder:7:2026-11-23", "Masih ada 2 rekan", QUEUED)
    async with sessions.begin() as session:
        session.add(UnreachableChat(chat_id=CHAT))  # they blocked the bot once
    async with sessions() as session:
        cases_before = len((await session.scalars(select(SurveyCase))).all())
    assert cases_before == 2

    my_alerts = len([k for k in await outbox(sessions) if k.startswith(f"alert:{mine}:")])
    assert my_alerts >= 1
    async with sessions() as session:
        held = await erasure.holdings(session, CITIZEN_KEY)
    assert held.response_ids == [mine, draft_id] and held.unfinished == 1
    assert (held.contacts, held.messages, held.preference) == (1, 1, True)

    async with sessions.begin() as session:
        erased = await erasure.erase(
            session, user_key=CITIZEN_KEY, chat_id=CHAT, response_ids=[mine], preference=True
        )
    assert (erased.responses, erased.messages, erased.preference) == (1, 1, True)

    rows = await outbox(sessions)
    # Their alerts (queued or sent) and relays are gone; the others' stay.
    assert not [k for k in rows if k.startswith(f"alert:{mine}:") or k.startswith("relay:")]
    assert [k for k in rows if k.startswith(f"alert:{theirs}:")]
    # The praise note keeps the other citizen's praise; the reminder is the employee's.
    assert rows["praise:x"] == (QUEUED, "Warga memuji:\n• “Pak Budi ramah sekali” (KTP)")
    assert rows["review_reminder:7:2026-11-23"] == (QUEUED, "Masih ada 2 rekan")
    assert erased.notifications == my_alerts + 2  # their alerts, the relay, the note cut
    async with sessions() as session:
        left = {r.id for r in await session.scalars(select(SurveyResponse))}
        kept = (await session.scalars(select(Confirmation.owner_key))).all()
        cases = (await session.scalars(select(SurveyCase))).all()
        assert await session.get(UserPreference, CITIZEN_KEY) is None
        assert await session.get(UnreachableChat, CHAT) is None
    # Only what the confirmation counted: the draft started after it stays.
    assert left == {theirs, draft_id}
    assert kept == []  # their own confirmation and the head's draft relay to them
    assert len(cases) == 1


async def test_an_erasure_touches_only_its_own_pseudonym(
    sessions: SessionFactory, settings: Settings
):
    world = await seed_world(sessions)
    theirs = await submit(sessions, world.ktp_id, LOW, user_key=OTHER_KEY)
    async with sessions.begin() as session:
        erased = await erasure.erase(
            session, user_key=CITIZEN_KEY, chat_id=None, response_ids=[theirs], preference=False
        )
    assert erased.responses == 0
    async with sessions() as session:
        assert await session.get(SurveyResponse, theirs) is not None
        assert (await erasure.holdings(session, CITIZEN_KEY)).empty
