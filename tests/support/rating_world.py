"""An open 360° cycle to rate in: a unit head with three staff, all linked.

`seed_review` writes the roster (once per database) and one open cycle with
fixed assignments and tokens, directly with the models: ani>budi and
ani>citra peer, ani>ani self, ani>head subordinate, head>ani supervisor,
head>head self, budi>ani peer. The deadline defaults to a week from today in
Jakarta (`today_local`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.db import SessionFactory
from storage.models import Employee, TelegramAccount, Unit
from storage.review_models import (
    PEER,
    SELF,
    SUBORDINATE,
    SUPERVISOR,
    ReviewAssignment,
    ReviewCycle,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
ITEMS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7")

# Telegram ids of the seeded people.
HEAD_TG = 5001
ANI_TG = 5002
BUDI_TG = 5003
CITRA_TG = 5004


@dataclass
class Seeded:
    """Ids and tokens of the seeded roster and cycle."""

    cycle_id: int
    head_id: int
    ani_id: int
    budi_id: int
    citra_id: int
    tokens: dict[str, str]  # name → token, e.g. "ani>budi"


def today_local() -> date:
    return datetime.now(UTC).astimezone(JAKARTA).date()


async def seed_review(
    sessions: SessionFactory,
    *,
    deadline: date | None = None,
    instrument: str = "berakhlak3",
    cycle_name: str = "Triwulan I 2026",
    prefix: str = "",
) -> Seeded:
    """A unit head with three staff, all linked, and one open cycle with these assignments.

    ani>budi and ani>citra peer, ani>ani self, ani>head subordinate (Ani rates
    her supervisor), head>ani supervisor (the head rates Ani), head>head self,
    budi>ani peer. Tokens are ``<prefix><rater><ratee>`` padded to 16 characters.
    """
    deadline = deadline or today_local() + timedelta(days=7)
    async with sessions.begin() as session:
        unit = await session.scalar(select(Unit).where(Unit.code == "DUKCAPIL"))
        if unit is None:
            unit = Unit(code="DUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil")
            session.add(unit)
            await session.flush()
        people = {}
        existing = {e.nip: e for e in await session.scalars(select(Employee))}
        for key, nip, name, telegram in (
            ("head", "197001011995031001", "Hendra Wijaya", HEAD_TG),
            ("ani", "198502022010012002", "Ani Lestari", ANI_TG),
            ("budi", "198703032011011003", "Budi Santoso", BUDI_TG),
            ("citra", "199004042015012004", "Citra Dewi", CITRA_TG),
        ):
            employee = existing.get(nip)
            if employee is None:
                employee = Employee(nip=nip, name=name, unit_id=unit.id)
                session.add(employee)
                await session.flush()
                session.add(TelegramAccount(telegram_user_id=telegram, employee_id=employee.id))
            people[key] = employee
        for key in ("ani", "budi", "citra"):
            people[key].supervisor_id = people["head"].id
        cycle = ReviewCycle(name=cycle_name, deadline=deadline, instrument=instrument)
        session.add(cycle)
        await session.flush()
        plan = (
            ("ani", "budi", PEER),
            ("ani", "citra", PEER),
            ("ani", "ani", SELF),
            ("ani", "head", SUBORDINATE),
            ("head", "ani", SUPERVISOR),
            ("head", "head", SELF),
            ("budi", "ani", PEER),
        )
        tokens = {}
        for rater, ratee, relation in plan:
            token = f"{prefix}{rater}{ratee}".ljust(16, "0")[:16]
            tokens[f"{rater}>{ratee}"] = token
            session.add(
                ReviewAssignment(
                    cycle_id=cycle.id,
                    rater_id=people[rater].id,
                    ratee_id=people[ratee].id,
                    relation=relation,
                    token=token,
                )
            )
        return Seeded(
            cycle.id,
            people["head"].id,
            people["ani"].id,
            people["budi"].id,
            people["citra"].id,
            tokens,
        )
