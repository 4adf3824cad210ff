"""Binding confirmations in handlers: issue a nonce with the screen, redeem it with the press.

The rules are `storage.confirmations`' (stored, bound to the person and to
what the screen showed, single-use, short-lived). This is the small glue every
destructive or irreversible button uses (``/hapusdata``, closing a cycle in
``/siklus``, sending a Balas relay; later: approving a period, verifying a
follow-up line, importing a roster from Telegram):

1. `issue` in its own short transaction, *then* render the screen with the
   nonce in the "Yes" button's callback data (``<prefix>:<nonce>``; the
   handler's pattern ends in `NONCE`, a named group);
2. on the press, `redeem` inside the transaction that does the deed, and act
   on the returned payload only; None means nothing may be written;
3. after that transaction, `refuse` answers a press that found no valid nonce
   with a short notice naming how to ask again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from handlers import common
from handlers.context import BotContext
from storage import confirmations
from storage.confirmations import Confirmed

log = logging.getLogger(__name__)

# The tail of a confirming button's pattern: ``rf"^hd:y:{confirm.NONCE}$"``.
NONCE = rf"(?P<nonce>{confirmations.NONCE_PATTERN})"


async def issue(
    update: Update,
    context: BotContext,
    action: str,
    *,
    subject: str = "",
    payload: dict[str, Any] | None = None,
) -> str:
    """Store a confirmation for the person of ``update`` (committed) and return its nonce."""
    async with context.sessions.begin() as session:
        return await confirmations.issue(
            session,
            action=action,
            owner_key=context.user_key(update),
            subject=subject,
            payload=payload,
            now=context.clock.now(),
            ttl=context.settings.confirmation_ttl,
        )


def pressed_nonce(context: BotContext) -> str:
    """The nonce of the press (the pattern's ``nonce`` group), or "" without one."""
    match = context.match
    if match is None or "nonce" not in match.groupdict():
        return ""
    return match.group("nonce") or ""


async def redeem(
    session: AsyncSession,
    update: Update,
    context: BotContext,
    action: str,
    *,
    subject: str | None = None,
) -> Confirmed | None:
    """Use up the pressed confirmation in ``session``'s transaction: what it showed, or
    None (forged, used, expired, someone else's, or about another ``subject`` than the
    press names): then write nothing."""
    nonce = pressed_nonce(context)
    if not nonce:
        return None
    return await confirmations.redeem(
        session,
        nonce=nonce,
        action=action,
        owner_key=context.user_key(update),
        now=context.clock.now(),
        subject=subject,
    )


async def discard(
    update: Update, context: BotContext, action: str, *, subject: str | None = None
) -> None:
    """Void the pressed confirmation (its Cancel button carries the same nonce), or with
    ``subject``, every confirmation of this person about it (a Cancel without a nonce)."""
    nonce = pressed_nonce(context)
    if not nonce and subject is None:
        return
    async with context.sessions.begin() as session:
        await confirmations.discard(
            session,
            nonce=nonce or None,
            owner_key=context.user_key(update),
            subjects=[subject] if subject is not None else None,
            action=action,
        )


async def refuse(update: Update, context: BotContext, ask_again: str) -> None:
    """Answer a confirming press that found no valid nonce: nothing was changed."""
    _ = await context.gettext(update)
    log.info(
        "refused a confirming press without a valid nonce from %s in update %s",
        common.who(update, context),
        update.update_id,
    )
    text = _(
        "This confirmation is no longer valid (already used, expired or not yours). "
        "Nothing was changed. {ask_again}"
    ).format(ask_again=ask_again)
    await common.answer_query(update, text[:200], alert=True)
