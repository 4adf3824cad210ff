"""Shared organisation lookups."""

from __future__ import annotations

from storage.db import create_engine, session_factory
from storage.directory import accounts_by_employee, employee_by_telegram, unit_subtree_ids
from storage.models import Employee, TelegramAccount, Unit


async def test_lookups(migrated: str):
    engine = create_engine(migrated)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            top = Unit(code="D", name="Dinas")
            session.add(top)
            await session.flush()
            mid = Unit(code="B", name="Bidang", parent_id=top.id)
            other = Unit(code="X", name="Lain")
            session.add_all([mid, other])
            await session.flush()
            low = Unit(code="S", name="Seksi", parent_id=mid.id)
            session.add(low)
            await session.flush()
            alive = Employee(nip="1" * 18, name="A", unit_id=mid.id)
            gone = Employee(nip="2" * 18, name="B", unit_id=mid.id, active=False)
            session.add_all([alive, gone])
            await session.flush()
            session.add_all(
                [
                    TelegramAccount(telegram_user_id=11, employee_id=alive.id),
                    TelegramAccount(telegram_user_id=22, employee_id=gone.id),
                ]
            )
        async with sessions() as session:
            assert sorted(await unit_subtree_ids(session, top.id)) == sorted(
                [top.id, mid.id, low.id]
            )
            assert await unit_subtree_ids(session, low.id) == [low.id]
            assert (await employee_by_telegram(session, 11)).name == "A"
            assert await employee_by_telegram(session, 22) is None  # inactive
            assert await employee_by_telegram(session, 33) is None
            accounts = await accounts_by_employee(session, [alive.id, gone.id, 999])
            assert set(accounts) == {alive.id, gone.id}
    finally:
        await engine.dispose()
