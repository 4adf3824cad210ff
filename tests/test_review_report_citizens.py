"""The personal 360° report at close also says what citizens said about the ratee (officer
QR codes) between the cycle's opening and its close, under FEEDBACK_MIN_CITIZENS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.core.settings import Settings
from scheduler import cycles
from storage.crypto import new_token
from storage.db import SessionFactory
from storage.models import Service, Unit
from storage.outbox_models import OutboxMessage
from storage.review_models import ReviewCycle
from storage.survey_models import SUBMITTED, SurveyResponse
from tests.support.result_world import NOW, TG, base_reviews, seed

OPENED = datetime(2030, 1, 2, 1, 0, tzinfo=UTC)


async def answer(sessions: SessionFactory, officer_id: int, n: int, at: datetime) -> None:
    """``n`` submitted citizen answers at a QR code naming the officer (U6 3, U7 4)."""
    async with sessions.begin() as session:
        unit_id = await session.scalar(select(Unit.id).limit(1))
        service = Service(code=f"S{officer_id}-{n}", unit_id=unit_id, name="Perekaman KTP-el")
        session.add(service)
        await session.flush()
        for i in range(n):
            moment = at + timedelta(minutes=i)
            session.add(
                SurveyResponse(
                    token=new_token(9),
                    user_key=f"{officer_id:032d}{i:032d}",
                    service_id=service.id,
                    employee_id=officer_id,
                    status=SUBMITTED,
                    step="done",
                    local_date=moment.date(),
                    started_at=moment,
                    updated_at=moment,
                    submitted_at=moment,
                    comment="Cepat, hubungi 081234567890" if i == 0 else None,
                    **{f"u{k}": 4 for k in range(1, 10)} | {"u6": 3},
                )
            )


async def test_the_report_shows_citizens_for_the_cycles_dates(
    sessions: SessionFactory, settings: Settings
):
    seeded = await seed(sessions, base_reviews(peers=3))
    async with sessions.begin() as session:
        await session.execute(update(ReviewCycle).values(opened_at=OPENED))
    await answer(sessions, seeded.ids["R"], 10, OPENED + timedelta(days=3))
    await answer(sessions, seeded.ids["R"], 5, OPENED - timedelta(days=3))  # before: not counted
    async with sessions.begin() as session:
        await cycles.queue_close_reports(session, settings, seeded.cycle_id, NOW)
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()

    def body(chat: int) -> str:
        return "\n".join(
            json.loads(r.content)["text"]
            for r in rows
            if r.chat_id == chat and r.kind == cycles.REPORT_KIND
        )

    rina = body(TG["R"])
    assert "Warga (kode QR petugas), n = 10:" in rina
    assert "U6 Kompetensi pelaksana: 3,00" in rina and "U7 Perilaku pelaksana: 4,00" in rina
    assert "“Cepat, hubungi [TELEPON]”" in rina and "0812" not in rina
    assert "Warga" not in body(TG["P1"])  # nobody answered about P1: no section


async def test_below_the_minimum_only_the_count(sessions: SessionFactory, settings: Settings):
    seeded = await seed(sessions, base_reviews(peers=3))
    async with sessions.begin() as session:
        await session.execute(update(ReviewCycle).values(opened_at=OPENED))
    await answer(sessions, seeded.ids["R"], 3, OPENED + timedelta(days=3))
    async with sessions.begin() as session:
        await cycles.queue_close_reports(session, settings, seeded.cycle_id, NOW)
    async with sessions() as session:
        texts = (
            await session.scalars(
                select(OutboxMessage.content).where(OutboxMessage.chat_id == TG["R"])
            )
        ).all()
    body = "\n".join(json.loads(t)["text"] for t in texts)
    assert "Warga (kode QR petugas): 3 jawaban, kurang dari 10" in body
    assert "U6" not in body and "Cepat" not in body
