"""The bot token never reaches a log line, an error message or a terminal.

Telegram's token is a password: whoever has it *is* the bot. python-telegram-bot
writes it into some messages (``InvalidToken``: "The token `…` was rejected"),
httpx logs request URLs that contain it (``…/bot<token>/getMe``), and a
traceback can carry either. `RedactingFormatter` therefore redacts the whole
formatted record (message, arguments and traceback) on every handler the
service installs, and `redact` does the same for the CLI's one-line errors.

Anything shaped like a token is replaced, not only the configured one, so a
mistyped or old token in an error is hidden too.

The libraries' own records (``telegram.*``, ``httpx``, ``aiohttp``) are kept to one line:
`LibraryOneLiner` drops their tracebacks (a proxy's error page makes
python-telegram-bot log one per failed request); what failed and why is in the
message, and our own lines (bot/startup.py) say what it means.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[token hidden]"
# The bot's numeric id, a colon, 30+ token characters; a digit must not precede it,
# but a letter may (".../bot123456:AAH…/getMe").
TOKEN_LIKE = re.compile(r"(?<![0-9])[0-9]{1,20}:[A-Za-z0-9_-]{30,}")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without any token-shaped string and without the given ``secrets``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return TOKEN_LIKE.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """A `logging.Formatter` whose output (traceback included) is redacted."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


class LibraryOneLiner(logging.Filter):
    """The records of python-telegram-bot and its HTTP clients as one line: no traceback."""

    PREFIXES = ("telegram", "httpx", "httpcore", "aiohttp")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] in self.PREFIXES and record.exc_info:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({error.__class__.__name__}: {error})".replace(
                "\n", " "
            )
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def install(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level`` through a redacting formatter (every root handler)."""
    logging.basicConfig(level=level, format=fmt)
    formatter = RedactingFormatter(fmt, secrets)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
        if not any(isinstance(f, LibraryOneLiner) for f in handler.filters):
            handler.addFilter(LibraryOneLiner())
