"""How a citizen arrives at the survey: the QR code's deep link, or the chooser.

- ``/start s_<payload>`` from the QR code at the counter names a service (and
  maybe an officer); an unknown or inactive payload falls back to the chooser.
- the "Rate a service" button of the greeting opens the chooser: unit → service
  (``sp:…`` presses, a page of eight at a time), edited in place.

Either way the citizen gets a new draft at the intro step, or their open draft
of the same service and officer again ("please continue here"); a service they
rated ``SURVEY_MAX_PER_DAY`` times today is refused until tomorrow. The message
that shows the draft becomes the survey message (``handlers/citizen.py`` takes
the steps from there); an older one loses its buttons. Registered before
``handlers/citizen.py``, whose catch-all answers any other ``sp:`` data.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.clock import local_day
from bot.core.i18n import Translate, gettext_for
from handlers import citizen_screens as screens
from handlers import common
from handlers.citizen_screens import render
from handlers.context import BotContext
from storage import survey, survey_press
from storage.survey_press import SurveyView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opening:
    """What asking for a survey of a service found (`_start_or_resume`)."""

    outcome: str  # new | resume | limit | missing
    draft: SurveyView | None = None
    service_name: str = ""
    previous: int | None = None  # the message that showed the citizen's open draft


Resolve = Callable[[AsyncSession], Awaitable[survey_press.Target | None]]


async def _start_or_resume(
    context: BotContext, key: str, language: str, resolve: Resolve
) -> Opening:
    """The citizen's draft of the service ``resolve`` finds (and officer), a new one, or
    why there is none: one short transaction of a few Core statements."""
    settings = context.settings
    now = context.clock.now()
    ttl = settings.survey_draft_ttl_hours
    cache = context.survey_names
    async with context.sessions.begin() as session:
        target = await resolve(session)
        if target is None:
            return Opening("missing")
        draft = await survey_press.latest_draft(session, cache, key)
        if draft is not None and survey.is_stale(draft, now, ttl):
            await survey.abandon_stale_drafts(session, now, ttl, user_key=key)
            draft = None
        previous = draft.message_id if draft is not None else None
        if draft is not None and (draft.service_id, draft.employee_id) == (
            target.service_id,
            target.employee_id,
        ):
            return Opening("resume", draft, target.service_name, previous)
        today = local_day(now, settings.tz)
        submitted = await survey_press.submitted_on(session, key, target.service_id, today)
        if submitted >= settings.survey_max_per_day:
            return Opening("limit", None, target.service_name, previous)
        new = await survey_press.start(
            session,
            cache,
            target,
            user_key=key,
            language=language,
            now=now,
            local_date=today,
            abandon_open=draft is not None,
        )
        return Opening("new", new, target.service_name, previous)


def _chosen_service(service_id: int) -> Resolve:
    async def resolve(session: AsyncSession) -> survey_press.Target | None:
        service = await survey.open_service(session, service_id)
        return None if service is None else survey_press.Target(service.id, service.name)

    return resolve


async def _open_survey(
    update: Update,
    context: BotContext,
    resolve: Resolve,
    *,
    missing: Callable[[Translate], str],
    edit: bool,
) -> str:
    """Start (or resume) a survey of a service, in a new message or the pressed one;
    when there is no such service, the chooser with the lead ``missing`` writes. The
    outcome (`Opening`)."""
    key = context.user_key(update)
    language = await context.language(update)
    opening = await _start_or_resume(context, key, language, resolve)
    if opening.outcome == "missing":
        await _show_units(update, context, 0, missing(gettext_for(language)), edit=edit)
    elif opening.outcome == "limit":
        text = screens.limit_text(opening.service_name, gettext_for(language))
        await common.edit_or_send(update, text, None, edit=edit)
    else:
        await _show_opened(update, context, opening, edit=edit)
    return opening.outcome


def _unknown_code(_: Translate) -> str:
    return _("This QR code is not known or is no longer active.")


async def _show_opened(
    update: Update, context: BotContext, opening: Opening, *, edit: bool
) -> None:
    """Show a new or resumed draft; it becomes the survey message."""
    draft = opening.draft
    assert draft is not None
    _ = gettext_for(draft.language)
    text, markup = render(draft, _, context.settings.survey_comment_max_chars)
    if opening.outcome == "resume":
        text = screens.resumed_lead(_) + "\n\n" + text
    shown = await common.edit_or_send(update, text, markup, edit=edit)
    message_id = shown.message_id
    async with context.sessions.begin() as session:
        await survey_press.set_message_id(session, draft.id, message_id)
    if opening.previous is not None and opening.previous != message_id:
        await common.remove_keyboard(context, update.effective_chat.id, opening.previous)


async def _show_units(
    update: Update, context: BotContext, page: int, lead: str | None = None, *, edit: bool
) -> None:
    _ = await context.gettext(update)
    async with context.sessions() as session:
        units = await survey.units_with_active_services(session)
    text, markup = screens.units_screen(units, page, lead, _)
    await common.edit_or_send(update, text, markup, edit=edit)


async def start_from_qr(update: Update, context: BotContext) -> None:
    """``/start s_<payload>``: the QR code at the counter. Stores a new draft of its
    service (and officer) at intro and asks to start; an unknown code shows the chooser."""
    payload = (context.args or [""])[0]
    if survey.PAYLOAD_RE.match(payload) is None:
        payload = ""

    async def resolve(session: AsyncSession) -> survey_press.Target | None:
        return await survey_press.entry_target(session, payload) if payload else None

    outcome = await _open_survey(update, context, resolve, missing=_unknown_code, edit=False)
    if outcome == "missing":
        log.info("unknown or inactive survey payload in update %s", update.update_id)


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
        await _show_units(update, context, 0, screens.gone_text(_), edit=True)
        return
    text, markup = screens.services_screen(unit, services, page, _)
    await common.edit_or_send(update, text, markup, edit=True)


async def choose_service(update: Update, context: BotContext) -> None:
    """``sp:s:<service id>``: validated like any input; stores a new draft of that
    service at intro (or resumes the open one) and asks to start."""
    service_id = int(context.match.group("service"))
    await common.answer_query(update)
    resolve = _chosen_service(service_id)
    await _open_survey(update, context, resolve, missing=screens.gone_text, edit=True)


HANDLERS: list[BaseHandler] = [
    CommandHandler(
        "start",
        start_from_qr,
        filters=filters.ChatType.PRIVATE & filters.Regex(rf"^/start(@\w+)? {survey.ENTRY_PREFIX}"),
    ),
    CallbackQueryHandler(rate_a_service, pattern=f"^{common.RATE_SERVICE_CALLBACK}$"),
    CallbackQueryHandler(choose_units, pattern=screens.PATTERN_CHOOSE_UNITS),
    CallbackQueryHandler(choose_unit, pattern=screens.PATTERN_CHOOSE_UNIT),
    CallbackQueryHandler(choose_service, pattern=screens.PATTERN_CHOOSE_SERVICE),
]
