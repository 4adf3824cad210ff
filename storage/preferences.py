"""Per-user preferences keyed by pseudonym (language), and the language to write to someone in.

Two ways to know a person's language, one home each: `language_of` for a linked
account already loaded (the cycle, reminder and report messages), and
`language_of_chat` for a Telegram user who may have no account (alerts and
digests): their account's language, else their /language choice, else the
deployment's default.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from bot.core.settings import Settings
from storage.crypto import pseudonym
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


def language_of(account: TelegramAccount | None, settings: Settings) -> str:
    """A linked account's language, else the deployment's default."""
    if account is not None and account.language in ("id", "en"):
        return account.language
    return settings.default_language


async def language_of_chat(session: AsyncSession, settings: Settings, telegram_user_id: int) -> str:
    """A Telegram user's language: their account's, else their /language choice, else default."""
    account_language = await session.scalar(
        select(TelegramAccount.language).where(TelegramAccount.telegram_user_id == telegram_user_id)
    )
    if account_language in ("id", "en"):
        return str(account_language)
    chosen = await session.scalar(
        select(UserPreference.language).where(
            UserPreference.user_key == pseudonym(settings.secret_bytes(), telegram_user_id)
        )
    )
    return str(chosen) if chosen in ("id", "en") else settings.default_language
