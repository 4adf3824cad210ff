"""Keyed hashes: citizen pseudonyms and stored link codes never keep the raw value."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def keyed_hash(secret: bytes, purpose: str, value: str | int) -> str:
    """HMAC-SHA256 of ``value`` under ``secret``, separated by ``purpose`` (hex, 64 chars)."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def pseudonym(secret: bytes, telegram_user_id: int) -> str:
    """The stored identity of a Telegram user who is not (necessarily) an employee."""
    return keyed_hash(secret, "user", telegram_user_id)


def new_token(nbytes: int = 12) -> str:
    """An unguessable token of ``A-Za-z0-9_-`` (``nbytes`` * 8 bits of entropy)."""
    return secrets.token_urlsafe(nbytes)
