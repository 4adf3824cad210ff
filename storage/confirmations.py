"""Binding confirmations: a destructive or irreversible button works once, for what it showed.

A button that deletes, closes, sends or approves something is pressed only
after a confirmation screen that says what will happen ("Delete 2 survey
responses?", "Close cycle X?", "Send this reply?"). Callback data is user
input, so a constant "yes" button would let a forged, redelivered or
months-old press do the deed without the screen ever being shown, or do more
than it showed. Instead the screen's "Yes" button carries a **nonce** issued
with the screen and stored here:

* **stored in the database**: a restart neither voids nor replays it;
* **bound to its owner**: the keyed pseudonym of the Telegram user who was
  shown it; anybody else's press (a forwarded message, a forged query) fails;
* **bound to what it showed**: ``subject`` (what it is about) and ``payload``
  (JSON: the response ids it counted, the text it will send …). The action
  uses the payload, never what the database holds by the time of the press:
  responses made after an erasure screen are not erased by it;
* **single-use**: `redeem` deletes the row in the same statement that reads
  it (``DELETE … RETURNING``), inside the action's transaction, so a double
  tap or a redelivered update finds nothing, and if the action fails and
  rolls back the nonce is still there;
* **short-lived**: ``CONFIRMATION_TTL_MINUTES`` (`Settings.confirmation_ttl`);
  expired rows are refused and pruned by the housekeeping job;
* **the newest one counts**: issuing a confirmation voids the owner's earlier
  ones for the same action and subject (an older screen still on the phone
  would otherwise act on what it showed back then).

A press that finds no valid nonce (none, used, expired, forged, not yours)
writes nothing; the handler answers with a short notice.

How to use it (handlers reach this through ``handlers/confirm.py``)::

    # the confirmation screen: issue, commit, then render
    nonce = await confirm.issue(update, context, ERASE, subject="", payload={...})
    button = InlineKeyboardButton(_("Yes, delete"), callback_data=f"hd:y:{nonce}")

    # the press (pattern with confirm.NONCE): redeem in the action's transaction
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, ERASE)
        if confirmed is None:
            ...  # nothing written; after the block: await confirm.refuse(...)
        else:
            ...  # act on confirmed.payload / confirmed.subject

Every function takes a session and never commits.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.confirmation_models import Confirmation

CONFIRMATIONS = Confirmation.__table__
# 12 random bytes: 16 URL-safe characters, 96 bits; fits any callback data prefix.
NONCE_BYTES = 12
NONCE_PATTERN = r"[A-Za-z0-9_-]{16}"


@dataclass(frozen=True)
class Confirmed:
    """A redeemed confirmation: what it was about and what it showed."""

    action: str
    subject: str
    payload: dict[str, Any]
    created_at: datetime


def new_nonce() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


async def issue(
    session: AsyncSession,
    *,
    action: str,
    owner_key: str,
    subject: str = "",
    payload: dict[str, Any] | None = None,
    now: datetime,
    ttl: timedelta,
) -> str:
    """Store a confirmation shown to ``owner_key`` and return its nonce; the owner's
    earlier confirmations of the same action and subject are void from now on."""
    await session.execute(
        delete(CONFIRMATIONS).where(
            CONFIRMATIONS.c.owner_key == owner_key,
            CONFIRMATIONS.c.action == action,
            CONFIRMATIONS.c.subject == subject,
        )
    )
    nonce = new_nonce()
    await session.execute(
        CONFIRMATIONS.insert().values(
            nonce=nonce,
            action=action,
            owner_key=owner_key,
            subject=subject,
            payload=json.dumps(payload or {}, sort_keys=True),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return nonce


async def redeem(
    session: AsyncSession,
    *,
    nonce: str,
    action: str,
    owner_key: str,
    now: datetime,
    subject: str | None = None,
) -> Confirmed | None:
    """Use the confirmation ``nonce`` up (delete it) if it is this owner's, for this
    action (and ``subject``, when the press names one) and not expired; None (nothing
    deleted) otherwise."""
    conditions = [
        CONFIRMATIONS.c.nonce == nonce,
        CONFIRMATIONS.c.action == action,
        CONFIRMATIONS.c.owner_key == owner_key,
        CONFIRMATIONS.c.expires_at > now,
    ]
    if subject is not None:
        conditions.append(CONFIRMATIONS.c.subject == subject)
    statement = (
        delete(CONFIRMATIONS)
        .where(*conditions)
        .returning(CONFIRMATIONS.c.subject, CONFIRMATIONS.c.payload, CONFIRMATIONS.c.created_at)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    subject, payload, created_at = row
    return Confirmed(action, subject, json.loads(payload or "{}"), created_at)


async def discard(
    session: AsyncSession,
    *,
    nonce: str | None = None,
    owner_key: str | None = None,
    subjects: list[str] | None = None,
    action: str | None = None,
) -> int:
    """Void confirmations: one nonce (Cancel), all of an owner's, or all about some
    subjects (the thing they were about is gone); ``action`` narrows. How many."""
    conditions = []
    if nonce is not None:
        conditions.append(CONFIRMATIONS.c.nonce == nonce)
    if owner_key is not None:
        conditions.append(CONFIRMATIONS.c.owner_key == owner_key)
    if subjects is not None:
        conditions.append(CONFIRMATIONS.c.subject.in_(subjects))
    if action is not None:
        conditions.append(CONFIRMATIONS.c.action == action)
    if not conditions:
        raise ValueError("discard needs a nonce, an owner or subjects")
    result = await session.execute(delete(CONFIRMATIONS).where(*conditions))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def prune_expired(session: AsyncSession, now: datetime) -> int:
    """Remove confirmations past their expiry (the housekeeping job); how many."""
    result = await session.execute(delete(CONFIRMATIONS).where(CONFIRMATIONS.c.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
