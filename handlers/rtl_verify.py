"""The binding buttons of the follow-up plan: a head verifies a line, sends it back, drops it.

Verifying (and so messaging the citizens), sending back and dropping cannot be
undone, so each goes through a binding confirmation (`handlers.confirm`,
action `ACTION`, subject ``rtl:<line>``): the screen's button carries a nonce
bound to this head, this line and what was shown (the status moment for a
verification, the note for a send-back), single-use and short-lived. A press
that finds no valid nonce changes nothing and says so.

VERIFY (``rl:v:<line>``) shows the line with its evidence (the files are sent
along) and Accept / Send back; Send back asks for a note (typed, pending step
``return_note``) and shows it back with Send back / Cancel. DROP (``rl:d:``)
asks Yes, drop it / Cancel.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers import common, confirm, rtl_state
from handlers import rtl as head_flow
from handlers.context import BotContext
from scheduler import rtl as plans
from scheduler.messages import rtl as texts
from storage import rtl

log = logging.getLogger(__name__)

ACTION = "rtl"
STEP_RETURN_NOTE = "return_note"
PATTERN_VERIFY = r"^rl:v:(?P<line>\d{1,9})$"
PATTERN_ACCEPT = rf"^rl:ok:{confirm.NONCE}$"
PATTERN_BACK = r"^rl:b:(?P<line>\d{1,9})$"
PATTERN_BACK_YES = rf"^rl:by:{confirm.NONCE}$"
PATTERN_DROP = r"^rl:d:(?P<line>\d{1,9})$"
PATTERN_DROP_YES = rf"^rl:dy:{confirm.NONCE}$"
PATTERN_CANCEL = rf"^rl:x:{confirm.NONCE}$"
FILES_SHOWN = 5
NOTE_MAX = 500


def _subject(line_id: int) -> str:
    return f"rtl:{line_id}"


async def _send_evidence(update: Update, context: BotContext, line_id: int) -> None:
    """The line's evidence files, as the owner sent them (the first few)."""
    async with context.sessions() as session:
        files = await rtl.evidence_of(session, line_id)
    chat = update.effective_chat
    for item in files[:FILES_SHOWN]:
        path = context.settings.data_dir / item.path
        try:
            content = await asyncio.to_thread(Path(path).read_bytes)
            if item.kind == "photo":
                await chat.send_photo(photo=content, caption=item.file_name[:200])
            else:
                await chat.send_document(document=content, filename=item.file_name)
        except (OSError, TelegramError) as exc:
            log.warning("rtl evidence %s could not be sent: %s", item.id, exc)


async def verify_chosen(update: Update, context: BotContext) -> None:
    """``rl:v:<line>``: VERIFY: the line, its evidence, Accept (binding) / Send back."""
    line = await head_flow.line_for_head(update, context, int(context.match.group("line")))
    if line is None or not line.awaiting_verification:
        await head_flow.refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    language = await context.language(update)
    nonce = await confirm.issue(
        update,
        context,
        ACTION,
        subject=_subject(line.id),
        payload={"do": "verify", "line": line.id},
    )
    await _send_evidence(update, context, line.id)
    text = _("Is this line done as planned?") + "\n\n" + texts.line_text(line, language)
    text += "\n\n" + _(
        "Accepting closes the line and tells the citizens who rated this unsur low and agreed "
        "to be contacted what was done."
    )
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Accept as done"), callback_data=f"rl:ok:{nonce}")],
            [InlineKeyboardButton(_("Send back…"), callback_data=f"rl:b:{line.id}")],
        ]
    )
    await update.effective_chat.send_message(text, reply_markup=markup)


async def accept_confirmed(update: Update, context: BotContext) -> None:
    """``rl:ok:<nonce>``: verifies the line it was shown (once) and queues the messages."""
    _ = await context.gettext(update)
    result = None
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, ACTION)
        if confirmed is not None and confirmed.payload.get("do") == "verify":
            result = await plans.verify_line(
                session,
                int(confirmed.payload["line"]),
                context.settings,
                actor=head_flow.actor(update),
                now=context.clock.now(),
            )
    if result is None or not result.done:
        await confirm.refuse(update, context, _("Open the line again with /rtl."))
        return
    context.services.wake()
    await common.answer_query(update)
    await common.edit_pressed(
        update,
        _("Verified. {count} citizen(s) will hear what was done.").format(count=result.citizens),
    )


async def back_chosen(update: Update, context: BotContext) -> None:
    """``rl:b:<line>``: asks for the note (RETURN_NOTE, typed)."""
    line = await head_flow.line_for_head(update, context, int(context.match.group("line")))
    if line is None or not line.awaiting_verification:
        await head_flow.refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    rtl_state.expect(context, STEP_RETURN_NOTE, line=line.id)
    await update.effective_chat.send_message(
        _("Type a note for the person responsible: what is still missing?")
    )


async def typed_note(update: Update, context: BotContext, state: dict[str, object]) -> bool:
    """RETURN_NOTE, typed: shows the note back with a binding Send back (True: consumed)."""
    if state["step"] != STEP_RETURN_NOTE:
        return False
    message = update.effective_message
    _ = await context.gettext(update)
    line = await head_flow.line_for_head(update, context, int(state["line"]))  # type: ignore[arg-type]
    if line is None or not line.awaiting_verification:
        rtl_state.clear(context)
        return False
    note = " ".join((message.text or "").split())
    if not note or len(note) > NOTE_MAX:
        await message.reply_text(
            _("Please type the note as text, at most {limit} characters.").format(limit=NOTE_MAX)
        )
        return True
    rtl_state.clear(context)
    payload = {"do": "back", "line": line.id, "note": note}
    nonce = await confirm.issue(update, context, ACTION, subject=_subject(line.id), payload=payload)
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Send it back"), callback_data=f"rl:by:{nonce}")],
            [InlineKeyboardButton(_("Cancel"), callback_data=f"rl:x:{nonce}")],
        ]
    )
    await message.reply_text(
        _("Send the line back to “{owner}” with this note?\n\n{note}").format(
            owner=line.owner_name or "—", note=note
        ),
        reply_markup=markup,
    )
    return True


async def back_confirmed(update: Update, context: BotContext) -> None:
    """``rl:by:<nonce>``: sends the line back to berjalan with the note it showed."""
    _ = await context.gettext(update)
    done = False
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, ACTION)
        if confirmed is not None and confirmed.payload.get("do") == "back":
            done = await plans.send_back_line(
                session,
                int(confirmed.payload["line"]),
                str(confirmed.payload["note"]),
                context.settings,
                actor=head_flow.actor(update),
                now=context.clock.now(),
            )
    if not done:
        await confirm.refuse(update, context, _("Open the line again with /rtl."))
        return
    context.services.wake()
    await common.answer_query(update)
    await common.edit_pressed(update, _("Sent back. The person responsible has your note."))


async def drop_chosen(update: Update, context: BotContext) -> None:
    """``rl:d:<line>``: DROP: asks to confirm (binding)."""
    line = await head_flow.line_for_head(update, context, int(context.match.group("line")))
    if line is None or line.verified_at is not None:
        await head_flow.refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    payload = {"do": "drop", "line": line.id}
    nonce = await confirm.issue(update, context, ACTION, subject=_subject(line.id), payload=payload)
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Yes, drop it"), callback_data=f"rl:dy:{nonce}")],
            [InlineKeyboardButton(_("Cancel"), callback_data=f"rl:x:{nonce}")],
        ]
    )
    language = await context.language(update)
    text = _("Drop this line from the plan? Its evidence is deleted too.") + "\n\n"
    await common.edit_or_send(update, text + texts.line_text(line, language), markup)


async def drop_confirmed(update: Update, context: BotContext) -> None:
    """``rl:dy:<nonce>``: removes the line it showed (and its evidence files)."""
    _ = await context.gettext(update)
    paths: list[str] | None = None
    plan_id = None
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, ACTION)
        if confirmed is not None and confirmed.payload.get("do") == "drop":
            line = await rtl.line_view(session, int(confirmed.payload["line"]))
            if line is not None and line.verified_at is None:
                plan_id = line.plan_id
                paths = await rtl.drop_line(
                    session, line.id, actor=head_flow.actor(update), now=context.clock.now()
                )
    if paths is None or plan_id is None:
        await confirm.refuse(update, context, _("Open the plan again with /rtl."))
        return
    for path in paths:
        (context.settings.data_dir / path).unlink(missing_ok=True)
    await common.answer_query(update, _("The line was dropped."))
    await head_flow.show_plan(update, context, plan_id)


async def cancelled(update: Update, context: BotContext) -> None:
    """``rl:x:<nonce>``: voids the confirmation; nothing changed."""
    await confirm.discard(update, context, ACTION)
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_pressed(update, _("Nothing was changed."))


async def plans_for_prefix(update: Update, context: BotContext) -> None:
    """Any other ``rl:`` data: refused, nothing changed."""
    await head_flow.refuse(update, context)


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(verify_chosen, pattern=PATTERN_VERIFY),
    CallbackQueryHandler(accept_confirmed, pattern=PATTERN_ACCEPT),
    CallbackQueryHandler(back_chosen, pattern=PATTERN_BACK),
    CallbackQueryHandler(back_confirmed, pattern=PATTERN_BACK_YES),
    CallbackQueryHandler(drop_chosen, pattern=PATTERN_DROP),
    CallbackQueryHandler(drop_confirmed, pattern=PATTERN_DROP_YES),
    CallbackQueryHandler(cancelled, pattern=PATTERN_CANCEL),
]
