"""The bot's HTTP client to the Bot API: python-telegram-bot's request interface on aiohttp.

python-telegram-bot sends every Bot API call through one `telegram.request.BaseRequest`
(``do_request(url, method, request_data, timeouts) -> (status, body)``); its
default, `HTTPXRequest`, was about 45 % of the bot's CPU per survey press
(BENCHMARKS.md, issue 22). `AiohttpRequest` is the same interface on aiohttp
(already a dependency: the webhook server and the tests' fake Bot API use it),
which costs about 0.4× the CPU per call (``bench/http_calls.py``: 0.69 against
1.69 ms; the survey benchmark's A/B in BENCHMARKS.md). It is a drop-in for `HTTPXRequest`:
the same constructor arguments that the project uses, the same behaviour
towards PTB:

* **Pool**: at most ``connection_pool_size`` requests in flight, kept-alive
  HTTP/1.1 connections (aiohttp speaks only HTTP/1.1, as PTB's default does).
  A request that waits longer than ``pool_timeout`` for a free slot raises
  `TimedOut` without having been sent, as httpx's ``PoolTimeout`` does; its
  cause is `PoolTimeout`.
* **Timeouts**, PTB's four, per call or from the constructor: ``connect``
  (aiohttp's ``sock_connect`` and ``connect``), ``read`` (``sock_read``: the
  longest silence of the server once the request is written; getUpdates adds
  its long-poll time to it, as with httpx), ``pool`` (above). aiohttp has no
  per-write timeout, so ``write`` (``media_write_timeout`` for uploads) bounds
  the whole request instead: ``connect + write + read``.
* **Errors**, as `HTTPXRequest` maps them, with aiohttp's exception as the
  cause: any timeout → `TimedOut`; any other client error → `NetworkError`.
  Whether a failure happened *before the request left* is in the cause:
  `NOT_SENT` lists those (connection refused or unreachable, connect timeout,
  a proxy that refused the tunnel, a pool timeout); everything else (a read
  timeout, a connection dropped while waiting, a truncated answer) may have
  reached Telegram. ``scheduler/reply_request.py`` retries on exactly that
  distinction.
* **Bodies**: form-encoded fields as httpx sends them (complex values JSON
  inside, PTB's ``json_parameters``); with files (``sendDocument`` …) a
  multipart body with the same fields and each file's name and MIME type.
* **Proxy**: ``proxy`` if given, else the environment's ``HTTPS_PROXY`` /
  ``HTTP_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY``, as httpx honours them
  (read once per host; HTTP proxies, no SOCKS).

`telegram_request` makes one on the client ``TELEGRAM_HTTP_CLIENT`` names
(``aiohttp``, the default; ``httpx`` is python-telegram-bot's own, kept as a
fallback for a network where aiohttp misbehaves, and for the benchmark's A/B).

The session is made in the running event loop (`initialize`, or the first
call), closed by `shutdown`, and made again by a later `initialize`, as
`HTTPXRequest` does for an Application that is started again.
"""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any, Literal

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

# TELEGRAM_HTTP_CLIENT: this module's client, or python-telegram-bot's default (a fallback).
HttpClient = Literal["aiohttp", "httpx"]


class PoolTimeout(TimeoutError):
    """No free connection within ``pool_timeout``: the request was not sent."""


# Causes of a failure that happened before the request left this process.
NOT_SENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,  # refused, unreachable, DNS, TLS, the proxy's connect
    aiohttp.ConnectionTimeoutError,
    aiohttp.ClientHttpProxyError,  # the proxy refused the tunnel
    PoolTimeout,
)


class AiohttpRequest(BaseRequest):
    """`BaseRequest` on an aiohttp session (see the module docstring)."""

    __slots__ = (
        "_connect",
        "_limit",
        "_media_write",
        "_pool",
        "_proxies",
        "_proxy",
        "_read",
        "_session",
        "_slots",
        "_write",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        self._limit = max(1, connection_pool_size)
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._proxy = proxy
        self._proxies: dict[tuple[str, str], str | None] = {}
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (getUpdates adds its long-poll time to it)."""
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit, ttl_dns_cache=300),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT},
                trust_env=False,  # the proxy is resolved here, once per host (_proxy_for)
            )
            self._slots = asyncio.Semaphore(self._limit)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None and self._slots is not None
        files = request_data.multipart_data if request_data else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write = write_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write if files else self._write
        timeout = aiohttp.ClientTimeout(
            total=_sum(connect, write, read),
            connect=connect,
            sock_connect=connect,
            sock_read=read,
        )
        body = _body(request_data, files)
        await self._take_slot(pool)
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, proxy=self._proxy_for(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's connect/read timeouts are TimeoutErrors too
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {_reason(exc)}") from exc
        finally:
            self._slots.release()

    async def _take_slot(self, pool: float | None) -> None:
        """Wait for one of the pool's slots, at most ``pool`` seconds (None: no limit)."""
        assert self._slots is not None
        if not self._slots.locked():
            await self._slots.acquire()  # free: no timer needed
            return
        try:
            async with asyncio.timeout(pool):
                await self._slots.acquire()
        except TimeoutError:
            raise TimedOut(
                "Pool timeout: All connections in the connection pool are occupied. "
                "Request was *not* sent to Telegram. Consider adjusting the connection "
                "pool size or the pool timeout."
            ) from PoolTimeout()

    def _proxy_for(self, url: str) -> str | None:
        """``proxy``, else the environment's proxy for this URL's scheme and host (cached)."""
        if self._proxy is not None:
            return self._proxy
        scheme, _, rest = url.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        key = (scheme, host)
        if key not in self._proxies:
            hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            found = None
            if not urllib.request.proxy_bypass(hostname.strip("[]")):
                proxies = urllib.request.getproxies()
                found = proxies.get(scheme) or proxies.get("all")
            self._proxies[key] = found
        return self._proxies[key]


def telegram_request(client: HttpClient, **kwargs: Any) -> BaseRequest:
    """A request on ``client`` with `HTTPXRequest`'s arguments (those both accept)."""
    if client == "httpx":
        return HTTPXRequest(**kwargs)
    return AiohttpRequest(**kwargs)


def _reason(exc: aiohttp.ClientError) -> str:
    """The error without the request's URL (it carries the token) where aiohttp adds it."""
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{exc.status}, {exc.message}"
    return str(exc)


def _sum(*parts: float | None) -> float | None:
    """The sum of the timeouts, or None (no bound) when any of them is None."""
    return None if any(part is None for part in parts) else sum(p for p in parts if p is not None)


def _body(
    request_data: RequestData | None, files: dict[str, Any] | None
) -> dict[str, str] | aiohttp.FormData | None:
    """The form fields as httpx sends them; multipart when there are files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, field in files.items():
        filename, content, mimetype = field if isinstance(field, tuple) else (None, field, None)
        form.add_field(name, content, filename=filename or name, content_type=mimetype)
    return form
