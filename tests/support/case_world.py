"""The world of the case and praise tests: the alert world (tests/support/alert_world.py)
under a city secretariat, with linked staff, a unit admin and an admin of another unit.

    SETDA  Sekretariat Daerah           head: Hendra (SEKDA_TG), the head above
      DUKCAPIL  Disdukcapil             head: Siti (HEAD_TG); admin UNIT_ADMIN_TG
        DUKCAPIL-PL  Bidang Pelayanan   no head (AKTA, paid)
        officer Budi (OFFICER_TG, supervisor Siti), staff Rina (STAFF_TG)
    DINKES  Dinas Kesehatan             admin OTHER_ADMIN_TG

The clock of these tests starts on Monday 23 November 2026 at 12:00 in Jakarta
(`NOON`): a case opened then must get its first response by the end of
Wednesday 25th, and is past the target twice at the end of Friday 27th.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from storage.db import SessionFactory
from storage.models import Employee, TelegramAccount, Unit
from tests.support.alert_world import (
    OTHER_ADMIN_TG,
    UNIT_ADMIN_TG,
    WIB,
    World,
    add_unit_admin,
    seed_world,
)
from tests.support.citizen import OFFICER_NIP

SEKDA_TG = 700400
OFFICER_TG = 700500
STAFF_TG = 700600
STAFF_NAME = "Rina Wulandari"
SEKDA_NAME = "Hendra Gunawan"
DUE = datetime(2026, 11, 26, 0, 0, tzinfo=WIB).astimezone(UTC)  # the target passes
TWICE = datetime(2026, 11, 28, 0, 0, tzinfo=WIB).astimezone(UTC)  # ...and passes twice


@dataclass
class CaseWorld:
    world: World
    top_unit_id: int
    sekda_id: int
    staff_id: int


async def seed_case_world(sessions: SessionFactory) -> CaseWorld:
    world = await seed_world(sessions)
    async with sessions.begin() as session:
        top = Unit(code="SETDA", name="Sekretariat Daerah")
        session.add(top)
        await session.flush()
        sekda = Employee(nip="197001011995031001", name=SEKDA_NAME, unit_id=top.id)
        staff = Employee(
            nip="199505052020122001",
            name=STAFF_NAME,
            position="Pengadministrasi",
            unit_id=world.unit_id,
            supervisor_id=world.head_id,
        )
        session.add_all([sekda, staff])
        await session.flush()
        top.head_employee_id = sekda.id
        await session.execute(update(Unit).where(Unit.id == world.unit_id).values(parent_id=top.id))
        officer = await session.scalar(select(Employee).where(Employee.nip == OFFICER_NIP))
        officer.supervisor_id = world.head_id
        session.add_all(
            [
                TelegramAccount(telegram_user_id=SEKDA_TG, employee_id=sekda.id),
                TelegramAccount(telegram_user_id=OFFICER_TG, employee_id=officer.id),
                TelegramAccount(telegram_user_id=STAFF_TG, employee_id=staff.id),
            ]
        )
        ids = (top.id, sekda.id, staff.id)
    await add_unit_admin(sessions, UNIT_ADMIN_TG, world.unit_id)
    await add_unit_admin(sessions, OTHER_ADMIN_TG, world.other_unit_id)
    return CaseWorld(world, *ids)
