"""What every handler can reach: the services, the clock and the user's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from bot.core.clock import Clock
from bot.core.i18n import Translate, gettext_for, ngettext_for, pick_language
from bot.core.settings import Settings
from scheduler.services import SERVICES_KEY, Services
from storage import preferences
from storage.crypto import pseudonym
from storage.db import SessionFactory
from storage.survey_names import NamesCache

LANGUAGE_KEY = "language"
# Typed input a person was asked for in ``user_data``, one at a time: a reply to a
# citizen (handlers/alerts.py) or a case's resolution (handlers/cases.py).
RELAY_INPUT_KEY = "alert_relay"
RESOLUTION_INPUT_KEY = "case_resolution"
# The NIP of an employee whose link code an admin renews (handlers/link_slips.py).
RENEW_INPUT_KEY = "link_code_renew"
# A supervisor's feedback line or an employee's reply to it (handlers/feedback.py), and a
# supervisor's observation note (handlers/notes.py).
FEEDBACK_INPUT_KEY = "feedback_line"
NOTE_INPUT_KEY = "performance_note"
# An employee's question about an expectation (handlers/expectations.py) and the evidence of
# an achievement (handlers/achievements.py).
QUESTION_INPUT_KEY = "expectation_question"
ACHIEVEMENT_INPUT_KEY = "achievement_evidence"
# An example behaviour being typed for a consultation (handlers/consultation.py).
EXAMPLE_INPUT_KEY = "consultation_example"
# A supervisor's note on a development plan, a ratee's check-in note (development_review).
PLAN_NOTE_KEY = "development_note"
CHECKIN_NOTE_KEY = "development_checkin_note"
# The NIP of a plan's coach a supervisor types (handlers/development_coach.py), and an
# admin's typed answers while recording the predikat mix (handlers/predikat_mix.py).
COACH_INPUT_KEY = "development_coach"
MIX_INPUT_KEY = "predikat_mix"
TYPED_INPUT_KEYS = (
    COACH_INPUT_KEY,
    MIX_INPUT_KEY,
    PLAN_NOTE_KEY,
    CHECKIN_NOTE_KEY,
    RELAY_INPUT_KEY,
    RESOLUTION_INPUT_KEY,
    RENEW_INPUT_KEY,
    FEEDBACK_INPUT_KEY,
    NOTE_INPUT_KEY,
    QUESTION_INPUT_KEY,
    ACHIEVEMENT_INPUT_KEY,
    EXAMPLE_INPUT_KEY,
)


def expect_typed_input(data: dict[Any, Any] | None, key: str, value: dict[str, Any]) -> None:
    """Remember what the person's next text is for; asking for one drops the others."""
    if data is None:
        return
    for other in TYPED_INPUT_KEYS:
        data.pop(other, None)
    data[key] = value


def pending_typed_input(
    data: dict[Any, Any] | None, key: str, now: datetime, ttl: timedelta
) -> dict[str, Any] | None:
    """What the person's next text is for, or None: nothing awaited, or asked for longer than
    ``ttl`` ago (then it is forgotten, so an old prompt never swallows a later message)."""
    pending = data.get(key) if data is not None else None
    if pending is None:
        return None
    if now - pending["since"] > ttl:
        data.pop(key, None)  # type: ignore[union-attr]
        return None
    return pending


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

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def survey_names(self) -> NamesCache:
        """This process's cache of the survey screens' names (`storage.survey_names`)."""
        return self.services.state.setdefault("survey_names", NamesCache())

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
