"""The one router for messages that are not commands (text, stickers, photos…).

A pending follow-up plan step (/rtl, /tugas: typed text or an evidence file) comes
first, then a roster file (a document) from an admin goes to the roster upload.
Several conversations take typed input: an admin's /siklus flow (a cycle name
or date), a case's resolution (/kasus), a supervisor's note (/catat) or feedback line and
an employee's reply to it, a reply to a citizen (Balas), a rater's
review comments, a ratee's development plan (an action, a date), a plan's coach
(a NIP), the predikat mix (an achievement, the limits), a citizen's
survey comment. Only one
MessageHandler can win in group 0, so this router asks each feature in turn,
most specific first; the citizen survey answers last and replies with the
general hint when nobody is in a conversation.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from handlers import (
    achievements,
    alerts,
    cases,
    citizen,
    consultation,
    cycle_opening,
    development,
    development_coach,
    development_review,
    expectations,
    feedback,
    link_slips,
    notes,
    predikat_mix,
    review,
    roster_upload,
    rtl_input,
)
from handlers.context import BotContext


async def route_message(update: Update, context: BotContext) -> None:
    if await rtl_input.handle_message(update, context):
        return
    # Evidence awaited for /capaian comes before the roster upload: an admin's document
    # sent as evidence is not a roster file.
    if await achievements.handle_evidence(update, context):
        return
    if await roster_upload.handle_document(update, context):
        return
    if await cycle_opening.handle_admin_text(update, context):
        return
    if await cases.handle_case_text(update, context):
        return
    if await predikat_mix.handle_mix_text(update, context):
        return
    if await link_slips.handle_nip_text(update, context):
        return
    if await alerts.handle_alert_text(update, context):
        return
    if await notes.handle_note_message(update, context):
        return
    if await feedback.handle_feedback_text(update, context):
        return
    if await consultation.handle_example_text(update, context):
        return
    if await expectations.handle_question_text(update, context):
        return
    if await review.handle_review_text(update, context):
        return
    if await development_coach.handle_nip_text(update, context):
        return
    if await development_review.handle_typed(update, context):
        return
    if await development.handle_plan_text(update, context):
        return
    await citizen.on_message(update, context)


HANDLERS: list[BaseHandler] = [
    MessageHandler(
        filters.ChatType.PRIVATE
        & filters.UpdateType.MESSAGE
        & ~filters.COMMAND
        & ~filters.StatusUpdate.ALL,
        route_message,
    ),
]
