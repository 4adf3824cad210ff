"""``/kasus``: heads, unit admins and the staff cases are handed to see and work their cases.

What a person sees (`storage.case_access` decides which cases): the open
cases, a page at a time, by deadline ("Resolved cases" for the closed ones);
one case with where it stands and its history; and, while it is open, the
steps: "Mark being handled", "Resolve" (the next text is the one-line
resolution), "Hand over" (to an active, linked employee of the unit),
"Reply to the citizen" (the Balas relay of ``handlers/alerts.py``).

Callback data is user input. ``ks:<token>:<version>:<action>[:<arg>]`` names
the case by its alert's random token; every press is checked again: the case
exists, the person may act on it, the version is the current one (else the
press is stale: the person sees the case as it is now and nothing changes),
the chosen employee may own it. ``kl:<o|s>:<page>`` pages the lists.
Anything else under ``ks:``/``kl:`` is refused by `forged_press`. Refusals are
logged under the person's pseudonym. Private chats only.

Typing the resolution: like the Balas relay, the pending state lives in
``user_data`` (`RESOLUTION_INPUT_KEY`), expires after `PENDING_TTL`, ends with
Cancel, and is dropped when the person used a review or a survey meanwhile.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import Translate
from handlers import alerts, common
from handlers import case_screens as screens
from handlers.context import (
    RESOLUTION_INPUT_KEY,
    BotContext,
    expect_typed_input,
    pending_typed_input,
)
from scheduler import case_flows
from scheduler.case_flows import Outcome
from scheduler.messages import cases as texts
from scheduler.scoring.case_rules import DONE, NEW, OPEN_STATUSES, RESOLUTION_MAX_CHARS
from storage import case_access, case_queries
from storage.case_access import Viewer
from storage.case_queries import CaseView
from storage.masking import clean_text, mask_personal_data

log = logging.getLogger(__name__)

PENDING_TTL = timedelta(minutes=15)
_TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,16})"
_VERSION = r"(?P<version>\d{1,6})"
PATTERN_CASE = (
    rf"^{texts.CALLBACK_PREFIX}:{_TOKEN}:{_VERSION}:"
    rf"(?P<action>{texts.OPEN}|{texts.VIEW}|{texts.WORKING}|{texts.RESOLVE}|{texts.CANCEL})$"
)
PATTERN_STAFF = rf"^{texts.CALLBACK_PREFIX}:{_TOKEN}:{_VERSION}:{texts.HAND}:(?P<page>\d{{1,3}})$"
PATTERN_HAND_TO = (
    rf"^{texts.CALLBACK_PREFIX}:{_TOKEN}:{_VERSION}:{texts.HAND_TO}:(?P<employee>\d{{1,12}})$"
)
PATTERN_LIST = (
    rf"^{screens.LIST_PREFIX}:(?P<which>{screens.OPEN_LIST}|{screens.RESOLVED_LIST}):"
    r"(?P<page>\d{1,3})$"
)


# -- loading and checking -------------------------------------------------------------------


async def _viewer(update: Update, context: BotContext) -> Viewer:
    async with context.sessions() as session:
        return await case_access.viewer_for(session, context.settings, update.effective_user.id)


def _refused(what: str, why: str, update: Update, context: BotContext) -> None:
    log.warning(
        "/kasus: refused %s (%s) from %s in update %s",
        what,
        why,
        common.who(update, context),
        update.update_id,
    )


async def _case_for_press(
    update: Update, context: BotContext, _: Translate
) -> tuple[CaseView, Viewer] | None:
    """The pressed case, if it exists and this person may act on it; else answered."""
    token = context.match.group("token")
    viewer = await _viewer(update, context)
    async with context.sessions() as session:
        view = await case_queries.case_by_token(session, token)
    if view is None:
        _refused("a press", "unknown case", update, context)
        await common.answer_query(update, _("This case is no longer available."), alert=True)
        return None
    if not viewer.may_see(view.unit_id, view.owner_employee_id):
        _refused("a press", "not theirs", update, context)
        await common.answer_query(update, _("This case is not yours to see."), alert=True)
        return None
    return view, viewer


def _is_current(view: CaseView, context: BotContext) -> bool:
    return int(context.match.group("version")) == view.version


async def _show_case(update: Update, context: BotContext, view: CaseView, *, edit: bool) -> None:
    _ = await context.gettext(update)
    async with context.sessions() as session:
        history = await case_queries.history(session, view.id)
    text, markup = screens.render_case(
        view, history, _, context.settings, await context.language(update), context.clock.now()
    )
    await common.edit_or_send(update, text, markup, edit=edit)


async def _reload(context: BotContext, view: CaseView) -> CaseView:
    async with context.sessions() as session:
        return await case_queries.case_by_id(session, view.id) or view


async def _stale(update: Update, context: BotContext, view: CaseView, _: Translate) -> None:
    """The press was made on an older view: say so and show the case as it is now."""
    text = (
        _("This case is already resolved.")
        if view.status == DONE
        else _("This case has changed since; here it is as it stands now.")
    )
    await common.answer_query(update, text, alert=True)
    await _show_case(update, context, view, edit=True)


# -- the list -------------------------------------------------------------------------------


async def _list_screen(
    update: Update, context: BotContext, viewer: Viewer, which: str, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    _ = await context.gettext(update)
    statuses = OPEN_STATUSES if which == screens.OPEN_LIST else (DONE,)
    async with context.sessions() as session:
        views, total = await case_queries.cases_for_viewer(
            session, viewer, statuses, limit=screens.PAGE_SIZE, offset=page * screens.PAGE_SIZE
        )
    return screens.render_list(
        views,
        total,
        which,
        page,
        _,
        context.settings,
        await context.language(update),
        context.clock.now(),
    )


async def kasus(update: Update, context: BotContext) -> None:
    """``/kasus``: the open cases this person may see (anyone else: a short refusal)."""
    _ = await context.gettext(update)
    viewer = await _viewer(update, context)
    if not viewer.oversees and viewer.employee_id is None:
        _refused("/kasus", "no unit, no account", update, context)
        await update.effective_message.reply_text(
            _(
                "/kasus is for unit heads, unit admins and the staff a case is handed to. "
                "Civil servants: link your account first with the link from HR (BKPSDM)."
            )
        )
        return
    text, markup = await _list_screen(update, context, viewer, screens.OPEN_LIST, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def press_list(update: Update, context: BotContext) -> None:
    """``kl:<o|s>:<page>``: another page, or the other list."""
    viewer = await _viewer(update, context)
    which, page = context.match.group("which"), int(context.match.group("page"))
    await common.answer_query(update)
    text, markup = await _list_screen(update, context, viewer, which, page)
    await common.edit_or_send(update, text, markup)


# -- one case -------------------------------------------------------------------------------


async def press_case(update: Update, context: BotContext) -> None:
    """``ks:<token>:<version>:<open|view|work|done|cancel>``."""
    _ = await context.gettext(update)
    found = await _case_for_press(update, context, _)
    if found is None:
        return
    view, viewer = found
    action = context.match.group("action")
    if action in (texts.OPEN, texts.VIEW):
        # From an alert or a notice (open): a new message, the alert stays as it was;
        # within /kasus (view): in place.
        await common.answer_query(update)
        await _show_case(update, context, view, edit=action == texts.VIEW)
    elif action == texts.CANCEL:
        _end_pending(context)
        await common.answer_query(update)
        await common.edit_pressed(update, _("Cancelled. The case is unchanged."))
    elif not _is_current(view, context) or view.status == DONE:
        await _stale(update, context, view, _)
    elif action == texts.WORKING:
        await _mark_handling(update, context, view, viewer, _)
    else:
        await _ask_resolution(update, context, view, _)


async def _mark_handling(
    update: Update, context: BotContext, view: CaseView, viewer: Viewer, _: Translate
) -> None:
    if view.status != NEW:
        await _stale(update, context, view, _)
        return
    async with context.sessions.begin() as session:
        outcome = await case_flows.mark_handling(
            session, view, viewer.employee_id, context.clock.now()
        )
    fresh = await _reload(context, view)
    if outcome is not Outcome.OK:
        await _stale(update, context, fresh, _)
        return
    await common.answer_query(update, _("Marked as being handled."))
    await _show_case(update, context, fresh, edit=True)


async def _ask_resolution(
    update: Update, context: BotContext, view: CaseView, _: Translate
) -> None:
    """Ask for the one-line resolution (with Cancel); the next text resolves the case."""
    await common.answer_query(update)
    cancel = texts.callback(view.token, view.version, texts.CANCEL)
    prompt = await context.bot.send_message(
        update.effective_chat.id,
        _(
            "Type how the case about {service} was resolved, in one line (at most {limit} "
            "characters). It is kept with the case; the citizen does not see it."
        ).format(service=view.service_name, limit=RESOLUTION_MAX_CHARS),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Cancel"), callback_data=cancel)]]
        ),
    )
    expect_typed_input(
        context.user_data,
        RESOLUTION_INPUT_KEY,
        {
            "token": view.token,
            "version": view.version,
            "since": context.clock.now(),
            "prompt": prompt.message_id,
        },
    )


# -- handing over ---------------------------------------------------------------------------


async def press_staff(update: Update, context: BotContext) -> None:
    """``ks:<token>:<version>:give:<page>``: the staff the case may be handed to."""
    _ = await context.gettext(update)
    found = await _case_for_press(update, context, _)
    if found is None:
        return
    view = found[0]
    if not _is_current(view, context) or view.status == DONE:
        await _stale(update, context, view, _)
        return
    async with context.sessions() as session:
        staff = await case_access.eligible_staff(session, view.responsible_unit_id)
    await common.answer_query(update)
    text, markup = screens.render_staff(view, staff, int(context.match.group("page")), _)
    await common.edit_or_send(update, text, markup)


async def press_hand_to(update: Update, context: BotContext) -> None:
    """``ks:<token>:<version>:to:<employee id>``: hand the case over (checked again)."""
    _ = await context.gettext(update)
    found = await _case_for_press(update, context, _)
    if found is None:
        return
    view, viewer = found
    if not _is_current(view, context) or view.status == DONE:
        await _stale(update, context, view, _)
        return
    to_employee = int(context.match.group("employee"))
    async with context.sessions.begin() as session:
        outcome = await case_flows.hand_over(
            session, context.settings, view, to_employee, viewer.employee_id, context.clock.now()
        )
    fresh = await _reload(context, view)
    if outcome is Outcome.NOT_STAFF:
        _refused("a hand-over", "not staff of the unit", update, context)
        await common.answer_query(update, _("This person cannot take this case."), alert=True)
        return
    if outcome is Outcome.STALE:
        await _stale(update, context, fresh, _)
        return
    context.services.wake()
    await common.answer_query(
        update, _("Handed to {name}; they were told.").format(name=fresh.owner_name)
    )
    await _show_case(update, context, fresh, edit=True)


async def forged_press(update: Update, context: BotContext) -> None:
    """Any ``ks:``/``kl:`` data that no exact pattern accepted."""
    _ = await context.gettext(update)
    _refused("malformed callback data", "forged", update, context)
    await common.answer_query(update, _("This button is not valid."), alert=True)


# -- the typed resolution -------------------------------------------------------------------


def _pending(context: BotContext) -> dict[str, Any] | None:
    return pending_typed_input(
        context.user_data, RESOLUTION_INPUT_KEY, context.clock.now(), PENDING_TTL
    )


def _end_pending(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(RESOLUTION_INPUT_KEY, None)


async def handle_case_text(update: Update, context: BotContext) -> bool:
    """A message (not a command): consume it (True) when it is an awaited resolution.

    For the shared text router (``handlers/typed_input.py``). False, touching
    nothing, when no resolution is awaited or the person used a review or a
    survey since they pressed Resolve."""
    if not common.is_private_text(update):
        return False
    pending = _pending(context)
    if pending is None:
        return False
    message = update.message
    if message.message_id < pending["prompt"]:
        return True  # older than the prompt: a redelivered update, answered before
    if await alerts.moved_on(update, context, pending["since"]):
        _end_pending(context)
        return False
    _ = await context.gettext(update)
    line = mask_personal_data(clean_text(message.text or ""))
    line = " ".join(line.split())
    if not line:
        await message.reply_text(_("Please type the resolution as text, or press Cancel."))
    elif len(line) > RESOLUTION_MAX_CHARS:
        await message.reply_text(
            _("That is {length} characters; the limit is {limit}. Please shorten it.").format(
                length=len(line), limit=RESOLUTION_MAX_CHARS
            )
        )
    else:
        await _resolve(update, context, pending, line, _)
    return True


async def _resolve(
    update: Update, context: BotContext, pending: dict[str, Any], line: str, _: Translate
) -> None:
    """Resolve the awaited case with ``line``, if it is still as the person saw it."""
    _end_pending(context)
    message = update.message
    viewer = await _viewer(update, context)
    async with context.sessions.begin() as session:
        view = await case_queries.case_by_token(session, pending["token"])
        allowed = view is not None and viewer.may_see(view.unit_id, view.owner_employee_id)
        outcome = Outcome.STALE
        if view is not None and allowed and view.version == pending["version"]:
            outcome = await case_flows.resolve(
                session, view, line, viewer.employee_id, context.clock.now()
            )
    if view is None or not allowed:
        await message.reply_text(_("This case is no longer available."))
        return
    fresh = await _reload(context, view)
    if outcome is not Outcome.OK:
        await message.reply_text(
            _("The case changed while you were typing, so nothing was saved. Here it is now:")
        )
    else:
        await message.reply_text(_("Resolved. Thank you."))
    await _show_case(update, context, fresh, edit=False)


HANDLERS: list[BaseHandler] = [
    CommandHandler(
        ["kasus", "cases"], kasus, filters=filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    ),
    CallbackQueryHandler(press_list, pattern=PATTERN_LIST),
    CallbackQueryHandler(press_case, pattern=PATTERN_CASE),
    CallbackQueryHandler(press_staff, pattern=PATTERN_STAFF),
    CallbackQueryHandler(press_hand_to, pattern=PATTERN_HAND_TO),
    CallbackQueryHandler(
        forged_press, pattern=rf"^({texts.CALLBACK_PREFIX}|{screens.LIST_PREFIX}):"
    ),
]
# Typed resolutions reach `handle_case_text` through handlers/typed_input.py.
