"""The bot's own username, which deep links need: BOT_USERNAME, else Telegram's getMe.

Asking Telegram makes this a scheduler module rather than a pure one; the
links themselves are built by `bot.core.links`.
"""

from __future__ import annotations

from telegram import Bot
from telegram.error import TelegramError

from bot.core.settings import Settings, SettingsError


async def resolve_bot_username(settings: Settings) -> str:
    """BOT_USERNAME if set, else ask the Bot API (getMe); a `SettingsError` otherwise."""
    if settings.bot_username:
        return settings.bot_username.strip().lstrip("@")
    try:
        token = settings.token()
    except SettingsError:
        raise SettingsError(
            "BOT_USERNAME: not set, and without BOT_TOKEN the bot cannot be asked its name"
        ) from None
    bot = Bot(token, base_url=settings.telegram_base_url)
    try:
        async with bot:  # initialize() asks getMe once and keeps the answer
            me = bot.bot
    except TelegramError as exc:
        raise SettingsError(
            f"BOT_USERNAME: not set, and Telegram did not answer getMe ({exc.message}); "
            "set BOT_USERNAME or check BOT_TOKEN"
        ) from None
    if not me.username:
        raise SettingsError("BOT_USERNAME: the bot has no username; set BOT_USERNAME")
    return me.username
