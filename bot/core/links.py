"""Telegram deep links: ``https://t.me/<bot>?start=<payload>``.

The payload is what the bot receives with ``/start``: at most 64 characters of
``A-Z a-z 0-9 _ -`` (Telegram's rule). QR posters, link codes and later the
documents and handlers build their links here.
"""

from __future__ import annotations

import re

PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def deep_link(username: str, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``; the payload is at most 64 of A-Za-z0-9_-."""
    if not PAYLOAD.match(payload):
        raise ValueError(f"invalid deep-link payload {payload!r}")
    return f"https://t.me/{username}?start={payload}"
