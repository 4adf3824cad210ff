"""The employee's side of klarifikasi ekspektasi: "Saya mengerti" or a question.

The supervisor states an expectation with ``/ekspektasi`` (``handlers/notes.py``);
the employee receives it with two buttons, ``ex:<token>:ok`` and
``ex:<token>:q``. Callback data is user input: the expectation is loaded by its
token and only the employee it is for may answer; anyone else is refused.
After "Ajukan pertanyaan" the next text is the question (media, empty or too
long text get a clear answer and the question is still awaited).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers import common
from handlers.context import QUESTION_INPUT_KEY, BotContext, expect_typed_input, pending_typed_input
from scheduler import expectations
from storage import achievements
from storage.directory import employee_by_telegram
from storage.masking import clean_text
from storage.performance_notes import NOTE_MAX_CHARS

log = logging.getLogger(__name__)

# The employee's steps, drawn in handlers/notes.mmd after the supervisor's (notes.STEPS).
STEP_ANSWER = "answer"  # "Saya mengerti" or "Ajukan pertanyaan" (also on the reminder)
STEP_QUESTION = "question"  # the typed question
STEPS: tuple[str, ...] = (STEP_ANSWER, STEP_QUESTION)

PENDING_TTL = timedelta(minutes=30)
PATTERN = (
    rf"^{expectations.PREFIX}:(?P<token>[A-Za-z0-9_-]{{12}}):"
    rf"(?P<answer>{expectations.UNDERSTOOD}|{expectations.ASK})$"
)


async def press(update: Update, context: BotContext) -> None:
    """The employee understood, or wants to ask: check the expectation is theirs."""
    _ = await context.gettext(update)
    answer = context.match["answer"]
    outcome = None
    async with context.sessions.begin() as session:
        item = await achievements.expectation_by_token(session, context.match["token"])
        me = await employee_by_telegram(session, update.effective_user.id)
        if item is not None and me is not None and me.id == item.employee_id:
            outcome = "ask"
            if answer == expectations.UNDERSTOOD:
                now = context.clock.now()
                recorded = await expectations.understood(session, context.settings, item, now)
                outcome = "ok" if recorded else "again"
            supervisor = item.supervisor.name
    if outcome is None:
        log.warning("expectation: refused a press from %s", common.who(update, context))
        await common.answer_query(update, _("This button is not valid for you."), alert=True)
        return
    if outcome == "ok":
        context.services.wake()
        await common.answer_query(update, _("Recorded: you understand this expectation."))
        return
    if outcome == "again":
        await common.answer_query(update, _("You said so already."))
        return
    await common.answer_query(update)
    prompt = await update.effective_chat.send_message(
        _("Type your question for {supervisor} (at most {limit} characters).").format(
            supervisor=supervisor, limit=NOTE_MAX_CHARS
        )
    )
    pending = {"token": context.match["token"], "prompt": prompt.message_id, "step": STEP_QUESTION}
    expect_typed_input(
        context.user_data, QUESTION_INPUT_KEY, pending | {"since": context.clock.now()}
    )


def _pending(context: BotContext) -> dict[str, Any] | None:
    return pending_typed_input(
        context.user_data, QUESTION_INPUT_KEY, context.clock.now(), PENDING_TTL
    )


async def handle_question_text(update: Update, context: BotContext) -> bool:
    """A message (not a command): consume it (True) when a question is awaited."""
    if not common.is_private_text(update):
        return False
    pending = _pending(context)
    if pending is None:
        return False
    message = update.message
    if message.message_id < pending["prompt"]:
        return True
    _ = await context.gettext(update)
    line = " ".join(clean_text(message.text or "").split())
    if message.text is None or not line:
        await message.reply_text(
            _("Please type the text (a photo, sticker or file cannot be used here).")
        )
        return True
    if len(line) > NOTE_MAX_CHARS:
        await message.reply_text(
            _("That is {length} characters; the limit is {limit}. Please shorten it.").format(
                length=len(line), limit=NOTE_MAX_CHARS
            )
        )
        return True
    context.user_data.pop(QUESTION_INPUT_KEY, None)
    reply = _("This expectation is no longer available.")
    async with context.sessions.begin() as session:
        item = await achievements.expectation_by_token(session, pending["token"])
        me = await employee_by_telegram(session, update.effective_user.id)
        if item is not None and me is not None and me.id == item.employee_id:
            await expectations.ask(session, context.settings, item, line, context.clock.now())
            reply = _("Your question was sent to {supervisor}.").format(
                supervisor=item.supervisor.name
            )
    context.services.wake()
    await message.reply_text(reply)
    return True


HANDLERS: list[BaseHandler] = [CallbackQueryHandler(press, pattern=PATTERN)]
