"""The citizen survey (SKM, PermenPANRB 14/2017) in Telegram: one callback per step.

A citizen arrives with a draft at the intro step (``handlers/citizen_entry.py``:
the QR code's deep link, or the unit → service chooser). Then one message is
edited step after step: a privacy line and Start, the
nine unsur (U1…U9, the regulation's list order) with their four answers from
worst to best, then the optional comment (typed), respondent profile and
consent to be contacted, and finally "Thank you" with a summary. The steps
are `storage.survey.STEPS`; ``handlers/citizen.mmd`` draws them, and
``handlers/citizen_screens.py`` draws each screen.

Where a citizen is lives only in the database (`storage.survey`): each press
names the response token and the step it answers (``sv:<token>:<action>…``,
see `handlers.citizen_screens`); it is checked against the stored draft and
written with a conditional update, so stale, forged or repeated presses get a
short notice and change nothing, and a restarted bot continues where the
citizen was.

Input that is not a button where a button is expected gets a hint and the
current step again, as a *new* message that becomes the survey message (the
old one loses its keyboard): after the citizen's own message the old survey
message would be out of sight. The same happens after a typed comment.

``/hapusdata`` (deleting one's answers) lives in ``handlers/delete_data.py``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.i18n import gettext_for
from handlers import citizen_screens as screens
from handlers import common
from handlers.citizen_screens import Notice, render
from handlers.context import BotContext
from scheduler import alert_trigger
from storage import survey, survey_press
from storage.masking import clean_text
from storage.survey_models import DRAFT, SUBMITTED
from storage.survey_press import SurveyView

log = logging.getLogger(__name__)

# -- sending and editing the survey message ----------------------------------------


async def _send_survey_message(
    update: Update,
    context: BotContext,
    response: SurveyView,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> None:
    """Send ``text`` as a new message that becomes the survey message."""
    chat_id = update.effective_chat.id
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    async with context.sessions.begin() as session:
        await survey_press.set_message_id(session, response.id, sent.message_id)
    if response.message_id != sent.message_id:
        await common.remove_keyboard(context, chat_id, response.message_id)


async def _show_in_place(update: Update, context: BotContext, response: SurveyView) -> None:
    """Edit the pressed message into the response's current step."""
    _ = gettext_for(response.language)
    text, markup = render(response, _, context.settings.survey_comment_max_chars)
    query = update.callback_query
    message = query.message
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        log.info("could not edit the survey message (%s); sending a new one", exc)
        await _send_survey_message(update, context, response, text, markup)
        return
    if message is not None and message.message_id != response.message_id:
        # An older survey message was pressed: it is the survey message from now on.
        async with context.sessions.begin() as session:
            await survey_press.set_message_id(session, response.id, message.message_id)
        await common.remove_keyboard(context, update.effective_chat.id, response.message_id)


# -- survey presses ------------------------------------------------------------------


@dataclass(frozen=True)
class Pressed:
    """A survey press checked against the stored draft: written, or why not."""

    response: SurveyView | None
    notice: Notice | None = None  # None: the move was written


async def _apply(context: BotContext, token: str, key: str, move: survey.Move) -> Pressed:
    """Write ``move`` on the citizen's draft ``token`` in one short transaction, if it may.

    The happy path is one conditional ``UPDATE … RETURNING`` and the commit
    (`storage.survey_press.press`); only a press that matched nothing reads the
    response again to say why.
    """
    now = context.clock.now()
    ttl = context.settings.survey_draft_ttl_hours
    cache = context.survey_names
    async with context.sessions.begin() as session:
        written = await survey_press.press(
            session, cache, token=token, user_key=key, move=move, now=now, ttl_hours=ttl
        )
        if written is not None:
            return Pressed(written)
        response = await survey_press.stored(session, cache, token)
        if response is None or response.user_key != key:
            return Pressed(response, Notice.UNKNOWN)
        if survey.is_stale(response, now, ttl):
            await survey.abandon_stale_drafts(session, now, ttl, user_key=key)
            return Pressed(response, Notice.EXPIRED)
        if response.status != DRAFT:
            return Pressed(response, Notice.CLOSED)
        return Pressed(response, Notice.STALE)


async def _refuse(update: Update, context: BotContext, pressed: Pressed) -> None:
    """A press that changed nothing: a short notice, and the survey message caught up."""
    response, notice = pressed.response, pressed.notice
    assert notice is not None
    language = response.language if response is not None and notice != Notice.UNKNOWN else None
    _ = gettext_for(language) if language else await context.gettext(update)
    log.info("refused survey press (%s) in update %s", notice, update.update_id)
    await common.answer_query(update, screens.notice_text(notice, _))
    message = update.callback_query.message
    if (
        notice in (Notice.STALE, Notice.CLOSED)
        and response is not None
        and message is not None
        and message.message_id == response.message_id
    ):
        # The survey message itself is behind (the bot stopped between storing an
        # answer and showing the next step): show where the citizen really is.
        await _show_in_place(update, context, response)


async def _press(update: Update, context: BotContext, move: survey.Move) -> None:
    """Check a survey press against the stored draft, write ``move``, show the next step.

    ``move`` is a conditional write: it matches nothing when the draft is no
    longer at the step the button named (double tap, redelivery, stale button).
    """
    token = context.match.group("token") if context.match else ""
    pressed = await _apply(context, token, context.user_key(update), move)
    if pressed.notice is not None or pressed.response is None:
        await _refuse(update, context, pressed)
        return
    if pressed.response.status == SUBMITTED:  # committed: alert the unit head now
        alert_trigger.trigger(context.services)
    # The answer and the edit are independent requests: sent together, the citizen
    # waits for one round trip instead of two.
    await asyncio.gather(
        common.answer_query(update), _show_in_place(update, context, pressed.response)
    )


async def _invalid(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    log.info("invalid survey callback data in update %s", update.update_id)
    await common.answer_query(update, _("This button is not valid."))


async def begin_survey(update: Update, context: BotContext) -> None:
    """``sv:<token>:go`` at intro: stores the move to U1 and asks the first question."""

    await _press(update, context, survey.begin_move())


async def answer_question(update: Update, context: BotContext) -> None:
    """``sv:<token>:a:<U1…U9>:<1-4>``: stores that unsur's score and asks the next
    unsur (after U9, the comment)."""
    step = context.match.group("step")
    score = int(context.match.group("value"))
    if step not in survey.UNSUR_STEPS or score not in (1, 2, 3, 4):
        await _invalid(update, context)
        return
    await _press(update, context, survey.answer_move(step, score))


async def answer_profile(update: Update, context: BotContext) -> None:
    """``sv:<token>:p:<field>:<value>``: stores one profile answer and asks the next
    field (after the last, consent to be contacted)."""
    field = context.match.group("step")
    value = context.match.group("value")
    if field not in survey.PROFILE_STEPS or value not in survey.profile_values(field):
        await _invalid(update, context)
        return
    await _press(update, context, survey.profile_move(field, value))


async def skip_step(update: Update, context: BotContext) -> None:
    """``sv:<token>:s:<step>``: leaves an optional step (an earlier answer stays) and asks
    the next; skipping the contact question submits without a chat id (the summary)."""
    step = context.match.group("step")
    if step not in survey.OPTIONAL_STEPS:
        await _invalid(update, context)
        return
    if step == survey.CONTACT:  # skipping consent submits without a chat id
        move = survey.submit_move(contact_chat_id=None, tz=context.settings.tz)
    else:
        move = survey.skip_move(step)
    await _press(update, context, move)


async def consent_to_contact(update: Update, context: BotContext) -> None:
    """``sv:<token>:c:yes`` at contact: stores the chat id with the consent, submits,
    and shows the thank-you summary."""
    chat_id = update.effective_chat.id
    await _press(
        update, context, survey.submit_move(contact_chat_id=chat_id, tz=context.settings.tz)
    )


async def go_back(update: Update, context: BotContext) -> None:
    """``sv:<token>:b:<step>``: moves the draft one step back and asks that step again,
    its stored answer marked."""
    step = context.match.group("step")
    if step not in survey.STEPS or survey.previous_step(step) is None:
        await _invalid(update, context)
        return
    await _press(update, context, survey.back_move(step))


async def cancel_survey(update: Update, context: BotContext) -> None:
    """``sv:<token>:x``: stores the draft as cancelled (nothing counted) and says so."""

    await _press(update, context, survey.cancel_move())


async def malformed_press(update: Update, context: BotContext) -> None:
    """Any sv:/sp:/hd: data that none of the exact patterns accepted."""
    await _invalid(update, context)


# -- typed input during a survey --------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    """A message from a citizen, matched against their open draft."""

    draft: SurveyView | None  # as stored after the message
    saved: bool = False  # the message was stored as the comment
    too_long: int = 0  # the length of a comment over the limit


async def _take_comment(context: BotContext, key: str, message: Message) -> Typed:
    """Store ``message`` as the comment if the citizen's draft is at the comment step."""
    now = context.clock.now()
    settings = context.settings
    async with context.sessions.begin() as session:
        draft = await survey.current_draft(session, key, now, settings.survey_draft_ttl_hours)
        if draft is None or draft.step != survey.COMMENT or message.text is None:
            return Typed(survey_press.view_of(draft) if draft is not None else None)
        text = clean_text(message.text)
        if len(text) > settings.survey_comment_max_chars:
            return Typed(survey_press.view_of(draft), too_long=len(text))
        if text and await survey.save_comment(session, draft.id, text, now):
            return Typed(survey_press.view_of(await survey.reload(session, draft.id)), saved=True)
        return Typed(survey_press.view_of(draft))


async def on_message(update: Update, context: BotContext) -> None:
    """A message (not a command) from a citizen: at the comment step it stores the
    comment (cleaned, masked) and asks the first profile question; anywhere else
    it hints at what the step expects and asks the step again."""
    limit = context.settings.survey_comment_max_chars
    typed = await _take_comment(context, context.user_key(update), update.effective_message)
    draft = typed.draft
    if draft is None:
        await common.unexpected_message(update, context)
        return
    _ = gettext_for(draft.language)
    text, markup = render(draft, _, limit)
    if typed.too_long:
        text = f"{screens.too_long_text(typed.too_long, limit, _)}\n\n{text}"
    elif not typed.saved:
        text = f"{screens.hint(draft, _)}\n\n{text}"
    await _send_survey_message(update, context, draft, text, markup)


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(begin_survey, pattern=screens.PATTERN_BEGIN),
    CallbackQueryHandler(answer_question, pattern=screens.PATTERN_ANSWER),
    CallbackQueryHandler(answer_profile, pattern=screens.PATTERN_PROFILE),
    CallbackQueryHandler(skip_step, pattern=screens.PATTERN_SKIP),
    CallbackQueryHandler(consent_to_contact, pattern=screens.PATTERN_CONSENT),
    CallbackQueryHandler(go_back, pattern=screens.PATTERN_BACK),
    CallbackQueryHandler(cancel_survey, pattern=screens.PATTERN_CANCEL),
    # Also sp: and hd: data that handlers/citizen_entry.py and handlers/delete_data.py
    # (registered before) did not accept.
    CallbackQueryHandler(malformed_press, pattern=screens.PATTERN_ANY),
]
# Messages (a comment, or input where a button is due) reach `on_message`
# through handlers/typed_input.py, which first lets the other conversations claim them.
