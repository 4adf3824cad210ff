"""The "Balas" (Reply) relay of a low-score alert: unit head ⇄ citizen, identities hidden.

A low-score alert (``scheduler/jobs/low_score_alerts.py``) whose citizen agreed to be
contacted carries a button ``al:<alert token>:reply``. The flow:

1. The head (or an admin) presses it. Only the employee the alert was
   addressed to, or someone who may act on the unit's cases now
   (`storage.case_access`: the case's owner, a head of the unit or a unit above
   it, an admin of the unit) may reply, so a head who left the post cannot,
   and a staff member the case was handed to can. Any
   other press, a forged or unknown token, and a press on an alert whose
   citizen did not consent are refused, answered briefly and logged (with a
   pseudonym, not the Telegram id).
2. The bot asks them to type the reply. Their next text message (hook
   `handle_alert_text`, asked by the shared text router before the review and
   the citizen survey) is cleaned and masked (phone numbers, NIK and e-mail
   addresses hidden, as for citizens' comments) and shown back as the citizen
   will read it, with **Send** and Cancel. Send is a binding confirmation
   (``handlers/confirm.py``: ``al:<token>:send:<nonce>``, the nonce stored
   with exactly that text, for this person and this alert, once): only then
   is it stored as a `SurveyRelay` (``to_citizen``) and queued in the outbox
   (kind ``relay``, deduplicated by the nonce) for the citizen's contact
   chat, in the citizen's survey language, as a reply from the unit. Typing
   again replaces the preview (its older Send is void). Relays keep the alert
   window (07:00–21:00): the head is told when it will arrive if it waits.
3. The citizen's message has a Reply button of its own (``al:<token>:answer``)
   until they have used it once: their answer, previewed and sent the same
   way, is stored (``from_citizen``) and relayed to everyone who got the
   alert, with a Reply button to continue.

Neither side sees the other: the citizen reads the unit's name, the head reads
"the citizen"; chat ids never appear in texts or callback data.

Pending state ("the next text is a reply to alert X") lives in
``context.user_data`` (in memory): it expires after `PENDING_TTL`, ends with
Cancel or Send, and ends as soon as the person is seen using a
peer review or a citizen survey since pressing Reply, so text meant for
those never reaches a citizen. A bot restart forgets it; the person simply
presses Reply again. A redelivered update (older than the prompt) is ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.clock import format_moment
from bot.core.i18n import N_, Translate
from bot.core.settings import Settings
from handlers import common, confirm
from handlers.context import RELAY_INPUT_KEY, BotContext, expect_typed_input, pending_typed_input
from scheduler import alert_relay as relay
from scheduler.messages import alerts as alert_texts
from storage import case_access, case_queries, outbox, survey_alerts
from storage.directory import employee_by_telegram
from storage.masking import clean_text, mask_personal_data
from storage.review_ratings import active_review
from storage.survey import citizen_draft_touched_after

log = logging.getLogger(__name__)

PENDING_KEY = RELAY_INPUT_KEY
PENDING_TTL = timedelta(minutes=15)
RELAY_MAX_CHARS = 1000
HEAD = "head"
CITIZEN = "citizen"

_TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,16})"
PATTERN_REPLY = rf"^{alert_texts.CALLBACK_PREFIX}:{_TOKEN}:{alert_texts.REPLY}$"
PATTERN_ANSWER = rf"^{alert_texts.CALLBACK_PREFIX}:{_TOKEN}:{alert_texts.ANSWER}$"
PATTERN_CANCEL = rf"^{alert_texts.CALLBACK_PREFIX}:{_TOKEN}:{alert_texts.CANCEL}$"
PATTERN_SEND = rf"^{alert_texts.CALLBACK_PREFIX}:{_TOKEN}:{alert_texts.SEND}:{confirm.NONCE}$"
RELAY = "relay"  # the Send confirmation's action (storage.confirmations)

GONE = N_("This alert is no longer available, so nothing was sent to the citizen.")


# -- who may do what ---------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    outcome: str  # ok | unknown | not_recipient | no_consent | not_yours | answered | no_reply
    case: survey_alerts.AlertCase | None = None
    employee_id: int | None = None


async def check_head(
    session: AsyncSession, settings: Settings, token: str, user_id: int
) -> Verdict:
    """May this Telegram user reply to the citizen of alert ``token``?"""
    case = await survey_alerts.alert_case(session, token)
    if case is None:
        return Verdict("unknown")
    row = await survey_alerts.alert_recipient(session, case, user_id)
    viewer = await case_access.viewer_for(session, settings, user_id)
    employee_id = viewer.employee_id
    addressed = employee_id is not None and row is not None and row.employee_id == employee_id
    owner = await case_queries.owner_of_response(session, case.response_id)
    if not (addressed or viewer.may_see(case.unit_id, owner)):
        return Verdict("not_recipient", case)
    if not case.contactable:
        return Verdict("no_consent", case)
    return Verdict("ok", case, employee_id)


async def check_citizen(session: AsyncSession, token: str, user_id: int) -> Verdict:
    """May this Telegram user answer the unit's reply of alert ``token`` (once)?"""
    case = await survey_alerts.alert_case(session, token)
    if case is None:
        return Verdict("unknown")
    if case.contact_chat_id != user_id:
        return Verdict("not_yours", case)
    if not await survey_alerts.head_has_replied(session, case.response_id):
        return Verdict("no_reply", case)
    if await survey_alerts.citizen_has_answered(session, case.response_id):
        return Verdict("answered", case)
    return Verdict("ok", case)


def _log_refused(what: str, verdict: Verdict, update: Update, context: BotContext) -> None:
    log.warning(
        "alerts: refused %s (%s) from %s in update %s",
        what,
        verdict.outcome,
        common.who(update, context),
        update.update_id,
    )


# -- pending state ------------------------------------------------------------------------


def _set_pending(context: BotContext, role: str, token: str, prompt_id: int | None) -> None:
    expect_typed_input(
        context.user_data,
        PENDING_KEY,
        {"role": role, "token": token, "since": context.clock.now(), "prompt": prompt_id},
    )


def _pending(context: BotContext) -> dict[str, Any] | None:
    return pending_typed_input(context.user_data, PENDING_KEY, context.clock.now(), PENDING_TTL)


def _end_pending(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)


async def moved_on(update: Update, context: BotContext, since: datetime) -> bool:
    """Whether the person used a peer review or a citizen survey since ``since`` (when
    they were asked to type something): then their text is meant for that."""
    settings = context.settings
    now = context.clock.now()
    async with context.sessions() as session:
        if await citizen_draft_touched_after(
            session,
            context.user_key(update),
            since,
            now=now,
            ttl_hours=settings.survey_draft_ttl_hours,
        ):
            return True
        employee = await employee_by_telegram(session, update.effective_user.id)
        if employee is None:
            return False
        review = await active_review(session, employee.id, now=now, tz=settings.tz)
        return review is not None and review.updated_at > since


def _cancel_markup(token: str, label: str) -> InlineKeyboardMarkup:
    data = alert_texts.callback(token, alert_texts.CANCEL)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


# -- button presses ------------------------------------------------------------------------


async def _ask_to_type(
    update: Update, context: BotContext, role: str, case: survey_alerts.AlertCase, text: str
) -> None:
    """Send the prompt (with Cancel); the person's next text is the relayed message."""
    _ = await context.gettext(update)
    prompt = await context.bot.send_message(
        update.effective_chat.id, text, reply_markup=_cancel_markup(case.token, _("Cancel"))
    )
    _set_pending(context, role, case.token, prompt.message_id)


def _head_refusal(outcome: str, _: Translate) -> str:
    texts = {
        "unknown": _("This alert is no longer available."),
        "not_recipient": _("This button is not for you."),
        "no_consent": _(
            "The citizen did not agree to be contacted, so there is nobody to reply to."
        ),
    }
    return texts.get(outcome, texts["unknown"])


async def press_reply(update: Update, context: BotContext) -> None:
    """``al:<token>:reply``: a recipient of the alert wants to answer the citizen. Stores
    "the next text is a reply to this alert" and asks for it."""
    token = context.match.group("token") if context.match else ""
    _ = await context.gettext(update)
    async with context.sessions() as session:
        verdict = await check_head(session, context.settings, token, update.effective_user.id)
    case = verdict.case
    if verdict.outcome != "ok" or case is None:
        _log_refused("Reply", verdict, update, context)
        await common.answer_query(update, _head_refusal(verdict.outcome, _), alert=True)
        return
    await common.answer_query(update)
    text = _(
        "Type your reply to the citizen about {service} ({unit}) as one message "
        "(at most {limit} characters).\n\n"
        "The citizen reads it as a reply from {unit}: your name and Telegram account "
        "are not shown, and you do not see theirs. Phone numbers, NIK and e-mail "
        "addresses are hidden."
    ).format(service=case.service_name, unit=case.unit_name, limit=RELAY_MAX_CHARS)
    await _ask_to_type(update, context, HEAD, case, text)


async def press_answer(update: Update, context: BotContext) -> None:
    """``al:<token>:answer``: the citizen answers the unit's reply (once). Stores "the
    next text is the answer" and asks for it."""
    token = context.match.group("token") if context.match else ""
    _ = await context.gettext(update)
    async with context.sessions() as session:
        verdict = await check_citizen(session, token, update.effective_user.id)
    case = verdict.case
    if verdict.outcome != "ok" or case is None:
        _log_refused("a citizen answer", verdict, update, context)
        if verdict.outcome == "answered":
            text = _("You have already answered. Thank you!")
        else:
            text = _("This button is not valid.")
        await common.answer_query(update, text, alert=True)
        return
    await common.answer_query(update)
    text = _(
        "Type your answer to {unit} as one message (at most {limit} characters). "
        "It reaches the service unit only; your Telegram account is not shown. "
        "You can answer once."
    ).format(unit=case.unit_name, limit=RELAY_MAX_CHARS)
    await _ask_to_type(update, context, CITIZEN, case, text)


async def press_cancel(update: Update, context: BotContext) -> None:
    """``al:<token>:cancel``: leave the typing step; nothing is sent."""
    query = update.callback_query
    _ = await context.gettext(update)
    pending = _pending(context)
    token = context.match.group("token") if context.match else ""
    if pending is not None and pending["token"] == token:
        _end_pending(context)
    await confirm.discard(update, context, RELAY, subject=_subject(token))
    await common.answer_query(update)
    try:
        await query.edit_message_text(_("Cancelled. Nothing was sent."))
    except TelegramError:  # too old or already edited: the answer above is enough
        pass


async def forged_press(update: Update, context: BotContext) -> None:
    """Any ``al:`` data that no exact pattern accepted."""
    _ = await context.gettext(update)
    log.warning(
        "alerts: refused malformed callback data from %s in update %s",
        common.who(update, context),
        update.update_id,
    )
    await common.answer_query(update, _("This button is not valid."), alert=True)


# -- typed text --------------------------------------------------------------------------


async def handle_alert_text(update: Update, context: BotContext) -> bool:
    """A message (not a command): consume it (True) when it is a pending reply or answer.

    For the shared text router, before the review and the citizen survey.
    Returns False, touching nothing, when the person pressed no Reply button
    lately, or has used a review or a survey since.
    """
    if not common.is_private_text(update):
        return False  # commands belong to their handlers
    message = update.message
    pending = _pending(context)
    if pending is None:
        return False
    if pending.get("prompt") is not None and message.message_id < pending["prompt"]:
        # Older than the prompt: a redelivered update, answered before.
        return True
    if await moved_on(update, context, pending["since"]):
        _end_pending(context)
        return False
    text = mask_personal_data(clean_text(message.text)) if message.text is not None else ""
    problem = _text_problem(text, await context.gettext(update))
    if problem is not None:
        await message.reply_text(problem)
    else:
        await _preview(update, context, pending, text)
    return True


def _text_problem(text: str, _: Translate) -> str | None:
    """Why a typed message cannot be relayed (nothing left after masking, too long)."""
    if not text:
        return _("Please type your message as text, or press Cancel.")
    if len(text) > RELAY_MAX_CHARS:
        return _(
            "Your message is {length} characters long; the limit is {limit}. "
            "Please shorten it and send it again."
        ).format(length=len(text), limit=RELAY_MAX_CHARS)
    return None


# -- relaying: a preview with a binding Send, then store and queue ------------------------


def _subject(token: str) -> str:
    """What a relay confirmation is about: the alert's conversation."""
    return f"alert:{token}"


async def _may_relay(update: Update, context: BotContext, role: str, token: str) -> Verdict:
    async with context.sessions() as session:
        if role == HEAD:
            return await check_head(session, context.settings, token, update.effective_user.id)
        return await check_citizen(session, token, update.effective_user.id)


def _preview_screen(
    role: str, case: survey_alerts.AlertCase, token: str, nonce: str, text: str, _: Translate
) -> tuple[str, InlineKeyboardMarkup]:
    if role == HEAD:
        lead = _("Send this reply to the citizen?")
        tail = _("The citizen reads it as a reply from {unit}.").format(unit=case.unit_name)
    else:
        lead = _("Send this answer to {unit}?").format(unit=case.unit_name)
        tail = _("You can answer once.")
    hint = _("To change it, type it again. Cancel sends nothing.")
    send = alert_texts.callback(token, alert_texts.SEND) + f":{nonce}"
    cancel = alert_texts.callback(token, alert_texts.CANCEL)
    buttons = [
        [InlineKeyboardButton(_("Send"), callback_data=send)],
        [InlineKeyboardButton(_("Cancel"), callback_data=cancel)],
    ]
    return f"{lead}\n\n{text}\n\n{tail} {hint}", InlineKeyboardMarkup(buttons)


async def _preview(update: Update, context: BotContext, pending: dict[str, Any], text: str) -> None:
    """The typed message, shown back with Send (a confirmation bound to this person, this
    alert and exactly this text, ``handlers/confirm.py``) and Cancel; nothing is sent yet.
    Typing again replaces the preview (the older Send is void)."""
    _ = await context.gettext(update)
    role, token = pending["role"], pending["token"]
    verdict = await _may_relay(update, context, role, token)
    case = verdict.case
    if verdict.outcome != "ok" or case is None:
        _end_pending(context)
        _log_refused("a typed message", verdict, update, context)
        await update.message.reply_text(_typed_refusal(role, verdict.outcome, _))
        return
    payload = {"role": role, "text": text}
    nonce = await confirm.issue(update, context, RELAY, subject=_subject(token), payload=payload)
    screen, markup = _preview_screen(role, case, token, nonce, text, _)
    shown = await update.message.reply_text(screen, reply_markup=markup)
    earlier = pending.get("preview")
    pending["preview"] = pending["prompt"] = shown.message_id
    await common.remove_keyboard(context, update.effective_chat.id, earlier)


def _typed_refusal(role: str, outcome: str, _: Translate) -> str:
    if outcome == "answered":
        return _("You have already answered. Thank you!")
    if role == HEAD:
        return _(GONE)
    return _("This conversation is no longer available.")


@dataclass(frozen=True)
class Relayed:
    outcome: str  # queued | refused | gone | not_queued | answered
    role: str = HEAD
    case: survey_alerts.AlertCase | None = None
    not_before: datetime | None = None


async def _deliver(
    session: AsyncSession,
    update: Update,
    context: BotContext,
    token: str,
    payload: dict[str, Any],
    not_before: datetime,
) -> survey_alerts.AlertCase:
    """Store the confirmed message and queue it, in the caller's transaction; raises
    `relay.NotRelayed` (so that nothing is stored) when it may not go any more."""
    role, text, user_id = (
        payload.get("role"),
        str(payload.get("text") or ""),
        update.effective_user.id,
    )
    now = context.clock.now()
    if role == HEAD:
        verdict = await check_head(session, context.settings, token, user_id)
        if verdict.outcome != "ok" or verdict.case is None or not text:
            raise relay.NotRelayed("gone")
        dedupe_key = f"relay:{token}:{confirm.pressed_nonce(context)}"
        await relay.reply_to_citizen(
            session,
            verdict.case,
            text,
            employee_id=verdict.employee_id,
            dedupe_key=dedupe_key,
            now=now,
            not_before=not_before,
            settings=context.settings,
        )
        return verdict.case
    verdict = await check_citizen(session, token, user_id)
    if verdict.outcome != "ok" or verdict.case is None or not text:
        raise relay.NotRelayed("answered" if verdict.outcome == "answered" else "gone")
    to = await relay.recipients(session, context.settings, verdict.case)
    await relay.answer_to_unit(session, verdict.case, text, to, now=now, not_before=not_before)
    return verdict.case


async def _send_confirmed(update: Update, context: BotContext, token: str) -> Relayed:
    """Use up the pressed Send's confirmation and relay what it showed, in one
    transaction: a refused, failed or repeated press stores and queues nothing."""
    not_before = relay.relay_not_before(context.clock.now(), context.settings)
    role = HEAD
    try:
        async with context.sessions.begin() as session:
            confirmed = await confirm.redeem(
                session, update, context, RELAY, subject=_subject(token)
            )
            if confirmed is None:
                return Relayed("refused")
            role = str(confirmed.payload.get("role"))
            case = await _deliver(session, update, context, token, confirmed.payload, not_before)
            return Relayed("queued", role, case, not_before)
    except relay.NotRelayed as exc:
        return Relayed(exc.reason, role)


async def press_send(update: Update, context: BotContext) -> None:
    """``al:<token>:send:<nonce>``: relay the previewed message, once."""
    token = context.match.group("token") if context.match else ""
    _ = await context.gettext(update)
    relayed = await _send_confirmed(update, context, token)
    if relayed.outcome == "refused":
        await _refused_send(update, context, token)
        return
    pending = _pending(context)
    if pending is not None and pending["token"] == token:
        _end_pending(context)
    if relayed.outcome == "queued" and relayed.case is not None:
        context.services.wake()
        text = await _sent_text(update, context, relayed)
    elif relayed.outcome == "not_queued":
        text = _("The citizen can no longer be reached on Telegram, so nothing was sent.")
    else:
        text = _typed_refusal(relayed.role, relayed.outcome, _)
    await common.answer_query(update)
    await common.edit_pressed(update, text)


async def _refused_send(update: Update, context: BotContext, token: str) -> None:
    """A Send without a valid confirmation: already sent (a double tap, a redelivered
    update), or void (forged, expired, replaced, someone else's)."""
    _ = await context.gettext(update)
    dedupe_key = f"relay:{token}:{confirm.pressed_nonce(context)}"
    async with context.sessions() as session:
        sent = await outbox.queued_already(session, dedupe_key)
        answered = await check_citizen(session, token, update.effective_user.id)
    if sent:
        await common.answer_query(update, _("This message was already sent."), alert=True)
    elif answered.outcome == "answered":
        await common.answer_query(update, _("You have already answered. Thank you!"), alert=True)
    else:
        await confirm.refuse(update, context, _("Press Reply to write a new message."))


async def _sent_text(update: Update, context: BotContext, relayed: Relayed) -> str:
    _ = await context.gettext(update)
    case = relayed.case
    assert case is not None
    if relayed.role != HEAD:
        return _("Thank you. Your answer was passed on to {unit}.").format(unit=case.unit_name)
    lines = [_("Sent. The citizen reads it as a reply from {unit}.").format(unit=case.unit_name)]
    not_before = relayed.not_before
    if not_before is not None and not_before > context.clock.now() + timedelta(minutes=1):
        when = format_moment(not_before, context.settings.tz, await context.language(update))
        lines.append(_("Outside 07:00–21:00 it waits: it goes out at {when}.").format(when=when))
    return "\n".join(lines)


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(press_reply, pattern=PATTERN_REPLY),
    CallbackQueryHandler(press_answer, pattern=PATTERN_ANSWER),
    CallbackQueryHandler(press_cancel, pattern=PATTERN_CANCEL),
    CallbackQueryHandler(press_send, pattern=PATTERN_SEND),
    CallbackQueryHandler(forged_press, pattern=rf"^{alert_texts.CALLBACK_PREFIX}:"),
]
# Typed replies reach `handle_alert_text` through handlers/typed_input.py.
