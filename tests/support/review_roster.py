"""The 360° tests' organisation, and a cycle opened on it.

The roster is seeded with the models directly (not through the importer)::

    DINAS (head H)                       OTHER (O, no supervisor)
    ├── BIDANG-A: A (supervisor H)
    │   └── SEKSI-A1: A1, A2, A3 (supervisor A), X inactive (supervisor A)
    └── BIDANG-B: B (supervisor H)

H, A1 and O have linked Telegram accounts (`TG`; H in English, A1 and O with
no language chosen: the default, Indonesian). `open_cycle` opens "Siklus 1"
through the use case on Monday 7 January 2030 at 09:00 WIB with the deadline
Friday 25 January.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core.settings import Settings
from scheduler import cycles
from storage.db import SessionFactory
from storage.models import Employee, TelegramAccount, Unit

TG = {"H": 101, "A1": 102, "O": 103}
NIPS = {
    "H": "198001012005011001",
    "A": "198102022006012002",
    "B": "198203032007013003",
    "A1": "199001012015011004",
    "A2": "199102022016012005",
    "A3": "199203032017013006",
    "X": "199304042018014007",
    "O": "198504052010011008",
}


@dataclass
class Roster:
    ids: dict[str, int]  # person label → employee id
    units: dict[str, int]  # unit code → id

    def label(self, employee_id: int) -> str:
        return {v: k for k, v in self.ids.items()}[employee_id]


async def seed_roster(sessions: SessionFactory, *, link: bool = True) -> Roster:
    async with sessions.begin() as session:
        dinas = Unit(code="DINAS", name="Dinas Kependudukan")
        other = Unit(code="OTHER", name="Unit Lain")
        session.add_all([dinas, other])
        await session.flush()
        bidang_a = Unit(code="BIDANG-A", name="Bidang A", parent_id=dinas.id)
        bidang_b = Unit(code="BIDANG-B", name="Bidang B", parent_id=dinas.id)
        session.add_all([bidang_a, bidang_b])
        await session.flush()
        seksi = Unit(code="SEKSI-A1", name="Seksi A1", parent_id=bidang_a.id)
        session.add(seksi)
        await session.flush()

        def person(label: str, unit: Unit, boss: Employee | None, active: bool = True) -> Employee:
            return Employee(
                nip=NIPS[label],
                name=f"Pegawai {label}",
                unit_id=unit.id,
                supervisor_id=boss.id if boss else None,
                active=active,
            )

        h = person("H", dinas, None)
        o = person("O", other, None)
        session.add_all([h, o])
        await session.flush()
        a = person("A", bidang_a, h)
        b = person("B", bidang_b, h)
        session.add_all([a, b])
        await session.flush()
        a1, a2, a3 = (person(x, seksi, a) for x in ("A1", "A2", "A3"))
        x = person("X", seksi, a, active=False)
        session.add_all([a1, a2, a3, x])
        await session.flush()
        people = {"H": h, "A": a, "B": b, "A1": a1, "A2": a2, "A3": a3, "X": x, "O": o}
        if link:
            session.add_all(
                [
                    TelegramAccount(telegram_user_id=TG["H"], employee_id=h.id, language="en"),
                    TelegramAccount(telegram_user_id=TG["A1"], employee_id=a1.id),
                    TelegramAccount(telegram_user_id=TG["O"], employee_id=o.id),
                ]
            )
        units = {u.code: u.id for u in (dinas, other, bidang_a, bidang_b, seksi)}
        return Roster({k: v.id for k, v in people.items()}, units)


WIB = ZoneInfo("Asia/Jakarta")
OPENED = date(2030, 1, 7)  # a Monday
DEADLINE = date(2030, 1, 25)  # a Friday


def wib(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


async def open_cycle(
    sessions: SessionFactory,
    settings: Settings,
    name: str = "Siklus 1",
    opened: date = OPENED,
    deadline: date = DEADLINE,
) -> int:
    async with sessions.begin() as session:
        result = await cycles.open_cycle(
            session,
            name=name,
            deadline=deadline,
            actor="test",
            now=wib(opened, 9),
            settings=settings,
        )
    return result.cycle_id
