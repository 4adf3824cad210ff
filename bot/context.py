"""What every handler and job can reach: settings, sessions and the user's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.i18n import Translate, gettext_for, ngettext_for, pick_language
from bot.core.settings import Settings
from storage.crypto import pseudonym
from storage.db import SessionFactory

SERVICES_KEY = "ulasan"
LANGUAGE_KEY = "language"


@dataclass
class Services:
    settings: Settings
    sessions: SessionFactory
    engine: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the service objects."""

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def sessions(self) -> SessionFactory:
        return self.services.sessions

    def user_key(self, update: Update) -> str:
        user = update.effective_user
        if user is None:
            raise ValueError("update has no user")
        return pseudonym(self.settings.secret_bytes(), user.id)

    async def language(self, update: Update) -> str:
        """The user's chosen language (cached per user), else Telegram's, else the default."""
        data = self.user_data if self.user_data is not None else {}
        cached = data.get(LANGUAGE_KEY)
        if cached:
            return cached
        from storage import preferences  # local: storage imports are light but keep cycles out

        preferred = None
        if update.effective_user is not None:
            async with self.sessions() as session:
                preferred = await preferences.get_language(session, self.user_key(update))
        telegram_code = update.effective_user.language_code if update.effective_user else None
        language = pick_language(preferred, telegram_code, self.settings.default_language)
        if preferred and self.user_data is not None:
            self.user_data[LANGUAGE_KEY] = language
        return language

    async def gettext(self, update: Update) -> Translate:
        return gettext_for(await self.language(update))

    async def ngettext(self, update: Update) -> Any:
        return ngettext_for(await self.language(update))


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    return application.bot_data[SERVICES_KEY]
