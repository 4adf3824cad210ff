"""The ASN of one unit with a linked Telegram account: who sees a unit's open results."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Employee, TelegramAccount, Unit


async def linked_members(
    session: AsyncSession, unit_code: str
) -> list[tuple[Employee, TelegramAccount]]:
    """Active employees whose own unit is ``unit_code`` (not its sub-units), linked."""
    rows = await session.execute(
        select(Employee, TelegramAccount)
        .join(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Unit.code == unit_code, Employee.active.is_(True))
        .order_by(Employee.id)
    )
    return [(e, a) for e, a in rows.all()]
