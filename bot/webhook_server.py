"""Webhook mode: a worker that receives Telegram's posts, for one or several processes.

``ulasan run --webhook`` serves ``WEBHOOK_URL``'s path on ``WEBHOOK_LISTEN``:``WEBHOOK_PORT``
(behind a reverse proxy that terminates TLS) and tells Telegram the URL and the
secret with ``setWebhook``. Every post must carry the secret in the
``X-Telegram-Bot-Api-Secret-Token`` header (compared in constant time); anything
else is answered 403 and never parsed.

Why our own small aiohttp app around the `Application`, not python-telegram-bot's
``run_webhook``: PTB's webhook handler answers 200 as soon as the update is in the
process's in-memory queue. A worker killed the next moment has lost an update
Telegram will never send again, and a second worker has no way to know the first
is applying an update of the same chat. Here the answer is 200 only after the
update is committed to the ``webhook_inbox`` table (``bot/webhook_inbox.py``), which
also makes a retried webhook a no-op and lets the workers order and serialise each
chat through the database. (Not ASGI either: that would add an ASGI server such as
uvicorn as a dependency, while aiohttp is already one, well kept, and is what the
tests' fake Bot API server runs on.) Updates are applied with the Application's own
``process_update``, so handlers, conversations and the reply window are the same as
with polling.

The leader among the workers (``scheduler/leadership.py``) runs the outbox sender and
the job runner; a single worker on SQLite is always its own leader. ``GET /healthz``
answers whether this worker is up and whether it leads (for the proxy and the tests).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.app import BotApplication, close_resources, open_menu, start_leader_work, stop_leader_work
from bot.core.settings import Settings
from bot.webhook_inbox import CONCURRENT_CHATS, AdvisoryChatLocks, LocalChatLocks, WebhookInbox
from scheduler.leadership import AdvisoryLeaderLock, AlwaysLeader, LeaderLock, Leadership
from scheduler.services import services_of
from storage.db import create_engine

log = logging.getLogger("ulasan.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TAKEOVER_PAUSE = 1.0  # seconds: the outbox limit's window (scheduler/sender.py)
MAX_BODY = 1024 * 1024  # an update is a few KB; a photo is a file_id, not bytes


def webhook_path(settings: Settings) -> str:
    return urlsplit(settings.webhook_url).path or "/"


class WebhookWorker:
    """One worker: the HTTP server, the inbox, and the competition for leadership."""

    def __init__(self, application: BotApplication, settings: Settings) -> None:
        self.application = application
        self.settings = settings
        services = services_of(application)
        self._lock_engine = None
        locks: LocalChatLocks | AdvisoryChatLocks
        leader_lock: LeaderLock
        if settings.is_sqlite:
            locks, leader_lock = LocalChatLocks(), AlwaysLeader()
        else:
            # The locks' connections come from a pool of their own, so a burst of chats
            # never takes the connections the handlers and the sender need.
            self._lock_engine = create_engine(settings.database_url, pool_size=CONCURRENT_CHATS + 2)
            locks = AdvisoryChatLocks(self._lock_engine)
            leader_lock = AdvisoryLeaderLock(self._lock_engine)
        self.inbox = WebhookInbox(application, services.sessions, locks, services.clock)
        where = f"{settings.webhook_listen}:{settings.webhook_port} (pid {os.getpid()})"
        self._single = isinstance(leader_lock, AlwaysLeader)
        self.leadership = Leadership(
            leader_lock,
            on_elected=self._elected,
            on_deposed=lambda: stop_leader_work(application),
            name=where,
        )
        self.secret = settings.webhook_secret_token()
        self._runner: web.AppRunner | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def _elected(self) -> None:
        if not self._single:
            # The leader before us may have sent its last message a moment ago: one rate
            # window of silence keeps OUTBOX_RATE_PER_SECOND for the bot as a whole.
            await asyncio.sleep(TAKEOVER_PAUSE)
        await start_leader_work(self.application)

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(webhook_path(self.settings), self._post)
        app.router.add_get("/healthz", self._health)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook: refused a post without the right secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("not an object")
            await self.inbox.receive(payload)
        except ValueError:
            return web.Response(status=400, text="not a Telegram update")
        except Exception as exc:  # the database is away: Telegram posts it again later
            log.error("webhook: could not store an update (%s); Telegram will retry", exc)
            return web.Response(status=503, text="try again")
        return web.Response(status=200)

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "leader": self.leadership.leading})

    async def start(self) -> None:
        """After ``initialize()``: menu, JobQueue, leadership, the server, then setWebhook."""
        await open_menu(self.application)
        await self.application.start()  # the JobQueue: ticks are scheduled by the leader
        await self.leadership.check()  # a single worker leads before the first post
        self.leadership.start()
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.webhook_listen, self.settings.webhook_port)
        await site.start()
        self._sweeper = asyncio.create_task(self.inbox.sweep_forever(), name="webhook-sweep")
        await self.application.bot.set_webhook(
            self.settings.webhook_url, secret_token=self.secret, allowed_updates=Update.ALL_TYPES
        )
        log.info(
            "Webhook worker on %s:%d serving %s as @%s",
            self.settings.webhook_listen,
            self.settings.webhook_port,
            webhook_path(self.settings),
            self.application.bot.username,
        )

    async def stop(self) -> None:
        """No new posts; finish the updates in hand; step down; close (safe half started).

        The webhook stays set: the other workers go on, and Telegram keeps updates for
        a worker that comes back."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.inbox.close()
        if self._sweeper is not None:
            await self._sweeper  # close() ended its wait
        await self.leadership.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await close_resources(self.application)
        if self._lock_engine is not None:
            await self._lock_engine.dispose()
