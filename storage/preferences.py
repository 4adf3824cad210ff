"""Per-user preferences keyed by pseudonym (language)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage.models import TelegramAccount, UserPreference


async def get_language(session: AsyncSession, user_key: str) -> str | None:
    return await session.scalar(
        select(UserPreference.language).where(UserPreference.user_key == user_key)
    )


async def set_language(
    session: AsyncSession, user_key: str, telegram_user_id: int, language: str
) -> None:
    row = await session.get(UserPreference, user_key)
    if row is None:
        session.add(UserPreference(user_key=user_key, language=language))
    else:
        row.language = language
        row.updated_at = utcnow()
    account = await session.scalar(
        select(TelegramAccount).where(TelegramAccount.telegram_user_id == telegram_user_id)
    )
    if account is not None:
        account.language = language
