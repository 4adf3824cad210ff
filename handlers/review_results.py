"""``/hasil`` (``/results``): a person's own 360° report again, and a supervisor's team.

- ``/hasil``: a linked employee gets the report of the latest CLOSED cycle in
  which they were rated, sent directly as a reply (the chart, then the text),
  exactly as it was queued at close (`scheduler.messages.review_reports`).
  While their cycle is still open they get a clear "results come at close"
  message, and nothing else: nobody can watch their score move. An unlinked
  user is told how to link. Results are personal, so the command works in
  private chats only.
- A direct supervisor in that cycle also gets a "Team summary" button
  (``rs:t:<cycle>``): completion, each member's overall and predikat, never
  individual answers. From there, per member (``rs:m:<cycle>:<ratee>``), the
  supervisor confirms or overrides the recommended perilaku kerja rating
  (``rs:d:<cycle>:<ratee>:<1-3>``), which `storage.review_results` records.

Callback data is user input: every ``rs:`` press is parsed by an exact
pattern and checked in storage (is the cycle closed, is this user the
ratee's direct supervisor in it); anything else gets a short notice, is
logged, and changes nothing (`forged_press`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.clock import format_day
from bot.core.i18n import Translate, gettext_for
from handlers import common
from handlers.context import BotContext
from scheduler import development
from scheduler.documents.review_chart import render_chart
from scheduler.messages.limits import split_text
from scheduler.messages.review_reports import (
    TEAM_CALLBACK,
    OutMessage,
    not_enough_text,
    number,
    report_messages,
    team_text,
)
from scheduler.scoring.review_instrument import Expectation
from storage.directory import employee_by_telegram
from storage.models import Employee
from storage.review_results import (
    CycleInfo,
    CycleRole,
    RateeResults,
    ResultsError,
    latest_closed_cycle_for,
    open_cycle_for,
    ratee_results,
    record_perilaku_decision,
    supervised_results,
    team_summary,
)

log = logging.getLogger(__name__)

PREFIX = "rs:"
MEMBER = "rs:m:"  # rs:m:<cycle id>:<ratee id>
DECIDE = "rs:d:"  # rs:d:<cycle id>:<ratee id>:<1-3>
_ID = r"\d{1,9}"
TEXT_LIMIT = 4096
MAX_MEMBER_BUTTONS = 90  # Telegram allows 100 buttons in one keyboard


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _employee(update: Update, context: BotContext) -> Employee | None:
    async with context.sessions() as session:
        return await employee_by_telegram(session, update.effective_user.id)


async def _send(update: Update, context: BotContext, messages: list[OutMessage]) -> None:
    chat_id = update.effective_chat.id
    for message in messages:
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                    for row in message.buttons
                ]
            )
            if message.buttons
            else None
        )
        if message.image is not None:
            await context.bot.send_photo(
                chat_id, photo=message.image, caption=message.text, reply_markup=markup
            )
        else:
            await context.bot.send_message(chat_id, message.text, reply_markup=markup)


def _team_button(_: Translate, cycle_id: int) -> list[list[dict[str, str]]]:
    return [[{"text": _("Team summary"), "callback_data": f"{TEAM_CALLBACK}{cycle_id}"}]]


def _with_buttons(
    messages: list[OutMessage], buttons: list[list[dict[str, str]]]
) -> list[OutMessage]:
    """The buttons go on the last message (a caption or a text)."""
    if not messages:
        return messages
    last = messages[-1]
    return [*messages[:-1], OutMessage(last.text, last.image, buttons)]


# -- /hasil ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Own:
    """What ``/hasil`` found for a linked employee."""

    role: CycleRole | None  # the latest closed cycle where they are rated or a supervisor
    pending: CycleInfo | None  # a cycle of theirs that is still open
    results: RateeResults | None  # their results in ``role``'s cycle, if rated there
    development: tuple[str, ...] = ()  # their previous plan beside each value's change


async def _own(context: BotContext, employee_id: int, language: str) -> Own:
    m = context.settings.min_anonymous_raters
    async with context.sessions() as session:
        role = await latest_closed_cycle_for(session, employee_id)
        pending = await open_cycle_for(session, employee_id)
        results = None
        if role is not None and role.is_ratee:
            results = await ratee_results(
                session,
                role.cycle.id,
                employee_id,
                min_raters=m,
                min_values=context.settings.recommendation_min_values,
            )
            plan = await development.progress(session, context.settings, results, language)
            return Own(role, pending, results, tuple(plan))
    return Own(role, pending, results)


async def hasil(update: Update, context: BotContext) -> None:
    """``/hasil``: the employee's report of their latest closed cycle, as it was sent at
    close; before any closed cycle, when the results will come."""
    language = await context.language(update)
    _ = gettext_for(language)
    message = update.effective_message
    if not _private(update):
        await message.reply_text(
            _("Results are personal: please send /hasil in a private chat with me.")
        )
        return
    employee = await _employee(update, context)
    if employee is None:
        await message.reply_text(
            _(
                "Your Telegram account is not linked to an employee, so there are no "
                "results to show. Open the link code you received from HR (BKPSDM) to "
                "link it."
            )
        )
        return
    own = await _own(context, employee.id, language)
    if own.role is None:
        await message.reply_text(_no_results_text(own.pending, _, language))
        return
    await _send(update, context, await _report(own, own.role, _, language))


def _no_results_text(pending: CycleInfo | None, _: Translate, language: str) -> str:
    if pending is None:
        return _("You have no results yet: no review cycle that includes you has closed.")
    return _(
        "Your results of the cycle “{cycle}” are released when the cycle closes "
        "(deadline {deadline}), never while ratings come in. You will receive them "
        "here then."
    ).format(cycle=pending.name, deadline=format_day(pending.deadline, language))


async def _report(own: Own, role: CycleRole, _: Translate, language: str) -> list[OutMessage]:
    """The report's messages (chart and text), a note on a cycle still open, and for a
    supervisor the "Team summary" button."""
    if own.results is not None:
        # Drawing takes tens of milliseconds: keep the other users' updates moving.
        chart = await asyncio.to_thread(render_chart, own.results, language)
        messages = report_messages(own.results, language, chart, development=own.development)
    else:
        messages = [
            OutMessage(
                _(
                    "You were not rated in the cycle “{cycle}”. As a direct supervisor you "
                    "can see your team's summary."
                ).format(cycle=role.cycle.name)
            )
        ]
    if own.pending is not None and own.pending.id != role.cycle.id:
        messages.append(
            OutMessage(
                _("The cycle “{cycle}” is still open; its results come when it closes.").format(
                    cycle=own.pending.name
                )
            )
        )
    if role.is_supervisor:
        messages = _with_buttons(messages, _team_button(_, role.cycle.id))
    return messages


# -- the team and the perilaku decision --------------------------------------------------------


async def _notice(update: Update, context: BotContext, why: str) -> None:
    """A press that is not (or no longer) valid for this user: short notice, logged."""
    log.warning("review results: refused callback in update %s: %s", update.update_id, why)
    _ = await context.gettext(update)
    await common.answer_query(update, _("This button is not valid for you (any more)."), alert=True)


def _ids(context: BotContext) -> dict[str, int]:
    return {key: int(value) for key, value in context.match.groupdict().items()}


async def show_team(update: Update, context: BotContext) -> None:
    """``rs:t:<cycle>``: the team summary of a direct supervisor, with a button per member."""
    ids = _ids(context)
    employee = await _employee(update, context) if _private(update) else None
    if employee is None:
        await _notice(update, context, "team: not a linked employee in a private chat")
        return
    m = context.settings.min_anonymous_raters
    try:
        async with context.sessions() as session:
            team = await team_summary(
                session,
                ids["cycle"],
                employee.id,
                min_raters=m,
                min_values=context.settings.recommendation_min_values,
            )
    except ResultsError as error:
        await _notice(update, context, f"team: {error.__class__.__name__}")
        return
    await common.answer_query(update)
    language = await context.language(update)
    _ = gettext_for(language)
    parts = split_text(team_text(team, language, m))
    rows = [
        [
            {
                "text": _("Perilaku kerja: {name}").format(name=member.person.name),
                "callback_data": f"{MEMBER}{team.cycle.id}:{member.person.id}",
            }
        ]
        for member in team.members[:MAX_MEMBER_BUTTONS]
    ]
    messages = [OutMessage(part) for part in parts]
    await _send(update, context, _with_buttons(messages, rows))


def _member_view(
    results: RateeResults, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    """One member's recommendation, ratings and decision, with a button per rating."""
    lines = [
        _("{name}: perilaku kerja in the cycle “{cycle}”").format(
            name=results.ratee.name, cycle=results.cycle.name
        ),
        "",
        _recommendation_line(results, _, language),
        *_decision_lines(results, _),
        "",
        _("Choose the perilaku kerja rating (you decide; the system only recommends):"),
    ]
    return "\n".join(lines)[:TEXT_LIMIT], _decision_buttons(results, _)


def _recommendation_line(results: RateeResults, _: Translate, language: str) -> str:
    rec = results.recommendation
    if rec is None:
        covered = results.coverage
        if covered is not None and covered.basis is not None:
            return not_enough_text(covered, _)
        return _("No recommendation: too few ratings from others.")
    line = _("Recommended: {rating} (from {basis} {mean}, n={n})").format(
        rating=_(rec.perilaku.label),
        basis=_(rec.basis.label).lower(),
        mean=number(rec.mean, language),
        n=rec.n,
    )
    names = ", ".join(_(results.instrument.item(code).name) for code in rec.values)
    rests = _("It rests on {count} of {total} core values: {values}.").format(
        count=len(rec.values), total=rec.total, values=names
    )
    return f"{line}\n{rests}"


def _decision_lines(results: RateeResults, _: Translate) -> list[str]:
    if results.hasil_kerja is not None:
        lines = [_("Your hasil kerja rating: {rating}").format(rating=_(results.hasil_kerja.label))]
    else:
        lines = [_("You gave no hasil kerja rating, so there is no predikat.")]
    if results.decision is None:
        return [*lines, _("Not decided yet.")]
    lines.append(_("Your decision: {rating}").format(rating=_(results.decision.decided.label)))
    if results.predikat is not None:
        lines.append(_("Predikat kinerja: {predikat}").format(predikat=_(results.predikat.label)))
    return lines


def _decision_buttons(results: RateeResults, _: Translate) -> InlineKeyboardMarkup:
    recommended = results.recommendation.perilaku if results.recommendation else None
    cycle_id, ratee_id = results.cycle.id, results.ratee.id
    buttons = [
        [
            InlineKeyboardButton(
                _(level.label) + (" ✓" if level is recommended else ""),
                callback_data=f"{DECIDE}{cycle_id}:{ratee_id}:{int(level)}",
            )
        ]
        for level in Expectation
    ]
    back = _("Back to the team")
    buttons.append([InlineKeyboardButton(back, callback_data=f"{TEAM_CALLBACK}{cycle_id}")])
    return InlineKeyboardMarkup(buttons)


async def show_member(update: Update, context: BotContext) -> None:
    """``rs:m:<cycle>:<ratee>``: one member's recommendation and the decision buttons."""
    ids = _ids(context)
    employee = await _employee(update, context) if _private(update) else None
    if employee is None:
        await _notice(update, context, "member: not a linked employee in a private chat")
        return
    m = context.settings.min_anonymous_raters
    try:
        async with context.sessions() as session:
            results = await supervised_results(
                session,
                ids["cycle"],
                employee.id,
                ids["ratee"],
                min_raters=m,
                min_values=context.settings.recommendation_min_values,
            )
    except ResultsError as error:
        await _notice(update, context, f"member: {error.__class__.__name__}")
        return
    await common.answer_query(update)
    language = await context.language(update)
    text, markup = _member_view(results, gettext_for(language), language)
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def _record(
    context: BotContext, ids: dict[str, int], supervisor_id: int
) -> tuple[bool, RateeResults]:
    """Record the decision; whether it overrides the recommendation, and the member's
    results with it. Raises `ResultsError` when this supervisor may not decide."""
    m = context.settings.min_anonymous_raters
    async with context.sessions.begin() as session:
        decision = await record_perilaku_decision(
            session,
            cycle_id=ids["cycle"],
            ratee_id=ids["ratee"],
            supervisor_id=supervisor_id,
            decided=ids["value"],
            now=context.clock.now(),
            min_raters=m,
            min_values=context.settings.recommendation_min_values,
        )
    async with context.sessions() as session:
        results = await supervised_results(
            session,
            ids["cycle"],
            supervisor_id,
            ids["ratee"],
            min_raters=m,
            min_values=context.settings.recommendation_min_values,
        )
    return decision.is_override, results


async def decide(update: Update, context: BotContext) -> None:
    """``rs:d:<cycle>:<ratee>:<value>``: stores the supervisor's perilaku kerja rating and
    shows the member again with it."""
    ids = _ids(context)
    employee = await _employee(update, context) if _private(update) else None
    if employee is None:
        await _notice(update, context, "decide: not a linked employee in a private chat")
        return
    try:
        is_override, results = await _record(context, ids, employee.id)
    except ResultsError as error:
        await _notice(update, context, f"decide: {error.__class__.__name__}")
        return
    language = await context.language(update)
    _ = gettext_for(language)
    saved = _("Saved: you changed the recommended rating.") if is_override else _("Saved.")
    await common.answer_query(update, saved)
    text, markup = _member_view(results, _, language)
    try:
        await update.callback_query.edit_message_text(
            f"{saved}\n\n{text}"[:TEXT_LIMIT], reply_markup=markup
        )
    except BadRequest:  # the same choice pressed twice: "message is not modified"
        log.info("review results: decision view unchanged in update %s", update.update_id)


async def forged_press(update: Update, context: BotContext) -> None:
    """Any ``rs:`` data that no exact pattern accepted: refused, logged, nothing changed."""
    await _notice(update, context, "malformed rs: data")


HANDLERS: list[BaseHandler] = [
    CommandHandler(["hasil", "results"], hasil),
    CallbackQueryHandler(show_team, pattern=rf"^{TEAM_CALLBACK}(?P<cycle>{_ID})$"),
    CallbackQueryHandler(show_member, pattern=rf"^{MEMBER}(?P<cycle>{_ID}):(?P<ratee>{_ID})$"),
    CallbackQueryHandler(
        decide, pattern=rf"^{DECIDE}(?P<cycle>{_ID}):(?P<ratee>{_ID}):(?P<value>\d)$"
    ),
    CallbackQueryHandler(forged_press, pattern=rf"^{PREFIX}"),
]
