"""The citizen survey (SKM, PermenPANRB 14/2017) in Telegram.

How a citizen arrives:

- ``/start s_<payload>`` from the QR code at the counter names a service (and
  maybe an officer); an unknown or inactive payload falls back to the chooser.
- the "Rate a service" button of the greeting opens the chooser: unit → service.

Then one message is edited step after step: a privacy line and Start, the
nine unsur (U1…U9, the regulation's list order) with their four answers from
worst to best, then the optional comment (typed), respondent profile and
consent to be contacted, and finally "Thank you" with a summary.

Where a citizen is lives only in the database (`storage.survey`): each press
names the response token and the step it answers (``sv:<token>:<action>…``,
see `CallbackData`); it is checked against the stored draft and written with
a conditional update, so stale, forged or repeated presses get a short notice
and change nothing, and a restarted bot continues where the citizen was.

Input that is not a button where a button is expected gets a hint and the
current step again, as a *new* message that becomes the survey message (the
old one loses its keyboard): after the citizen's own message the old survey
message would be out of sight. The same happens after a typed comment.

``/hapusdata`` (``/deletemydata``) deletes everything stored under the
citizen's pseudonym after a confirmation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.clock import local_day
from bot.core.i18n import Translate, gettext_for
from handlers import common
from handlers.context import BotContext
from scheduler.jobs import low_score_alerts
from scheduler.scoring.skm_instrument import PROFILE, PROFILE_TITLES, UNSUR, UNSUR_BY_CODE
from storage import survey
from storage.masking import clean_text
from storage.survey_models import CANCELLED, DRAFT, SUBMITTED, SurveyResponse

log = logging.getLogger(__name__)

# -- callback data -----------------------------------------------------------------
# Survey presses: sv:<response token>:<action>[:<step>[:<value>]] (≤ 64 bytes).
SURVEY = "sv"
BEGIN = "go"
ANSWER = "a"
PROFILE_ANSWER = "p"
SKIP = "s"
CONSENT = "c"
BACK = "b"
CANCEL = "x"
# Chooser: sp:u:<page> (units), sp:n:<unit id>[:<page>] (its services), sp:s:<service id>.
CHOOSE_UNITS = "sp:u:"
CHOOSE_UNIT = "sp:n:"
CHOOSE_SERVICE = "sp:s:"
# /hapusdata confirmation.
DELETE_YES = "hd:yes"
DELETE_NO = "hd:no"

_TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,16})"
_STEP = r"(?P<step>[A-Za-z0-9_]{1,16})"
PATTERN_BEGIN = rf"^{SURVEY}:{_TOKEN}:{BEGIN}$"
PATTERN_ANSWER = rf"^{SURVEY}:{_TOKEN}:{ANSWER}:(?P<step>U[1-9]):(?P<value>[1-4])$"
PATTERN_PROFILE = rf"^{SURVEY}:{_TOKEN}:{PROFILE_ANSWER}:{_STEP}:(?P<value>[A-Za-z0-9+-]{{1,12}})$"
PATTERN_SKIP = rf"^{SURVEY}:{_TOKEN}:{SKIP}:{_STEP}$"
PATTERN_CONSENT = rf"^{SURVEY}:{_TOKEN}:{CONSENT}:yes$"
PATTERN_BACK = rf"^{SURVEY}:{_TOKEN}:{BACK}:{_STEP}$"
PATTERN_CANCEL = rf"^{SURVEY}:{_TOKEN}:{CANCEL}$"

PAGE_SIZE = 8
CHECK = " ✓"  # marks the answer stored earlier when the citizen comes back to a step


def data(token: str, *parts: str) -> str:
    return ":".join((SURVEY, token, *parts))


# -- rendering (pure: a response in, text and buttons out) ---------------------------


def _header(response: SurveyResponse, _: Translate) -> str:
    service = response.service
    lines = [_("Public satisfaction survey"), f"{service.name}, {service.unit.name}"]
    return "\n".join(lines)


def _officer_line(response: SurveyResponse, _: Translate) -> str | None:
    if response.employee is None:
        return None
    return _("Officer: {name}").format(name=response.employee.name)


def _nav(response: SurveyResponse, _: Translate) -> list[InlineKeyboardButton]:
    row = []
    if survey.previous_step(response.step) is not None:
        row.append(
            InlineKeyboardButton(_("Back"), callback_data=data(response.token, BACK, response.step))
        )
    row.append(InlineKeyboardButton(_("Cancel"), callback_data=data(response.token, CANCEL)))
    return row


def _marked(label: str, chosen: bool) -> str:
    return label + CHECK if chosen else label


def render(
    response: SurveyResponse, _: Translate, limit: int = 1000
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The survey message for the response's current step."""
    if response.status == CANCELLED:
        return (
            _(
                "Survey cancelled. Nothing from it is counted. To rate a service later, "
                "scan the QR code again or use /start."
            ),
            None,
        )
    if response.status == SUBMITTED:
        return _summary(response, _), None
    if response.status != DRAFT:
        return _(
            "This survey is closed. To rate a service, scan the QR code again or use /start."
        ), None
    step = response.step
    token = response.token
    if step == survey.INTRO:
        parts = [_header(response, _)]
        officer = _officer_line(response, _)
        if officer:
            parts.append(officer)
        parts.append("")
        parts.append(
            _(
                "Nine short questions, less than a minute, without your name: "
                "we do not keep your Telegram identity (see /privacy)."
            )
        )
        buttons = [
            [InlineKeyboardButton(_("Start"), callback_data=data(token, BEGIN))],
            [InlineKeyboardButton(_("Cancel"), callback_data=data(token, CANCEL))],
        ]
        return "\n".join(parts), InlineKeyboardMarkup(buttons)
    if step in survey.UNSUR_STEPS:
        unsur = UNSUR_BY_CODE[step]
        number = survey.UNSUR_STEPS.index(step) + 1
        parts = [
            _header(response, _),
            "",
            _("Question {number}/{total}: {unsur}").format(
                number=number, total=len(survey.UNSUR_STEPS), unsur=_(unsur.name)
            ),
            _(unsur.question),
        ]
        officer = _officer_line(response, _) if unsur.about_officer else None
        if officer:
            parts.append(officer)
        stored = getattr(response, step.lower())
        rows = [
            [
                InlineKeyboardButton(
                    _marked(_(label), stored == score),
                    callback_data=data(token, ANSWER, step, str(score)),
                )
            ]
            for score, label in enumerate(unsur.options, start=1)
        ]
        rows.append(_nav(response, _))
        return "\n".join(parts), InlineKeyboardMarkup(rows)
    if step == survey.COMMENT:
        parts = [
            _header(response, _),
            "",
            _("Suggestions or complaints (optional)"),
            _(
                "Type your suggestion or complaint as a normal message (at most {limit} "
                "characters), or press Skip. Please leave out your NIK and phone number; "
                "if you include them, we hide them."
            ).format(limit=limit),
        ]
        if response.comment:
            parts += [
                "",
                _(
                    "Your comment so far (send a new one to replace it, or press Skip to "
                    "keep it): {comment}"
                ).format(comment=response.comment),
            ]
        rows = [
            [InlineKeyboardButton(_("Skip"), callback_data=data(token, SKIP, step))],
            _nav(response, _),
        ]
        return "\n".join(parts), InlineKeyboardMarkup(rows)
    if step in survey.PROFILE_STEPS:
        number = survey.PROFILE_STEPS.index(step) + 1
        stored = getattr(response, step)
        parts = [
            _header(response, _),
            "",
            _("About you (optional) {number}/{total}: {title}").format(
                number=number, total=len(survey.PROFILE_STEPS), title=_(PROFILE_TITLES[step])
            ),
            _("This helps the unit know whom it serves. Choose one, or press Skip."),
        ]
        buttons = [
            InlineKeyboardButton(
                _marked(_(label), stored == value),
                callback_data=data(token, PROFILE_ANSWER, step, value),
            )
            for value, label in PROFILE[step]
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows.append([InlineKeyboardButton(_("Skip"), callback_data=data(token, SKIP, step))])
        rows.append(_nav(response, _))
        return "\n".join(parts), InlineKeyboardMarkup(rows)
    if step == survey.CONTACT:
        parts = [
            _header(response, _),
            "",
            _("May the service unit contact you on Telegram about your feedback?"),
            _("Only if you agree do we keep your chat id with this response. Skip means no."),
        ]
        rows = [
            [
                InlineKeyboardButton(
                    _("Yes, you may contact me"), callback_data=data(token, CONSENT, "yes")
                )
            ],
            [InlineKeyboardButton(_("Skip"), callback_data=data(token, SKIP, step))],
            _nav(response, _),
        ]
        return "\n".join(parts), InlineKeyboardMarkup(rows)
    return _(
        "This survey is closed. To rate a service, scan the QR code again or use /start."
    ), None


def _summary(response: SurveyResponse, _: Translate) -> str:
    lines = [
        _("Thank you! Your rating of {service} has been recorded.").format(
            service=response.service.name
        ),
        "",
        _("Your answers:"),
    ]
    for unsur in UNSUR:
        score = getattr(response, unsur.code.lower())
        label = _(unsur.options[score - 1]) if score in (1, 2, 3, 4) else "-"
        lines.append(f"• {_(unsur.name)}: {label}")
    if response.comment:
        lines += ["", _("Suggestion or complaint: {comment}").format(comment=response.comment)]
    profile = []
    for field in survey.PROFILE_STEPS:
        value = getattr(response, field)
        labels = dict(PROFILE[field])
        if value in labels:
            profile.append(_(labels[value]))
    if profile:
        lines.append(_("About you: {profile}").format(profile=", ".join(profile)))
    if response.contact_ok:
        lines.append(_("You agreed to be contacted about this feedback."))
    lines += ["", _("You can delete your answers at any time with /hapusdata.")]
    return "\n".join(lines)


def _hint(response: SurveyResponse, _: Translate) -> str:
    """What to do instead, for input that is not what the current step expects."""
    if response.step == survey.INTRO:
        return _("Please press Start to begin, or Cancel.")
    if response.step == survey.COMMENT:
        return _("Please type your suggestion or complaint as text, or press Skip.")
    return _("Please answer with one of the buttons below.")


# -- sending and editing the survey message ----------------------------------------


async def _send_survey_message(
    update: Update,
    context: BotContext,
    response: SurveyResponse,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> None:
    """Send ``text`` as a new message that becomes the survey message."""
    chat_id = update.effective_chat.id
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    async with context.sessions.begin() as session:
        await survey.set_message_id(session, response.id, sent.message_id)
    if response.message_id != sent.message_id:
        await common.remove_keyboard(context, chat_id, response.message_id)


async def _show_in_place(update: Update, context: BotContext, response: SurveyResponse) -> None:
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
            await survey.set_message_id(session, response.id, message.message_id)
        await common.remove_keyboard(context, update.effective_chat.id, response.message_id)


# -- survey presses ------------------------------------------------------------------

Action = Callable[[AsyncSession, SurveyResponse, datetime], Awaitable[bool]]


async def _press(update: Update, context: BotContext, action: Action) -> None:
    """Check a survey press against the stored draft, run ``action``, show the next step.

    ``action`` is a conditional write: it returns False when the draft is no
    longer at the step the button named (double tap, redelivery, stale button).
    """
    match = context.match
    token = match.group("token") if match else ""
    now = context.clock.now()
    key = context.user_key(update)
    ttl = context.settings.survey_draft_ttl_hours
    notice: str | None = None
    async with context.sessions.begin() as session:
        response = await survey.response_by_token(session, token)
        if response is None or response.user_key != key:
            notice = "unknown"
        elif survey.is_stale(response, now, ttl):
            await survey.abandon_stale_drafts(session, now, ttl, user_key=key)
            notice = "expired"
        elif response.status != DRAFT:
            notice = "closed"
        elif not await action(session, response, now):
            notice = "stale"
            response = await survey.reload(session, response.id)
        # Otherwise the action's UPDATE … RETURNING refreshed `response` (storage.survey._move).
    if notice is not None:
        language = response.language if response is not None and notice != "unknown" else None
        _ = gettext_for(language) if language else await context.gettext(update)
        texts = {
            "unknown": _("This survey is no longer available. Please start again with /start."),
            "expired": _(
                "This survey expired because it was left unfinished. Please start again: "
                "scan the QR code or use /start."
            ),
            "closed": _(
                "This survey is closed. To rate a service, scan the QR code again or use /start."
            ),
            "stale": _(
                "That question has already been answered. Please use the latest survey message."
            ),
        }
        log.info("refused survey press (%s) in update %s", notice, update.update_id)
        await common.answer_query(update, texts[notice])
        message = update.callback_query.message
        if (
            notice in ("stale", "closed")
            and response is not None
            and message is not None
            and message.message_id == response.message_id
        ):
            # The survey message itself is behind (the bot stopped between storing an
            # answer and showing the next step): show where the citizen really is.
            await _show_in_place(update, context, response)
        return
    await common.answer_query(update)
    if response.status == SUBMITTED:  # committed: alert the unit head now, not in a minute
        low_score_alerts.trigger(context.services)
    await _show_in_place(update, context, response)


async def _invalid(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    log.info("invalid survey callback data in update %s", update.update_id)
    await common.answer_query(update, _("This button is not valid."))


async def begin_survey(update: Update, context: BotContext) -> None:
    async def action(session: AsyncSession, response: SurveyResponse, now: datetime) -> bool:
        return await survey.begin(session, response.id, now)

    await _press(update, context, action)


async def answer_question(update: Update, context: BotContext) -> None:
    step = context.match.group("step")
    score = int(context.match.group("value"))
    if step not in survey.UNSUR_STEPS or score not in (1, 2, 3, 4):
        await _invalid(update, context)
        return

    async def action(session: AsyncSession, response: SurveyResponse, now: datetime) -> bool:
        return await survey.answer_unsur(session, response.id, step, score, now)

    await _press(update, context, action)


async def answer_profile(update: Update, context: BotContext) -> None:
    field = context.match.group("step")
    value = context.match.group("value")
    if field not in survey.PROFILE_STEPS or value not in survey.profile_values(field):
        await _invalid(update, context)
        return

    async def action(session: AsyncSession, response: SurveyResponse, now: datetime) -> bool:
        return await survey.answer_profile(session, response.id, field, value, now)

    await _press(update, context, action)


async def skip_step(update: Update, context: BotContext) -> None:
    step = context.match.group("step")
    if step not in survey.OPTIONAL_STEPS:
        await _invalid(update, context)
        return

    async def action(session: AsyncSession, response: SurveyResponse, now: datetime) -> bool:
        if step == survey.CONTACT:  # skipping consent submits without a chat id
            return await survey.submit(session, response.id, now, contact_chat_id=None)
        return await survey.skip(session, response.id, step, now)

    await _press(update, context, action)


async def consent_to_contact(update: Update, context: BotContext) -> None:
    chat_id = update.effective_chat.id

    async def action(session: AsyncSession, response: SurveyResponse, now: datetime) -> bool:
        return await survey.submit(session, response.id, now, contact_chat_id=chat_id)

    await _press(update, context, action)


async def go_back(update: Update, context: BotContext) -> None:
    step = context.match.group("step")
    if step not in survey.STEPS or survey.previous_step(step) is None:
        await _invalid(update, context)
        return

    async def action(session: AsyncSession, response: SurveyResponse, now: datetime) -> bool:
        return await survey.go_back(session, response.id, step, now)

    await _press(update, context, action)


async def cancel_survey(update: Update, context: BotContext) -> None:
    async def action(session: AsyncSession, response: SurveyResponse, now: datetime) -> bool:
        return await survey.cancel(session, response.id, now)

    await _press(update, context, action)


async def malformed_press(update: Update, context: BotContext) -> None:
    """Any sv:/sp:/hd: data that none of the exact patterns accepted."""
    await _invalid(update, context)


# -- typed input during a survey --------------------------------------------------------


async def on_message(update: Update, context: BotContext) -> None:
    """A message (not a command) from a citizen: a comment, or input where a button is due."""
    message = update.effective_message
    key = context.user_key(update)
    now = context.clock.now()
    settings = context.settings
    limit = settings.survey_comment_max_chars
    saved = False
    too_long = 0
    async with context.sessions.begin() as session:
        draft = await survey.current_draft(session, key, now, settings.survey_draft_ttl_hours)
        if draft is not None and draft.step == survey.COMMENT and message.text is not None:
            text = clean_text(message.text)
            if len(text) > limit:
                too_long = len(text)
            elif text and await survey.save_comment(session, draft.id, text, now):
                draft = await survey.reload(session, draft.id)
                saved = True
    if draft is None:
        await common.unexpected_message(update, context)
        return
    _ = gettext_for(draft.language)
    text, markup = render(draft, _, limit)
    if too_long:
        hint = _(
            "Your comment is {length} characters long; the limit is {limit}. Please shorten "
            "it and send it again. Your answers so far are kept."
        ).format(length=too_long, limit=limit)
        text = f"{hint}\n\n{text}"
    elif not saved:
        text = f"{_hint(draft, _)}\n\n{text}"
    await _send_survey_message(update, context, draft, text, markup)


# -- entry: QR payload and the unit/service chooser ------------------------------------------


async def _open_survey(
    update: Update,
    context: BotContext,
    service_id: int,
    *,
    employee_id: int | None = None,
    entry_id: int | None = None,
    edit: bool = False,
) -> None:
    """Start (or resume) a survey of a service, in a new message or the pressed one."""
    settings = context.settings
    now = context.clock.now()
    key = context.user_key(update)
    language = await context.language(update)
    outcome = "new"
    draft: SurveyResponse | None = None
    service_name = ""
    # The message that showed the citizen's open draft: it loses its buttons.
    previous: int | None = None
    async with context.sessions.begin() as session:
        service = await survey.open_service(session, service_id)
        if service is None:
            outcome = "gone"
        else:
            service_name = service.name
            draft = await survey.current_draft(session, key, now, settings.survey_draft_ttl_hours)
            today = local_day(now, settings.tz)
            previous = draft.message_id if draft is not None else None
            if (
                draft is not None
                and draft.service_id == service_id
                and draft.employee_id == employee_id
            ):
                outcome = "resume"
            elif await survey.submitted_on(session, key, service_id, today) >= (
                settings.survey_max_per_day
            ):
                outcome = "limit"
            else:
                draft = await survey.start_draft(
                    session,
                    user_key=key,
                    service_id=service_id,
                    employee_id=employee_id,
                    entry_id=entry_id,
                    language=language,
                    now=now,
                    local_date=today,
                )
    if outcome == "gone":
        _ = gettext_for(language)
        await _show_units(update, context, 0, _("That choice is no longer available."), edit=edit)
        return
    if outcome == "limit":
        _ = gettext_for(language)
        text = _(
            "You have already rated {service} today. Thank you! You can rate it again tomorrow."
        ).format(service=service_name)
        await _put(update, text, None, edit=edit)
        return
    assert draft is not None
    _ = gettext_for(draft.language)
    text, markup = render(draft, _, settings.survey_comment_max_chars)
    if outcome == "resume":
        text = _("You have already started this survey; please continue here.") + "\n\n" + text
    message_id = await _put(update, text, markup, edit=edit)
    async with context.sessions.begin() as session:
        await survey.set_message_id(session, draft.id, message_id)
    if previous is not None and previous != message_id:
        await common.remove_keyboard(context, update.effective_chat.id, previous)


async def _put(
    update: Update, text: str, markup: InlineKeyboardMarkup | None, *, edit: bool
) -> int:
    """Edit the pressed message (chooser) or send a new one; the message id shown."""
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return query.message.message_id
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return query.message.message_id
            log.info("could not edit the chooser (%s); sending a new message", exc)
    sent = await update.effective_chat.send_message(text, reply_markup=markup)
    return sent.message_id


def _pager(page: int, pages: int, prefix: str, _: Translate) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(_("Previous"), callback_data=f"{prefix}{page - 1}"))
    if page + 1 < pages:
        row.append(InlineKeyboardButton(_("Next"), callback_data=f"{prefix}{page + 1}"))
    return row


async def _show_units(
    update: Update, context: BotContext, page: int, lead: str | None = None, *, edit: bool
) -> None:
    _ = await context.gettext(update)
    async with context.sessions() as session:
        units = await survey.units_with_active_services(session)
    if not units:
        text = _("There are no services to rate at the moment. Please try again later.")
        if lead:
            text = f"{lead}\n\n{text}"
        await _put(update, text, None, edit=edit)
        return
    pages = (len(units) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    rows = [
        [InlineKeyboardButton(unit.name, callback_data=f"{CHOOSE_UNIT}{unit.id}")]
        for unit in units[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    pager = _pager(page, pages, CHOOSE_UNITS, _)
    if pager:
        rows.append(pager)
    text = _("Which unit served you? Choose the unit:")
    if lead:
        text = f"{lead}\n\n{text}"
    await _put(update, text, InlineKeyboardMarkup(rows), edit=edit)


async def start_from_qr(update: Update, context: BotContext) -> None:
    """``/start s_<payload>``: the QR code at the counter."""
    payload = (context.args or [""])[0]
    entry = None
    if survey.PAYLOAD_RE.match(payload):
        async with context.sessions() as session:
            entry = await survey.open_entry(session, payload)
    if entry is None:
        _ = await context.gettext(update)
        log.info("unknown or inactive survey payload in update %s", update.update_id)
        lead = _("This QR code is not known or is no longer active.")
        await _show_units(update, context, 0, lead, edit=False)
        return
    employee = entry.employee
    # An officer who left keeps the poster usable; the answers are then not attributed.
    employee_id = employee.id if employee is not None and employee.active else None
    await _open_survey(
        update, context, entry.service_id, employee_id=employee_id, entry_id=entry.id
    )


async def rate_a_service(update: Update, context: BotContext) -> None:
    """The greeting's "Rate a service" button: the chooser, as its own message.

    The greeting stays as it was (it also serves employees); the chooser
    message is edited from then on.
    """
    await common.answer_query(update)
    await _show_units(update, context, 0, edit=False)


async def choose_units(update: Update, context: BotContext) -> None:
    """``sp:u:<page>``: a page of the list of units."""
    page = int(context.match.group("page"))
    await common.answer_query(update)
    await _show_units(update, context, page, edit=True)


async def choose_unit(update: Update, context: BotContext) -> None:
    """``sp:n:<unit id>[:<page>]``: the active services of one unit."""
    unit_id = int(context.match.group("unit"))
    page = int(context.match.group("page") or 0)
    _ = await context.gettext(update)
    async with context.sessions() as session:
        unit = await survey.get_unit(session, unit_id)
        services = await survey.active_services(session, unit_id) if unit else []
    await common.answer_query(update)
    if unit is None or not services:
        await _show_units(update, context, 0, _("That choice is no longer available."), edit=True)
        return
    pages = (len(services) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    rows = [
        [InlineKeyboardButton(service.name, callback_data=f"{CHOOSE_SERVICE}{service.id}")]
        for service in services[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    pager = _pager(page, pages, f"{CHOOSE_UNIT}{unit_id}:", _)
    if pager:
        rows.append(pager)
    rows.append([InlineKeyboardButton(_("Back"), callback_data=f"{CHOOSE_UNITS}0")])
    text = _("{unit}: which service did you use?").format(unit=unit.name)
    await _put(update, text, InlineKeyboardMarkup(rows), edit=True)


async def choose_service(update: Update, context: BotContext) -> None:
    """``sp:s:<service id>``: validated like any input, then the survey starts here."""
    service_id = int(context.match.group("service"))
    await common.answer_query(update)
    await _open_survey(update, context, service_id, edit=True)


# -- /hapusdata ---------------------------------------------------------------------------


async def delete_my_data(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    async with context.sessions() as session:
        count = await survey.count_user_responses(session, context.user_key(update))
    if count == 0:
        await update.effective_message.reply_text(
            _("We keep no survey answers linked to you, so there is nothing to delete.")
        )
        return
    buttons = [
        [InlineKeyboardButton(_("Yes, delete"), callback_data=DELETE_YES)],
        [InlineKeyboardButton(_("Cancel"), callback_data=DELETE_NO)],
    ]
    await update.effective_message.reply_text(
        _(
            "Delete all your survey data?\n\n"
            "Survey responses linked to you, including unfinished ones and contact "
            "details: {count}. Deleting cannot be undone."
        ).format(count=count),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def delete_confirmed(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    key = context.user_key(update)
    async with context.sessions.begin() as session:
        open_messages = await survey.open_survey_messages(session, key)
        deleted = await survey.delete_user_data(session, key)
    log.info("deleted %d survey responses on request (update %s)", deleted, update.update_id)
    if deleted == 0:  # a second tap: keep the message that says how many went
        await common.answer_query(
            update, _("We keep no survey answers linked to you, so there is nothing to delete.")
        )
        return
    await common.answer_query(update)
    await common.edit_pressed(
        update, _("Done. Survey responses deleted: {count}.").format(count=deleted)
    )
    for message_id in open_messages:  # their buttons would only answer "no longer available"
        await common.remove_keyboard(context, update.effective_chat.id, message_id)


async def delete_cancelled(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_pressed(update, _("Nothing was deleted; your data is kept."))


_PRIVATE = filters.ChatType.PRIVATE

HANDLERS: list[BaseHandler] = [
    CommandHandler(
        "start",
        start_from_qr,
        filters=_PRIVATE & filters.Regex(rf"^/start(@\w+)? {survey.ENTRY_PREFIX}"),
    ),
    CommandHandler(["hapusdata", "deletemydata"], delete_my_data, filters=_PRIVATE),
    CallbackQueryHandler(begin_survey, pattern=PATTERN_BEGIN),
    CallbackQueryHandler(answer_question, pattern=PATTERN_ANSWER),
    CallbackQueryHandler(answer_profile, pattern=PATTERN_PROFILE),
    CallbackQueryHandler(skip_step, pattern=PATTERN_SKIP),
    CallbackQueryHandler(consent_to_contact, pattern=PATTERN_CONSENT),
    CallbackQueryHandler(go_back, pattern=PATTERN_BACK),
    CallbackQueryHandler(cancel_survey, pattern=PATTERN_CANCEL),
    CallbackQueryHandler(rate_a_service, pattern=f"^{common.RATE_SERVICE_CALLBACK}$"),
    CallbackQueryHandler(choose_units, pattern=rf"^{CHOOSE_UNITS}(?P<page>\d{{1,4}})$"),
    CallbackQueryHandler(
        choose_unit, pattern=rf"^{CHOOSE_UNIT}(?P<unit>\d{{1,9}})(?::(?P<page>\d{{1,4}}))?$"
    ),
    CallbackQueryHandler(choose_service, pattern=rf"^{CHOOSE_SERVICE}(?P<service>\d{{1,9}})$"),
    CallbackQueryHandler(delete_confirmed, pattern=f"^{DELETE_YES}$"),
    CallbackQueryHandler(delete_cancelled, pattern=f"^{DELETE_NO}$"),
    CallbackQueryHandler(malformed_press, pattern=r"^(sv|sp|hd):"),
]
# Messages (a comment, or input where a button is due) reach `on_message`
# through handlers/typed_input.py, which first lets the other conversations claim them.
