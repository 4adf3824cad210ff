"""Webhook workers for tests: one in this process, or several as ``ulasan run --webhook``.

`start_worker` runs a `WebhookWorker` on a free port of 127.0.0.1 against the fake Bot
API, which learns the URL and the secret from the worker's ``setWebhook`` and from then
on posts every pushed update there over HTTP (``tests/support/fakebot.py``); a scripted
user's action returns once the inbox has applied the update. `worker_env` is the
environment of a worker process (``tests/test_webhook_workers.py``).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.core.settings import Settings
from bot.webhook_server import WebhookWorker
from tests.support.app import make_settings
from tests.support.fakebot import FakeBotApi

PATH = "/telegram/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(tmp_path: Path, database_url: str, api: FakeBotApi, **more: Any) -> Settings:
    port = free_port()
    return make_settings(
        tmp_path,
        database_url,
        telegram_base_url=api.base_url,
        webhook_url=f"http://127.0.0.1:{port}{PATH}",
        webhook_port=port,
        **more,
    )


async def start_worker(settings: Settings, api: FakeBotApi) -> WebhookWorker:
    application = build_application(settings)
    await application.initialize()
    worker = WebhookWorker(application, settings)
    worker.inbox.listeners.append(api.processed)
    await worker.start()
    await asyncio.wait_for(api.webhook_set.wait(), 10)
    return worker


def worker_env(port: int, **more: str) -> dict[str, str | None]:
    """A worker process's settings: its own port behind one public URL (the proxy's)."""
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{PATH}",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_LISTEN": "127.0.0.1",
        **more,
    }
