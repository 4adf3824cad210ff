"""The world of the low-score alert tests: a unit with a linked head, and submitted surveys.

`seed_world` adds to the citizen roster (tests/support/citizen.py) a linked unit
head and a sub-unit with a paid service; `submit` writes a submitted response
directly with the models, as the survey leaves it, at a chosen moment (by
default five minutes before Monday 23 November 2026, 12:00 in Jakarta).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from storage import survey
from storage.crypto import new_token
from storage.db import SessionFactory
from storage.models import Employee, Service, TelegramAccount, Unit, UnitAdmin
from storage.survey_models import SUBMITTED, SurveyResponse
from tests.support.citizen import seed_roster

WIB = ZoneInfo("Asia/Jakarta")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=WIB).astimezone(UTC)
HEAD_TG = 700100
UNIT_ADMIN_TG = 700200  # an admin of Disdukcapil (not in ADMIN_IDS, not an employee)
OTHER_ADMIN_TG = 700300  # an admin of Dinas Kesehatan
HEAD_NAME = "Siti Rahmawati"
CITIZEN_KEY = "c" * 64
GOOD = (4, 4, 4, 4, 4, 4, 4, 4, 4)


@dataclass
class World:
    unit_id: int  # Disdukcapil (its head is linked)
    other_unit_id: int  # Dinas Kesehatan, beside it
    sub_unit_id: int  # a sub-unit without a head of its own
    ktp_id: int  # free service of the unit
    akta_id: int  # paid service of the sub-unit
    officer_id: int
    head_id: int


async def seed_world(sessions: SessionFactory, *, head_language: str | None = "id") -> World:
    """The citizen roster plus a linked unit head and a sub-unit with a paid service."""
    roster = await seed_roster(sessions)
    async with sessions.begin() as session:
        head = Employee(nip="197501012000032001", name=HEAD_NAME, unit_id=roster.unit_id)
        sub = Unit(code="DUKCAPIL-PL", name="Bidang Pelayanan", parent_id=roster.unit_id)
        session.add_all([head, sub])
        await session.flush()
        akta = Service(code="AKTA", unit_id=sub.id, name="Legalisir Akta", free=False)
        session.add(akta)
        session.add(
            TelegramAccount(telegram_user_id=HEAD_TG, employee_id=head.id, language=head_language)
        )
        await session.execute(
            update(Unit).where(Unit.id == roster.unit_id).values(head_employee_id=head.id)
        )
        await session.flush()
        return World(
            roster.unit_id,
            roster.empty_unit_id,
            sub.id,
            roster.ktp_id,
            akta.id,
            roster.officer_id,
            head.id,
        )


async def add_unit_admin(sessions: SessionFactory, telegram_user_id: int, unit_id: int) -> None:
    """A unit admin, as ``ulasan admin add`` leaves it."""
    async with sessions.begin() as session:
        session.add(UnitAdmin(telegram_user_id=telegram_user_id, unit_id=unit_id, added_by="test"))


async def submit(
    sessions: SessionFactory,
    service_id: int,
    scores: tuple[int, ...] = GOOD,
    *,
    comment: str | None = None,
    contact: int | None = None,
    at: datetime = NOON - timedelta(minutes=5),
    officer_id: int | None = None,
    user_key: str = CITIZEN_KEY,
    language: str = "id",
) -> int:
    """A submitted response, written as the survey leaves it."""
    async with sessions.begin() as session:
        response = SurveyResponse(
            token=new_token(9),
            user_key=user_key,
            service_id=service_id,
            employee_id=officer_id,
            status=SUBMITTED,
            step=survey.DONE,
            language=language,
            local_date=at.astimezone(WIB).date(),
            started_at=at - timedelta(minutes=2),
            updated_at=at,
            submitted_at=at,
            comment=comment,
            contact_ok=contact is not None,
            contact_chat_id=contact,
            **{f"u{i}": score for i, score in enumerate(scores, start=1)},
        )
        session.add(response)
        await session.flush()
        return response.id
