"""Outbox test data: an empty outbox, and a linked account to send to.

Shared by the outbox's storage tests and the sender's tests. The suite may
share one PostgreSQL database between tests, so a test empties the outbox
tables and removes the accounts it linked (`clear_outbox`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from storage.db import SessionFactory
from storage.models import Employee, TelegramAccount, Unit
from storage.outbox_models import OutboxMessage, UnreachableChat


async def clear_outbox(sessions: SessionFactory, telegram_ids: tuple[int, ...] = ()) -> None:
    """Empty the outbox tables, and remove the test's linked accounts and their roster."""
    async with sessions.begin() as session:
        await session.execute(delete(OutboxMessage))
        await session.execute(delete(UnreachableChat))
        if not telegram_ids:
            return
        employee_ids = list(
            await session.scalars(
                select(TelegramAccount.employee_id).where(
                    TelegramAccount.telegram_user_id.in_(telegram_ids)
                )
            )
        )
        if not employee_ids:
            return
        unit_ids = list(
            await session.scalars(select(Employee.unit_id).where(Employee.id.in_(employee_ids)))
        )
        await session.execute(
            delete(TelegramAccount).where(TelegramAccount.employee_id.in_(employee_ids))
        )
        await session.execute(delete(Employee).where(Employee.id.in_(employee_ids)))
        await session.execute(delete(Unit).where(Unit.id.in_(unit_ids)))


async def linked_account(sessions: SessionFactory, telegram_user_id: int) -> int:
    """A unit, an employee and their linked Telegram account; returns the employee id."""
    suffix = uuid.uuid4().hex[:8]
    async with sessions.begin() as session:
        unit = Unit(code=f"U{suffix}", name="Dinas Uji")
        session.add(unit)
        await session.flush()
        employee = Employee(nip=f"19{suffix}00000000"[:18], name="Budi", unit_id=unit.id)
        session.add(employee)
        await session.flush()
        session.add(TelegramAccount(telegram_user_id=telegram_user_id, employee_id=employee.id))
        return employee.id
