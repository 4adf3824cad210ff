"""The real Application for tests: settings for a test, and starting and stopping the bot.

`start_bot` builds the Application with the project's own factory and runs it
with long polling against a `FakeBotApi` over HTTP on 127.0.0.1; the fake is
told when each update has been processed, so a scripted user's action returns
once the bot has finished with it. The fixtures in ``tests/conftest.py`` use
these, and so do tests that start, kill or restart a bot themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import BotApplication, build_application, close_resources, open_resources
from bot.core.clock import Clock
from bot.core.settings import Settings, load_settings
from bot.processor import PerChatUpdateProcessor
from tests.support.fakebot import FakeBotApi

ADMIN_ID = 900001


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "database_url": database_url,
        "data_dir": tmp_path / "data",
        "secret_key": "test-secret-key-0123456789",
        "bot_token": "123456:TEST-TOKEN-0123456789abcdefghijklmn",
        "admin_ids": str(ADMIN_ID),
        "bot_username": "UlasanTestBot",
        # Scenarios open reviews directly; tests/test_e2e_calibration.py turns it on.
        "calibration": "off",
    }
    values.update(overrides)
    return load_settings(**values)


async def start_bot(
    settings: Settings, api: FakeBotApi, clock: Clock | None = None
) -> BotApplication:
    processor = PerChatUpdateProcessor()
    processor.listeners.append(api.processed)
    application = build_application(settings, processor=processor, clock=clock)
    await application.initialize()
    await open_resources(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    return application


async def stop_bot(application: BotApplication) -> None:
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    await close_resources(application)
