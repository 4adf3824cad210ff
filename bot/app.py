"""The Application factory: every Application is built here from the settings."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.core.clock import Clock, SystemClock
from bot.core.i18n import N_, gettext_for
from bot.core.settings import Settings
from bot.processor import PerChatUpdateProcessor
from handlers.context import BotContext
from handlers.registry import register
from scheduler.aiohttp_request import telegram_request
from scheduler.reply_request import retrying_request
from scheduler.runner import JobRunner
from scheduler.scoring.calibration_vignettes import CalibrationSetError, read_set, set_files
from scheduler.sender import OutboxSender, Reachability
from scheduler.services import SERVICES_KEY, Services, services_of
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
    ("kriteria", N_("How the 360° assessment works")),
    ("konsultasi", N_("Propose and vote on example behaviours")),
    ("rencana", N_("My development plan")),
]


def build_application(
    settings: Settings,
    *,
    sessions: SessionFactory | None = None,
    processor: PerChatUpdateProcessor | None = None,
    clock: Clock | None = None,
) -> BotApplication:
    """Build a ready-to-start Application with its services (opened in post_init)."""
    clock = clock or SystemClock()
    # Replies retry within a short budget; getUpdates and the outbox sender have requests
    # of their own (scheduler/reply_request.py says why), all on TELEGRAM_HTTP_CLIENT.
    request = retrying_request(
        settings.telegram_http_client,
        budget=settings.reply_retry_seconds,
        clock=clock,
        connection_pool_size=256,  # PTB's default for the Application's bot
        read_timeout=settings.reply_timeout_seconds,
    )
    # PTB's default for getUpdates: one connection; the long poll's time is added to
    # the read timeout by PTB itself.
    updates_request = telegram_request(settings.telegram_http_client, connection_pool_size=1)
    application: BotApplication = (
        ApplicationBuilder()
        .token(settings.token())
        .request(request)
        .get_updates_request(updates_request)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_file_url)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor or PerChatUpdateProcessor())
        .post_init(open_resources)
        .post_shutdown(close_resources)
        .build()
    )
    application.bot_data[SERVICES_KEY] = build_services(settings, sessions, clock)
    register(application)
    return application


def build_services(settings: Settings, sessions: SessionFactory | None, clock: Clock) -> Services:
    """Settings, sessions and the clock, with the outbox sender and the job runner."""
    engine = None
    if sessions is None:
        engine = create_engine(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            one_sqlite_connection=True,
        )
        sessions = session_factory(engine)
    services = Services(settings=settings, sessions=sessions, clock=clock, engine=engine)
    services.reachability = Reachability()
    # The outbox sender has its own Bot and connection pool: bulk sends never wait
    # behind interactive replies (see scheduler/sender.py).
    services.sender = OutboxSender.from_settings(
        settings, sessions, reachability=services.reachability, clock=clock
    )
    services.runner = build_runner(services)
    return services


def build_runner(services: Services) -> JobRunner:
    """The scheduled jobs: one repeating JobQueue tick runs what is due; after each run
    the sender is woken, so what the job queued for now goes out at once."""
    return JobRunner(
        services.settings,
        services.sessions,
        clock=services.clock,
        on_finished=lambda _outcome: services.wake(),
    )


async def start_leader_work(application: BotApplication) -> None:
    """Start what only one process per database may run: the outbox sender, the job tick."""
    services = services_of(application)
    await services.sender.start()
    services.runner.start_ticking(application.job_queue)


async def stop_leader_work(application: BotApplication) -> None:
    """Stop the job runner (running jobs finish) and the sender; ready to start again."""
    services = services_of(application)
    await services.runner.stop()
    await services.sender.stop()
    services.runner = build_runner(services)  # a stopped runner does not start again


async def open_resources(application: BotApplication) -> None:
    """Run after ``initialize()`` (PTB's post_init): publish the command menu, start the
    outbox sender, schedule the jobs' tick (it starts with the JobQueue)."""
    await open_menu(application)
    await start_leader_work(application)


def check_calibration_sets(settings: Settings) -> None:
    """One error line per calibration file that cannot be used (the bot still starts)."""
    for name, origin in sorted(set_files(settings.calibration_dir).items()):
        try:
            read_set(name, origin)
        except CalibrationSetError as exc:
            log.error("calibration: %s; no calibration offered for cycles that use it", exc)


async def open_menu(application: BotApplication) -> None:
    """Publish the command menu (webhook workers: the leader's work starts when elected);
    say at start which calibration file is broken (it is also refused, logged, when used)."""
    services = services_of(application)
    check_calibration_sets(services.settings)
    try:
        await _set_commands(application, services.settings)
    except TelegramError as exc:  # the menu is a convenience: the next start sets it
        log.warning("Could not set the command menu: %s", exc.message)


async def close_resources(application: BotApplication) -> None:
    """Run after ``shutdown()`` (PTB's post_shutdown): let running jobs and background
    work finish, stop the outbox sender (it finishes the message in flight), then close
    the database pool."""
    services = services_of(application)
    await services.runner.stop()
    await services.drain()
    await services.sender.stop()
    if services.engine is not None:
        await services.engine.dispose()


async def _set_commands(application: BotApplication, settings: Settings) -> None:
    for language in ("id", "en"):
        _ = gettext_for(language)
        commands = [BotCommand(name, _(description)) for name, description in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language)
    _ = gettext_for(settings.default_language)
    await application.bot.set_my_commands(
        [BotCommand(name, _(description)) for name, description in COMMANDS]
    )
