"""The Application factory: every Application is built here from the settings."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.context import SERVICES_KEY, BotContext, Services
from bot.core.i18n import N_, gettext_for
from bot.core.settings import Settings
from bot.processor import PerChatUpdateProcessor
from storage.db import SessionFactory, create_engine, session_factory

log = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]

# (command, message id of its description); descriptions are set per language.
COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start")),
    ("help", N_("Help")),
    ("language", N_("Choose language")),
    ("privacy", N_("Privacy: what we keep")),
    ("hapusdata", N_("Delete my survey data")),
    ("akun", N_("My linked account")),
    ("nilai", N_("Rate my colleagues")),
    ("hasil", N_("My latest 360° results")),
]


def file_url_for(base_url: str) -> str:
    """PTB's base_file_url that belongs to a Bot API base URL (…/bot → …/file/bot)."""
    root = base_url.rstrip("/")
    if root.endswith("/bot"):
        return root[: -len("/bot")] + "/file/bot"
    return root + "/file/bot"


def build_application(
    settings: Settings,
    *,
    sessions: SessionFactory | None = None,
    processor: PerChatUpdateProcessor | None = None,
) -> BotApplication:
    """Build a ready-to-start Application; opens the database in post_init."""
    from handlers import register
    from scheduler.runner import attach_runner
    from scheduler.sender import attach_sender

    application: BotApplication = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url_for(settings.telegram_base_url))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor or PerChatUpdateProcessor())
        .post_init(open_resources)
        .post_shutdown(close_resources)
        .build()
    )
    engine = None
    if sessions is None:
        engine = create_engine(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            one_sqlite_connection=True,
        )
        sessions = session_factory(engine)
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings, sessions=sessions, engine=engine
    )
    # The outbox sender has its own Bot and connection pool: bulk sends never wait
    # behind interactive replies (see scheduler/sender.py).
    attach_sender(application)
    # The scheduled jobs: one repeating JobQueue tick runs what is due (scheduler/runner.py).
    attach_runner(application)
    register(application)
    return application


async def open_resources(application: BotApplication) -> None:
    """Run after ``initialize()`` (PTB's post_init): publish the command menu, start the
    outbox sender, schedule the jobs' tick (it starts with the JobQueue)."""
    from scheduler.runner import start_ticking
    from scheduler.sender import sender_of

    await _set_commands(application)
    sender = sender_of(application)
    if sender is not None:
        await sender.start()
    start_ticking(application)


async def close_resources(application: BotApplication) -> None:
    """Run after ``shutdown()`` (PTB's post_shutdown): let running jobs finish, stop the
    outbox sender (it finishes the message in flight), then close the database pool."""
    from scheduler.runner import stop_runner
    from scheduler.sender import sender_of

    services: Services = application.bot_data[SERVICES_KEY]
    await stop_runner(application)
    sender = sender_of(application)
    if sender is not None:
        await sender.stop()
    if services.engine is not None:
        await services.engine.dispose()


async def _set_commands(application: BotApplication) -> None:
    for language in ("id", "en"):
        _ = gettext_for(language)
        commands = [BotCommand(name, _(description)) for name, description in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language)
    _ = gettext_for(application.bot_data[SERVICES_KEY].settings.default_language)
    await application.bot.set_my_commands(
        [BotCommand(name, _(description)) for name, description in COMMANDS]
    )


def run_polling(settings: Settings) -> None:
    """Start the bot with long polling until interrupted (Ctrl+C or SIGTERM)."""
    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
