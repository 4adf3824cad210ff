"""Running the bot for real: reach Telegram with backoff, poll (or serve the webhook,
bot/webhook_server.py) until stopped, say why not.

A service must outlive a network that is down when it starts (a server that
boots before its network, a proxy that restarts, Telegram having a bad minute):
`reach_telegram` calls getMe (python-telegram-bot's ``initialize``) until it
answers, waiting 1, 2, 4 … up to 60 seconds between attempts (Telegram's
``retry_after`` when it gives one), and logs **one line per failed attempt**
with the reason. Only a token Telegram rejects ends the wait: no retry can fix
it, so the command stops with one line (exit 2) and the service manager's own
restart policy takes over.

python-telegram-bot has bootstrap retries of its own (``run_polling(
bootstrap_retries=-1)``), but it logs failed attempts at DEBUG without their
reason, backs off to 30 s at most, and logs a rejected token with a traceback
that carries the token; so the first contact is ours, and polling errors after
it are logged as one line each by `polling_error`. The token is never in any of
these lines (bot/core/redaction.py redacts every handler in any case).

`describe_failure` turns an error into the line an operator can act on
(rejected token, network, proxy, timeout); ``ulasan check --online`` uses it too.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import urllib.request
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp
import httpx
from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.app import BotApplication, build_application, close_resources, open_resources
from bot.core.settings import Settings
from scheduler.aiohttp_request import telegram_request

log = logging.getLogger("ulasan.startup")

FIRST_WAIT = 1.0
LONGEST_WAIT = 60.0

_PROXY_ERRORS = (httpx.ProxyError, aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)

Sleep = Callable[[float], Awaitable[None]]


class TokenRejected(Exception):
    """Telegram answered that BOT_TOKEN is not a valid token (revoked or mistyped)."""


def proxy_for(url: str) -> str | None:
    """The proxy the HTTP client would use for ``url`` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY)."""
    parts = urlsplit(url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


def describe_failure(exc: BaseException, base_url: str) -> str:
    """One line saying why Telegram could not be asked, without the token."""
    host = urlsplit(base_url).netloc or base_url
    if isinstance(exc, InvalidToken | TokenRejected):
        return "Telegram rejected BOT_TOKEN (revoked or mistyped): copy it again from @BotFather"
    if isinstance(exc, RetryAfter):
        return f"Telegram asks to wait {exc.retry_after} s (too many requests)"
    proxy = proxy_for(base_url)
    via = f" through the proxy {_without_password(proxy)}" if proxy else ""
    cause = _http_cause(exc)
    if isinstance(exc, TimedOut) or isinstance(cause, httpx.TimeoutException | TimeoutError):
        return f"cannot reach {host}{via}: no answer in time (network down or blocked?)"
    if isinstance(cause, _PROXY_ERRORS) or (proxy and cause is not None):
        return f"cannot reach {host}{via}: the proxy refused or failed ({_reason(cause)})"
    if cause is not None:
        return f"cannot reach {host}{via}: {_reason(cause)}"
    if proxy and isinstance(exc, NetworkError):
        return f"cannot reach {host}{via}: the proxy answered {exc.message}"
    if isinstance(exc, TelegramError):
        return f"Telegram at {host}{via} answered with an error: {exc.message}"
    return f"cannot reach {host}{via}: {_reason(exc)}"


def _http_cause(exc: BaseException) -> BaseException | None:
    """The HTTP client's own error (aiohttp or httpx, TELEGRAM_HTTP_CLIENT) behind a
    python-telegram-bot error, if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, aiohttp.ClientError | httpx.HTTPError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or exc.__class__.__name__


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":…@")


async def reach_telegram(
    initialize: Callable[[], Awaitable[object]], base_url: str, sleep: Sleep
) -> None:
    """Call ``initialize`` (getMe) until it succeeds, backing off; a rejected token raises
    `TokenRejected`. One warning line per failed attempt."""
    wait, attempt = FIRST_WAIT, 1
    while True:
        try:
            await initialize()
            if attempt > 1:
                log.info("Telegram reached after %d attempts", attempt)
            return
        except InvalidToken:
            raise TokenRejected(describe_failure(InvalidToken(""), base_url)) from None
        except (NetworkError, RetryAfter) as exc:
            pause = float(exc.retry_after) if isinstance(exc, RetryAfter) else wait
            log.warning(
                "Telegram not reachable (attempt %d): %s; trying again in %.0f s",
                attempt,
                describe_failure(exc, base_url),
                pause,
            )
            await sleep(pause)
            wait, attempt = min(wait * 2, LONGEST_WAIT), attempt + 1


def polling_error(base_url: str) -> Callable[[TelegramError], None]:
    """The updater's error callback: one line per failed getUpdates, no traceback."""

    def on_error(exc: TelegramError) -> None:
        log.warning("Polling Telegram failed: %s; retrying", describe_failure(exc, base_url))

    return on_error


async def start(application: BotApplication, settings: Settings, sleep: Sleep) -> None:
    """Reach Telegram (with backoff), open the services, start polling."""
    await reach_telegram(application.initialize, settings.telegram_base_url, sleep)
    await open_resources(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        allowed_updates=Update.ALL_TYPES,
        bootstrap_retries=-1,
        error_callback=polling_error(settings.telegram_base_url),
    )
    log.info("Polling Telegram as @%s", application.bot.username)


async def stop(application: BotApplication) -> None:
    """Stop polling, let the services finish, close everything (safe when half started)."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    # A start that failed (a rejected token) left the Application uninitialised, so its
    # shutdown skipped the Bot, whose HTTP sessions getMe had opened: close them too.
    await application.bot.shutdown()
    await close_resources(application)


async def serve(settings: Settings, *, webhook: bool = False) -> None:
    """Run until SIGINT, SIGTERM or SIGHUP (a closed terminal), saying which; a rejected
    token raises `TokenRejected`. ``webhook``: a webhook worker (bot/webhook_server.py)
    instead of long polling."""
    from bot.webhook_server import WebhookWorker

    application = build_application(settings)
    worker = WebhookWorker(application, settings) if webhook else None
    stopping = asyncio.Event()
    received: list[str] = []
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum.name)
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, on_signal, signum)

    async def sleep(seconds: float) -> None:
        # A stop signal ends the wait between two attempts at once.
        try:
            await asyncio.wait_for(stopping.wait(), seconds)
        except TimeoutError:
            return
        raise asyncio.CancelledError

    try:
        if worker is None:
            await start(application, settings, sleep)
        else:
            await reach_telegram(application.initialize, settings.telegram_base_url, sleep)
            await worker.start()
        await stopping.wait()
        cause = received[0] if received else "request"
        log.info("Stopping on %s: finishing the work in hand", cause)
    except asyncio.CancelledError:
        log.info("Stopped before Telegram was reached")
    finally:
        await (stop(application) if worker is None else worker.stop())


async def ask_telegram(settings: Settings) -> str:
    """getMe once with BOT_TOKEN: the bot's username, or raise (see `describe_failure`)."""
    from telegram import Bot

    # The bot's own HTTP client, so the check meets the network as the bot will.
    request = telegram_request(settings.telegram_http_client)
    async with Bot(settings.token(), base_url=settings.telegram_base_url, request=request) as bot:
        return bot.username
