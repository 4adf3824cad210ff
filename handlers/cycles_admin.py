"""``/siklus``: admins list, watch and close 360° review cycles from Telegram.

Only Telegram ids in ``ADMIN_IDS`` (`Settings.is_admin`) get anything here; anyone
else gets a polite refusal, and the refusal is logged under the user's pseudonym.
The command works in private chats only, so cycle figures never land in a group.

What an admin sees:

- ``/siklus``: the cycles, newest first, with their completion, a button per
  cycle and "Open a new cycle" (the opening flow, ``handlers/cycle_opening.py``).
- a cycle: completion per relation group, per unit (the rater's unit), raters
  done, raters without a linked account; "Refresh", "Every rater as a table"
  (an XLSX document: what ``ulasan cycle status`` prints on a server), "Rater
  calibration per OPD" (``handlers/calibration_admin.py``), "Close cycle" (with a
  binding confirmation: its "Yes" carries a nonce for this admin
  and this cycle, ``handlers/confirm.py``, so a forged, repeated or stale press
  closes nothing) and "All cycles".

Callback data (``cy:…``, see ``handlers/cycles_screens.py``) is user input:
every press is parsed by an exact pattern and checked against the database
(does the cycle exist, is it still open), so forged, stale or repeated
presses get a short notice and change nothing. Anything ``cy:`` that no
pattern accepts is answered by `forged_press`. The guards here (`admin_only`,
`notice`) serve the opening flow too.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from handlers import common, confirm
from handlers import cycles_screens as screens
from handlers.context import BotContext
from scheduler.cycles import close_cycle
from scheduler.documents.file_names import file_safe
from storage import consultations, review_cycles
from storage.review_cycle_types import ClosedCycle, CycleError, CycleStatus
from storage.review_models import OPEN

log = logging.getLogger(__name__)

CLOSE_CYCLE = "close_cycle"  # the close confirmation's action (storage.confirmations)
# Where the opening flow (handlers/cycle_opening.py) keeps its state; /siklus drops it.
FLOW_KEY = "cycles_admin.flow"

# -- guards and small helpers -----------------------------------------------------------------

Callback = Callable[[Update, BotContext], Awaitable[None]]


async def refuse(update: Update, context: BotContext, what: str) -> None:
    """Politely refuse someone who is not an admin (in a private chat), and log it."""
    _ = await context.gettext(update)
    who = common.who(update, context)
    log.warning("/siklus: refused %s from user %s (not an admin in a private chat)", what, who)
    text = _("Sorry, managing review cycles is only for administrators (BKPSDM).")
    if update.callback_query is not None:
        await common.answer_query(update, text, alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def admin_only(callback: Callback) -> Callback:
    """Run ``callback`` for admins in a private chat; refuse (and log) anyone else."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: BotContext) -> None:
        if common.is_admin_here(update, context):
            await callback(update, context)
            return
        query = update.callback_query
        await refuse(update, context, f"{callback.__name__} ({query.data if query else 'command'})")

    return guarded


async def notice(update: Update, context: BotContext, text: str | None = None) -> None:
    """Answer a press that changed nothing (stale, forged or repeated)."""
    _ = await context.gettext(update)
    await common.answer_query(
        update, text or _("This button is no longer valid. Start again with /siklus."), alert=True
    )


def actor(update: Update, context: BotContext) -> str:
    """Who did it, for the cycle's log: the pseudonym's prefix, never the Telegram id."""
    return f"telegram:{context.user_key(update)[:16]}"


def end_flow(context: BotContext) -> None:
    """Drop the admin's unfinished opening flow."""
    if context.user_data is not None:
        context.user_data.pop(FLOW_KEY, None)


def _id(context: BotContext) -> int:
    """The cycle id of a press (the pattern allows digits only)."""
    return int(context.match.group("id"))


# -- list, status, close ------------------------------------------------------------------------


async def list_view(update: Update, context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    _ = await context.gettext(update)
    language = await context.language(update)
    async with context.sessions() as session:
        cycles = await review_cycles.list_cycles(session)
        consulted = bool(await consultations.all_consultations(session))
    return screens.render_list(cycles, _, language, consultations=consulted)


@admin_only
async def siklus(update: Update, context: BotContext) -> None:
    """``/siklus``: the list of cycles (an unfinished opening flow is dropped)."""
    end_flow(context)
    text, markup = await list_view(update, context)
    await update.effective_message.reply_text(text, reply_markup=markup)


@admin_only
async def show_list(update: Update, context: BotContext) -> None:
    """``cy:l``: back to the list."""
    await common.answer_query(update)
    text, markup = await list_view(update, context)
    await common.edit_or_send(update, text, markup)


async def _status(context: BotContext, cycle_id: int) -> CycleStatus | None:
    async with context.sessions() as session:
        cycle = await review_cycles.cycle_by_id(session, cycle_id)
        if cycle is None:
            return None
        return await review_cycles.cycle_status(session, cycle.name)


async def _show_status(update: Update, context: BotContext, status: CycleStatus) -> None:
    _ = await context.gettext(update)
    text, markup = screens.render_status(status, _, await context.language(update))
    await common.edit_or_send(update, text, markup)


@admin_only
async def show_cycle(update: Update, context: BotContext) -> None:
    """``cy:s:<id>``: one cycle's completion."""
    status = await _status(context, _id(context))
    if status is None:
        log.info("/siklus: press names an unknown cycle (update %s)", update.update_id)
        await notice(update, context)
        return
    await common.answer_query(update)
    await _show_status(update, context, status)


@admin_only
async def send_table(update: Update, context: BotContext) -> None:
    """``cy:t:<id>``: every rater's progress as an XLSX document (the cycle is unchanged)."""
    status = await _status(context, _id(context))
    if status is None:
        log.info("/siklus: table press names an unknown cycle (update %s)", update.update_id)
        await notice(update, context)
        return
    _ = await context.gettext(update)
    await common.answer_query(update, _("Preparing the table…"))
    language = await context.language(update)
    from scheduler.documents.cycle_progress_xlsx import (
        rater_table_xlsx,
    )  # lazy: openpyxl, PIL and numpy (~40 MB) only when a document is made

    data = await asyncio.to_thread(rater_table_xlsx, status, language)
    await update.effective_chat.send_document(
        document=data,
        filename=_("cycle-{name}-raters.xlsx").format(name=file_safe(status.name)),
        caption=_("Every rater of the cycle “{name}”: submitted, in progress, not started.").format(
            name=status.name
        ),
    )


@admin_only
async def ask_close(update: Update, context: BotContext) -> None:
    """``cy:c:<id>``: ask before closing, with a confirmation bound to this cycle
    (``handlers/confirm.py``); nothing changes yet."""
    _ = await context.gettext(update)
    status = await _status(context, _id(context))
    if status is None:
        log.info("/siklus: close press names an unknown cycle (update %s)", update.update_id)
        await notice(update, context)
        return
    if status.status != OPEN:
        await notice(update, context, _("This cycle is already closed."))
        await _show_status(update, context, status)
        return
    nonce = await confirm.issue(
        update, context, CLOSE_CYCLE, subject=_subject(status.cycle_id), payload={}
    )
    await common.answer_query(update)
    text, markup = screens.render_close_question(status, nonce, _)
    await common.edit_or_send(update, text, markup)


def _subject(cycle_id: int) -> str:
    """What a close confirmation is about: the cycle it showed."""
    return f"cycle:{cycle_id}"


async def _close(update: Update, context: BotContext, cycle_id: int) -> ClosedCycle | None:
    """Close the cycle if the press carries this admin's valid confirmation for it; None
    (nothing written) otherwise. Its own transaction, which begins with a write: using
    the nonce up (see scheduler.cycles). Raises `CycleError` (closed meanwhile)."""
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(
            session, update, context, CLOSE_CYCLE, subject=_subject(cycle_id)
        )
        cycle = await review_cycles.cycle_by_id(session, cycle_id)
        if confirmed is None or cycle is None:
            return None
        return await close_cycle(
            session, cycle.name, actor(update, context), context.clock.now(), context.settings
        )


@admin_only
async def close_confirmed(update: Update, context: BotContext) -> None:
    """``cy:cc:<id>:<nonce>``: close the cycle and queue the reports, once."""
    _ = await context.gettext(update)
    cycle_id = _id(context)
    try:
        closed = await _close(update, context, cycle_id)
    except CycleError as exc:  # closed meanwhile (another admin, a double tap)
        closed, refusal = None, exc.translated(_)
    else:
        refusal = None
    if closed is None:
        status = await _status(context, cycle_id)
        if refusal is None and status is not None and status.status != OPEN:
            refusal = _("This cycle is already closed.")
        if refusal is None:
            await confirm.refuse(update, context, _("Start again with /siklus."))
        else:
            await notice(update, context, refusal)
        if status is not None:
            await _show_status(update, context, status)
        return
    log.info("cycle %s closed from Telegram by %s", closed.name, actor(update, context))
    await common.answer_query(update)
    text, markup = screens.render_closed(closed, _)
    await common.edit_or_send(update, text, markup)


async def forged_press(update: Update, context: BotContext) -> None:
    """Any ``cy:`` data that no exact pattern accepted: refused, logged, nothing changed."""
    if not common.is_admin_here(update, context):
        await refuse(update, context, "malformed cy: data")
        return
    log.warning("/siklus: malformed callback data in update %s", update.update_id)
    await notice(update, context)


HANDLERS: list[BaseHandler] = [
    CommandHandler(["siklus", "cycles"], siklus),
    CallbackQueryHandler(show_list, pattern=screens.PATTERN_LIST),
    CallbackQueryHandler(show_cycle, pattern=screens.PATTERN_SHOW),
    CallbackQueryHandler(send_table, pattern=screens.PATTERN_TABLE),
    CallbackQueryHandler(ask_close, pattern=screens.PATTERN_CLOSE_ASK),
    CallbackQueryHandler(close_confirmed, pattern=screens.PATTERN_CLOSE_YES),
]
# The catch-all for cy: data comes after the opening flow's handlers
# (handlers/cycle_opening.py registers `forged_press` last).
