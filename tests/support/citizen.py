"""Shared pieces of the citizen survey tests: a seeded roster and a scripted citizen.

The roster is written directly through the models (not the importer), so these
tests depend only on the survey feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from storage.db import SessionFactory
from storage.models import Employee, Service, Unit
from storage.survey_models import SurveyEntry, SurveyResponse
from tests.support.fakeuser import FakeUser, Reply
from tests.support.records import Sent

QR = "s_ktpdesk0001"
QR_OFFICER = "s_budidesk001"
QR_INACTIVE = "s_oldposter01"
QR_INACTIVE_SERVICE = "s_closedsvc01"
OFFICER_NIP = "198001012005011001"
ALL_FOURS = (4, 4, 4, 4, 4, 4, 4, 4, 4)


@dataclass
class Roster:
    unit_id: int
    empty_unit_id: int
    ktp_id: int
    kk_id: int
    closed_id: int
    officer_id: int


async def seed_roster(sessions: SessionFactory) -> Roster:
    async with sessions.begin() as session:
        dukcapil = Unit(code="DUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil")
        dinkes = Unit(code="DINKES", name="Dinas Kesehatan")  # no active service
        session.add_all([dukcapil, dinkes])
        await session.flush()
        ktp = Service(code="KTP", unit_id=dukcapil.id, name="Perekaman KTP-el", free=True)
        kk = Service(code="KK", unit_id=dukcapil.id, name="Kartu Keluarga", free=True)
        closed = Service(code="OLD", unit_id=dukcapil.id, name="Layanan Lama", active=False)
        vaccine = Service(code="VAKSIN", unit_id=dinkes.id, name="Vaksinasi", active=False)
        officer = Employee(nip=OFFICER_NIP, name="Budi Santoso", unit_id=dukcapil.id)
        session.add_all([ktp, kk, closed, vaccine, officer])
        await session.flush()
        session.add_all(
            [
                SurveyEntry(payload=QR, service_id=ktp.id),
                SurveyEntry(payload=QR_OFFICER, service_id=ktp.id, employee_id=officer.id),
                SurveyEntry(payload=QR_INACTIVE, service_id=kk.id, active=False),
                SurveyEntry(payload=QR_INACTIVE_SERVICE, service_id=closed.id),
            ]
        )
        return Roster(dukcapil.id, dinkes.id, ktp.id, kk.id, closed.id, officer.id)


async def responses(sessions: SessionFactory) -> list[SurveyResponse]:
    async with sessions() as session:
        rows = await session.scalars(select(SurveyResponse).order_by(SurveyResponse.id))
        return list(rows)


async def snapshot(
    sessions: SessionFactory, *, with_message_id: bool = True
) -> list[dict[str, Any]]:
    """Every stored column of every response, to prove that nothing was written."""
    rows = []
    for response in await responses(sessions):
        row = {c.name: getattr(response, c.key) for c in SurveyResponse.__mapper__.columns}
        if not with_message_id:
            row.pop("message_id")
        rows.append(row)
    return rows


def survey_message(user: FakeUser) -> Sent:
    return user.last_with_buttons()


async def choose(user: FakeUser, position: int) -> Reply:
    """Press the ``position``-th button (1-based) of the survey message: score for a question."""
    message = survey_message(user)
    button = message.buttons()[position - 1]
    return await user.press_data(button["callback_data"], message)


async def answer_all(user: FakeUser, scores: tuple[int, ...] = ALL_FOURS) -> None:
    for score in scores:
        await choose(user, score)


async def complete(
    user: FakeUser,
    payload: str = QR,
    scores: tuple[int, ...] = ALL_FOURS,
    comment: str | None = None,
    profile: tuple[int, int, int, int] | None = None,
    consent: bool = False,
) -> Reply:
    """Scan, answer everything and finish; returns the last reply."""
    await user.send(f"/start {payload}")
    await user.press("Mulai" if user.language_code != "en" else "Start")
    await answer_all(user, scores)
    skip = "Skip" if user.language_code == "en" else "Lewati"
    if comment is None:
        await user.press(skip)
    else:
        await user.send(comment)
    for index in range(4):
        if profile is None:
            await user.press(skip)
        else:
            await choose(user, profile[index])
    if consent:
        return await user.press("Ya" if user.language_code != "en" else "Yes")
    return await user.press(skip)
