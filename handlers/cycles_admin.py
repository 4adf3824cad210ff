"""``/siklus``: admins list, open, watch and close 360° review cycles from Telegram.

Only Telegram ids in ``ADMIN_IDS`` (`Settings.is_admin`) get anything here; anyone
else gets a polite refusal, and the refusal is logged under the user's pseudonym.
The command works in private chats only, so cycle figures never land in a group.

What an admin sees:

- ``/siklus``: the cycles, newest first, with their completion, a button per
  cycle and "Open a new cycle".
- a cycle: completion per relation group, per unit (the rater's unit), raters
  done, raters without a linked account; "Refresh", "Close cycle" (with a
  confirmation step) and "All cycles".
- opening, a short guided flow, one message per step (named steps below):
  NAME (typed) → DEADLINE (+7/+14/+30 days, or typed as YYYY-MM-DD) → SCOPE
  (all units or one unit with its sub-units, chosen or typed as a code) →
  CONFIRM (what would be created: employees, reviews, raters) → open. Max
  peers and self-assessment use the defaults; ``ulasan cycle open`` has the
  options.

Callback data (``cy:…``, at most 64 bytes) is user input: every press is
parsed by an exact pattern and checked against the database (does the cycle
exist, is it still open) and against the admin's flow (same nonce, same step),
so forged, stale or repeated presses get a short notice and change nothing.
Anything ``cy:`` that no pattern accepts is answered by `forged_press`.

Flow state lives in ``context.user_data[FLOW_KEY]`` (admins only): the step,
the nonce carried by the flow's buttons, and the answers so far. Nothing is
written until the admin confirms, so losing it (a restart; it expires after
`FLOW_TTL` of inactivity; ``/siklus`` starts over) only means starting the flow
again. Typed steps need the shared text router to call `handle_admin_text`
first: it returns True when it consumed the message.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.clock import format_day, local_day
from bot.core.i18n import N_, Translate
from handlers import common
from handlers.context import BotContext
from scheduler.cycles import close_cycle, open_cycle
from storage import review_cycles
from storage.crypto import new_token
from storage.review_cycles import (
    CycleError,
    CycleExists,
    CycleStatus,
    CycleSummary,
    DeadlineInPast,
    InvalidName,
    NoEmployees,
    UnknownUnit,
)
from storage.review_models import OPEN

log = logging.getLogger(__name__)

# -- callback data -------------------------------------------------------------------
LIST = "cy:l"
NEW = "cy:n"
SHOW = "cy:s:"  # cy:s:<cycle id>
CLOSE_ASK = "cy:c:"  # cy:c:<cycle id>
CLOSE_YES = "cy:cc:"  # cy:cc:<cycle id>
# The opening flow: every button carries the flow's nonce.
DEADLINE = "cy:d:"  # cy:d:<nonce>:<days>
SCOPE_ALL = "cy:a:"  # cy:a:<nonce>
SCOPE_UNIT = "cy:u:"  # cy:u:<nonce>:<unit id>
UNIT_PAGE = "cy:p:"  # cy:p:<nonce>:<page>
CONFIRM = "cy:ok:"  # cy:ok:<nonce>
CANCEL = "cy:x:"  # cy:x:<nonce>

_ID = r"(?P<id>\d{1,9})"
_NONCE = r"(?P<nonce>[A-Za-z0-9_-]{8})"
DEADLINE_DAYS = (7, 14, 30)

# -- the opening flow's steps -----------------------------------------------------------
FLOW_KEY = "cycles_admin.flow"
STEP_NAME = "name"
STEP_DEADLINE = "deadline"
STEP_SCOPE = "scope"
STEP_CONFIRM = "confirm"
FLOW_TTL = timedelta(minutes=30)
# Where a refused confirmation sends the admin back to.
_RETRY_STEP: dict[type[CycleError], str] = {
    CycleExists: STEP_NAME,
    InvalidName: STEP_NAME,
    DeadlineInPast: STEP_DEADLINE,
    UnknownUnit: STEP_SCOPE,
    NoEmployees: STEP_SCOPE,
}

PAGE_SIZE = 8
LIST_LIMIT = 10  # cycles shown by /siklus
LINES_LIMIT = 10  # units / unlinked raters shown in a status message
TEXT_LIMIT = 4000  # Telegram allows 4096 characters

STATE_LABELS = {OPEN: N_("open"), "closed": N_("closed")}
RELATION_LABELS = {
    "self": N_("Self-assessment"),
    "supervisor": N_("From the supervisor"),
    "peer": N_("From peers"),
    "subordinate": N_("From subordinates"),
}


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(rows)


def _cap(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


# -- rendering (pure: data in, text and buttons out) ------------------------------------------


def render_list(
    cycles: list[CycleSummary], _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    rows: list[list[InlineKeyboardButton]] = []
    if not cycles:
        text = _("360° review cycles\n\nThere are no cycles yet.")
    else:
        lines = [_("360° review cycles")]
        for cycle in cycles[:LIST_LIMIT]:
            lines.append(
                _(
                    "• {name}: {state}, deadline {deadline}, submitted {done}/{total} ({percent}%)"
                ).format(
                    name=cycle.name,
                    state=_(STATE_LABELS.get(cycle.status, cycle.status)),
                    deadline=format_day(cycle.deadline, language),
                    done=cycle.submitted,
                    total=cycle.assignments,
                    percent=cycle.percent_done,
                )
            )
            label = f"{cycle.name} ({_(STATE_LABELS.get(cycle.status, cycle.status))})"
            rows.append([InlineKeyboardButton(label[:60], callback_data=f"{SHOW}{cycle.id}")])
        if len(cycles) > LIST_LIMIT:
            lines.append(
                _("… and {count} older cycles (see `ulasan cycle list`).").format(
                    count=len(cycles) - LIST_LIMIT
                )
            )
        text = "\n".join(lines)
    rows.append([InlineKeyboardButton(_("Open a new cycle"), callback_data=NEW)])
    return _cap(text), _markup(rows)


def _counts_line(_: Translate, label: str, submitted: int, total: int, percent: int) -> str:
    return _("• {label}: {done}/{total} ({percent}%)").format(
        label=label, done=submitted, total=total, percent=percent
    )


def render_status(
    status: CycleStatus, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    totals = status.totals
    if status.unit_code:
        scope = _("unit {code} ({name}) with its sub-units").format(
            code=status.unit_code, name=status.unit_name
        )
    else:
        scope = _("all units")
    lines = [
        _("Cycle “{name}”: {state}").format(
            name=status.name, state=_(STATE_LABELS.get(status.status, status.status))
        ),
        _("Scope: {scope}").format(scope=scope),
        _("Deadline: {deadline}").format(deadline=format_day(status.deadline, language)),
        _(
            "Submitted: {done} of {total} ({percent}%); in progress: {progress}; "
            "not started: {pending}"
        ).format(
            done=totals.submitted,
            total=totals.total,
            percent=totals.percent_done,
            progress=totals.in_progress,
            pending=totals.pending,
        ),
        _("Raters: {raters}; finished all their reviews: {done}").format(
            raters=len(status.by_rater), done=status.raters_done
        ),
        "",
        _("By relation group:"),
    ]
    for relation, counts in status.by_relation.items():
        if counts.total:
            label = _(RELATION_LABELS.get(relation, relation))
            lines.append(
                _counts_line(_, label, counts.submitted, counts.total, counts.percent_done)
            )
    if status.by_unit:
        lines += ["", _("By unit (the rater's unit):")]
        for unit in status.by_unit[:LINES_LIMIT]:
            c = unit.counts
            lines.append(_counts_line(_, unit.code, c.submitted, c.total, c.percent_done))
        if len(status.by_unit) > LINES_LIMIT:
            lines.append(
                _("… and {count} more units").format(count=len(status.by_unit) - LINES_LIMIT)
            )
    unlinked = status.unlinked_raters
    if unlinked:
        lines += [
            "",
            _("Raters without a linked Telegram account ({count}):").format(count=len(unlinked)),
        ]
        lines += [f"• {r.name} ({r.nip})" for r in unlinked[:LINES_LIMIT]]
        if len(unlinked) > LINES_LIMIT:
            lines.append(_("… and {count} more").format(count=len(unlinked) - LINES_LIMIT))
    lines += [
        "",
        _('Every rater, as a table: `ulasan cycle status "{name}"` on the server.').format(
            name=status.name
        ),
    ]
    rows = [[InlineKeyboardButton(_("Refresh"), callback_data=f"{SHOW}{status.cycle_id}")]]
    if status.status == OPEN:
        rows.append(
            [InlineKeyboardButton(_("Close cycle"), callback_data=f"{CLOSE_ASK}{status.cycle_id}")]
        )
    rows.append([InlineKeyboardButton(_("All cycles"), callback_data=LIST)])
    return _cap("\n".join(lines)), _markup(rows)


def render_close_question(status: CycleStatus, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    unfinished = status.totals.pending + status.totals.in_progress
    text = "\n\n".join(
        [
            _("Close the cycle “{name}”?").format(name=status.name),
            _("{done} of {total} reviews are submitted; {open} are not.").format(
                done=status.totals.submitted, total=status.totals.total, open=unfinished
            ),
            _(
                "After closing, nobody can rate or change a review in this cycle, and every "
                "employee and supervisor receives their report. This cannot be undone."
            ),
        ]
    )
    rows = [
        [InlineKeyboardButton(_("Yes, close it"), callback_data=f"{CLOSE_YES}{status.cycle_id}")],
        [InlineKeyboardButton(_("No, go back"), callback_data=f"{SHOW}{status.cycle_id}")],
    ]
    return text, _markup(rows)


def _cancel_row(flow: dict[str, Any], _: Translate) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(_("Cancel"), callback_data=f"{CANCEL}{flow['nonce']}")]


def render_name_step(flow: dict[str, Any], _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "New review cycle (step 1 of 4)\n\n"
        "Type the name of the cycle, for example “360 Semester II 2025”."
    )
    return text, _markup([_cancel_row(flow, _)])


def render_deadline_step(
    flow: dict[str, Any], _: Translate, language: str, today: date
) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "New review cycle “{name}” (step 2 of 4)\n\n"
        "Until which day can colleagues rate? Choose below, or type a date as "
        "YYYY-MM-DD (for example {example})."
    ).format(name=flow["name"], example=(today + timedelta(days=14)).isoformat())
    rows = [
        [
            InlineKeyboardButton(
                _("+{days} days ({date})").format(
                    days=days,
                    date=format_day(today + timedelta(days=days), language),
                ),
                callback_data=f"{DEADLINE}{flow['nonce']}:{days}",
            )
        ]
        for days in DEADLINE_DAYS
    ]
    rows.append(_cancel_row(flow, _))
    return text, _markup(rows)


def render_scope_step(
    flow: dict[str, Any], _: Translate, units: list[Any], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "New review cycle “{name}” (step 3 of 4)\n\n"
        "Who takes part? All units, or one unit together with its sub-units. Choose "
        "below, or type the unit code."
    ).format(name=flow["name"])
    nonce = flow["nonce"]
    rows = [[InlineKeyboardButton(_("All units"), callback_data=f"{SCOPE_ALL}{nonce}")]]
    pages = max(1, (len(units) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    for unit in units[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        label = f"{unit.code} — {unit.name}"
        rows.append(
            [
                InlineKeyboardButton(
                    label if len(label) <= 48 else label[:47] + "…",
                    callback_data=f"{SCOPE_UNIT}{nonce}:{unit.id}",
                )
            ]
        )
    pager = []
    if page > 0:
        pager.append(
            InlineKeyboardButton(_("Previous"), callback_data=f"{UNIT_PAGE}{nonce}:{page - 1}")
        )
    if page + 1 < pages:
        pager.append(
            InlineKeyboardButton(_("Next"), callback_data=f"{UNIT_PAGE}{nonce}:{page + 1}")
        )
    if pager:
        rows.append(pager)
    rows.append(_cancel_row(flow, _))
    return text, _markup(rows)


def render_confirm_step(
    flow: dict[str, Any], preview: review_cycles.CyclePreview, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    if preview.unit_code:
        scope = _("unit {code} ({name}) with its sub-units").format(
            code=preview.unit_code, name=preview.unit_name
        )
    else:
        scope = _("all units")
    text = "\n".join(
        [
            _("New review cycle (step 4 of 4): open it?"),
            "",
            _("Name: {name}").format(name=flow["name"]),
            _("Deadline: {deadline}").format(
                deadline=format_day(date.fromisoformat(flow["deadline"]), language)
            ),
            _("Scope: {scope}").format(scope=scope),
            _("Employees rated: {employees}; reviews: {reviews}; raters: {raters}").format(
                employees=preview.employees,
                reviews=preview.assignments,
                raters=preview.raters,
            ),
            _("Raters who will get the opening message in Telegram: {linked}").format(
                linked=preview.linked_raters
            ),
            "",
            _(
                "Everyone is rated by themselves, their direct supervisor, up to 4 peers and "
                "their direct subordinates."
            ),
        ]
    )
    rows = [
        [InlineKeyboardButton(_("Open the cycle"), callback_data=f"{CONFIRM}{flow['nonce']}")],
        _cancel_row(flow, _),
    ]
    return text, _markup(rows)


# -- guards and small helpers -----------------------------------------------------------------

Callback = Callable[[Update, BotContext], Awaitable[None]]


async def _refuse(update: Update, context: BotContext, what: str) -> None:
    """Politely refuse someone who is not an admin (in a private chat), and log it."""
    _ = await context.gettext(update)
    who = context.user_key(update)[:12] if update.effective_user is not None else "?"
    log.warning("/siklus: refused %s from user %s (not an admin in a private chat)", what, who)
    text = _("Sorry, managing review cycles is only for administrators (BKPSDM).")
    if update.callback_query is not None:
        await common.answer_query(update, text, alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def _is_admin_here(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    chat = update.effective_chat
    return (
        user is not None
        and chat is not None
        and chat.type == chat.PRIVATE
        and context.settings.is_admin(user.id)
    )


def admin_only(callback: Callback) -> Callback:
    """Run ``callback`` for admins in a private chat; refuse (and log) anyone else."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: BotContext) -> None:
        if _is_admin_here(update, context):
            await callback(update, context)
            return
        query = update.callback_query
        await _refuse(
            update, context, f"{callback.__name__} ({query.data if query else 'command'})"
        )

    return guarded


async def _notice(update: Update, context: BotContext, text: str | None = None) -> None:
    """Answer a press that changed nothing (stale, forged or repeated)."""
    _ = await context.gettext(update)
    await common.answer_query(
        update, text or _("This button is no longer valid. Start again with /siklus."), alert=True
    )


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> int | None:
    """Edit the pressed message into ``text``; a new message when that is impossible."""
    query = update.callback_query
    try:
        await query.edit_message_text(text, reply_markup=markup)
        return query.message.message_id if query.message else None
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return query.message.message_id if query.message else None
        log.info("could not edit the /siklus message (%s); sending a new one", exc)
    sent = await update.effective_chat.send_message(text, reply_markup=markup)
    return sent.message_id


def _id(context: BotContext) -> int:
    """The cycle or unit id of a press (the pattern allows digits only)."""
    return int(context.match.group("id"))


# -- the flow state ------------------------------------------------------------------------------


def _flow(context: BotContext) -> dict[str, Any] | None:
    """The admin's unfinished opening flow, or None (expired flows are dropped)."""
    data = context.user_data
    if data is None:
        return None
    flow = data.get(FLOW_KEY)
    if not isinstance(flow, dict):
        return None
    touched = flow.get("touched")
    if not isinstance(touched, datetime) or context.clock.now() - touched > FLOW_TTL:
        data.pop(FLOW_KEY, None)
        return None
    return flow


def _new_flow(context: BotContext) -> dict[str, Any]:
    flow: dict[str, Any] = {
        "nonce": new_token(6),  # 8 characters
        "step": STEP_NAME,
        "name": None,
        "deadline": None,
        "unit_code": None,
        "message_id": None,
        "touched": context.clock.now(),
    }
    if context.user_data is not None:
        context.user_data[FLOW_KEY] = flow
    return flow


def _end_flow(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(FLOW_KEY, None)


def _flow_for_press(context: BotContext, step: str) -> dict[str, Any] | None:
    """The flow a flow button belongs to, if it is current and at ``step``."""
    flow = _flow(context)
    if flow is None or flow["nonce"] != context.match.group("nonce") or flow["step"] != step:
        return None
    flow["touched"] = context.clock.now()
    return flow


async def _render_step(
    update: Update, context: BotContext, flow: dict[str, Any], page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The current step of ``flow`` (the confirmation may fall back to an earlier step)."""
    _ = await context.gettext(update)
    language = await context.language(update)
    step = flow["step"]
    if step == STEP_NAME:
        return render_name_step(flow, _)
    if step == STEP_DEADLINE:
        return render_deadline_step(flow, _, language, _today(context))
    if step == STEP_SCOPE:
        async with context.sessions() as session:
            units = await review_cycles.list_units(session)
        return render_scope_step(flow, _, units, page)
    try:
        async with context.sessions() as session:
            preview = await review_cycles.preview_cycle(session, unit_code=flow["unit_code"])
    except CycleError as exc:  # e.g. the unit lost its last active employee meanwhile
        flow["step"] = _RETRY_STEP.get(type(exc), STEP_SCOPE)
        text, markup = await _render_step(update, context, flow)
        return f"{exc.translated(_)}\n\n{text}", markup
    return render_confirm_step(flow, preview, _, language)


def _today(context: BotContext) -> date:
    return local_day(context.clock.now(), context.settings.tz)


async def _show_step_in_place(
    update: Update,
    context: BotContext,
    flow: dict[str, Any],
    lead: str | None = None,
    page: int = 0,
) -> None:
    text, markup = await _render_step(update, context, flow, page)
    if lead:
        text = f"{lead}\n\n{text}"
    flow["message_id"] = await _edit(update, text, markup)


async def _send_step(
    update: Update, context: BotContext, flow: dict[str, Any], lead: str | None = None
) -> None:
    """The step as a new message below the admin's typed text; the old one loses its buttons."""
    text, markup = await _render_step(update, context, flow)
    if lead:
        text = f"{lead}\n\n{text}"
    chat_id = update.effective_chat.id
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    old = flow.get("message_id")
    flow["message_id"] = sent.message_id
    if old != sent.message_id:
        await common.remove_keyboard(context, chat_id, old)


# -- list, status, close ------------------------------------------------------------------------


async def _list_view(update: Update, context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    _ = await context.gettext(update)
    language = await context.language(update)
    async with context.sessions() as session:
        cycles = await review_cycles.list_cycles(session)
    return render_list(cycles, _, language)


@admin_only
async def siklus(update: Update, context: BotContext) -> None:
    """``/siklus``: the list of cycles (an unfinished opening flow is dropped)."""
    _end_flow(context)
    text, markup = await _list_view(update, context)
    await update.effective_message.reply_text(text, reply_markup=markup)


@admin_only
async def show_list(update: Update, context: BotContext) -> None:
    """``cy:l``: back to the list."""
    await common.answer_query(update)
    text, markup = await _list_view(update, context)
    await _edit(update, text, markup)


async def _status(context: BotContext, cycle_id: int) -> CycleStatus | None:
    async with context.sessions() as session:
        cycle = await review_cycles.cycle_by_id(session, cycle_id)
        if cycle is None:
            return None
        return await review_cycles.cycle_status(session, cycle.name)


@admin_only
async def show_cycle(update: Update, context: BotContext) -> None:
    """``cy:s:<id>``: one cycle's completion."""
    status = await _status(context, _id(context))
    if status is None:
        log.info("/siklus: press names an unknown cycle (update %s)", update.update_id)
        await _notice(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    text, markup = render_status(status, _, await context.language(update))
    await _edit(update, text, markup)


@admin_only
async def ask_close(update: Update, context: BotContext) -> None:
    """``cy:c:<id>``: ask before closing; nothing changes yet."""
    _ = await context.gettext(update)
    status = await _status(context, _id(context))
    if status is None:
        log.info("/siklus: close press names an unknown cycle (update %s)", update.update_id)
        await _notice(update, context)
        return
    if status.status != OPEN:
        await _notice(update, context, _("This cycle is already closed."))
        text, markup = render_status(status, _, await context.language(update))
        await _edit(update, text, markup)
        return
    await common.answer_query(update)
    text, markup = render_close_question(status, _)
    await _edit(update, text, markup)


@admin_only
async def close_confirmed(update: Update, context: BotContext) -> None:
    """``cy:cc:<id>``: close the cycle and queue the reports."""
    _ = await context.gettext(update)
    cycle_id = _id(context)
    actor = f"telegram:{context.user_key(update)[:16]}"
    async with context.sessions() as session:
        cycle = await review_cycles.cycle_by_id(session, cycle_id)
    if cycle is None:
        log.info("/siklus: close confirmation for an unknown cycle %s", cycle_id)
        await _notice(update, context)
        return
    try:
        # Its own transaction, which begins with a write (see scheduler.cycles).
        async with context.sessions.begin() as session:
            closed = await close_cycle(
                session, cycle.name, actor, context.clock.now(), context.settings
            )
    except CycleError as exc:  # closed meanwhile (another admin, a double tap)
        await _notice(update, context, exc.translated(_))
        status = await _status(context, cycle_id)
        if status is not None:
            text, markup = render_status(status, _, await context.language(update))
            await _edit(update, text, markup)
        return
    log.info("cycle %s closed from Telegram by %s", closed.name, actor)
    await common.answer_query(update)
    text = "\n\n".join(
        [
            _("The cycle “{name}” is closed: {done} of {total} reviews were submitted.").format(
                name=closed.name, done=closed.counts.submitted, total=closed.counts.total
            ),
            _("Reports queued for sending: {count}.").format(count=closed.reports_queued),
        ]
    )
    rows = [
        [InlineKeyboardButton(_("Show the cycle"), callback_data=f"{SHOW}{closed.cycle_id}")],
        [InlineKeyboardButton(_("All cycles"), callback_data=LIST)],
    ]
    await _edit(update, text, _markup(rows))


# -- opening: one small callback per step ---------------------------------------------------------


@admin_only
async def start_new(update: Update, context: BotContext) -> None:
    """``cy:n``: begin the flow at STEP_NAME (any earlier flow is replaced)."""
    await common.answer_query(update)
    flow = _new_flow(context)
    await _show_step_in_place(update, context, flow)


@admin_only
async def deadline_chosen(update: Update, context: BotContext) -> None:
    """``cy:d:<nonce>:<days>``: a deadline button of STEP_DEADLINE."""
    flow = _flow_for_press(context, STEP_DEADLINE)
    days = int(context.match.group("days"))
    if flow is None or days not in DEADLINE_DAYS:
        await _notice(update, context)
        return
    await common.answer_query(update)
    flow["deadline"] = (_today(context) + timedelta(days=days)).isoformat()
    flow["step"] = STEP_SCOPE
    await _show_step_in_place(update, context, flow)


@admin_only
async def unit_page(update: Update, context: BotContext) -> None:
    """``cy:p:<nonce>:<page>``: another page of units at STEP_SCOPE."""
    flow = _flow_for_press(context, STEP_SCOPE)
    if flow is None:
        await _notice(update, context)
        return
    await common.answer_query(update)
    await _show_step_in_place(update, context, flow, page=int(context.match.group("page")))


@admin_only
async def scope_all(update: Update, context: BotContext) -> None:
    """``cy:a:<nonce>``: everyone takes part."""
    flow = _flow_for_press(context, STEP_SCOPE)
    if flow is None:
        await _notice(update, context)
        return
    await common.answer_query(update)
    flow["unit_code"] = None
    flow["step"] = STEP_CONFIRM
    await _show_step_in_place(update, context, flow)


@admin_only
async def scope_unit(update: Update, context: BotContext) -> None:
    """``cy:u:<nonce>:<unit id>``: one unit with its sub-units (the unit must exist)."""
    flow = _flow_for_press(context, STEP_SCOPE)
    unit = None
    if flow is not None:
        async with context.sessions() as session:
            unit = await review_cycles.unit_by_id(session, _id(context))
    if flow is None or unit is None:
        await _notice(update, context)
        return
    await common.answer_query(update)
    flow["unit_code"] = unit.code
    flow["step"] = STEP_CONFIRM
    await _show_step_in_place(update, context, flow)


@admin_only
async def confirm_open(update: Update, context: BotContext) -> None:
    """``cy:ok:<nonce>``: open the cycle; the flow ends (a second tap finds no flow)."""
    flow = _flow_for_press(context, STEP_CONFIRM)
    if flow is None:
        await _notice(update, context)
        return
    _ = await context.gettext(update)
    actor = f"telegram:{context.user_key(update)[:16]}"
    try:
        async with context.sessions.begin() as session:
            opened = await open_cycle(
                session,
                name=flow["name"],
                deadline=date.fromisoformat(flow["deadline"]),
                unit_code=flow["unit_code"],
                actor=actor,
                now=context.clock.now(),
                settings=context.settings,
            )
    except CycleError as exc:
        await common.answer_query(update)
        flow["step"] = _RETRY_STEP.get(type(exc), STEP_NAME)
        await _show_step_in_place(update, context, flow, lead=exc.translated(_))
        return
    _end_flow(context)
    log.info("cycle %s opened from Telegram by %s", opened.name, actor)
    await common.answer_query(update)
    text = "\n\n".join(
        [
            _(
                "The cycle “{name}” is open: {employees} employees, {reviews} reviews, "
                "{raters} raters."
            ).format(
                name=opened.name,
                employees=opened.employees,
                reviews=opened.assignments,
                raters=opened.raters,
            ),
            _(
                "Opening messages queued: {count}. Raters without a linked account: {unlinked}."
            ).format(count=opened.notified, unlinked=opened.unlinked_raters),
        ]
    )
    rows = [
        [InlineKeyboardButton(_("Show the cycle"), callback_data=f"{SHOW}{opened.cycle_id}")],
        [InlineKeyboardButton(_("All cycles"), callback_data=LIST)],
    ]
    await _edit(update, text, _markup(rows))


@admin_only
async def cancel_flow(update: Update, context: BotContext) -> None:
    """``cy:x:<nonce>``: drop the flow; nothing was written."""
    flow = _flow(context)
    if flow is None or flow["nonce"] != context.match.group("nonce"):
        await _notice(update, context)
        return
    _end_flow(context)
    await common.answer_query(update)
    _ = await context.gettext(update)
    lead = _("No cycle was opened.")
    text, markup = await _list_view(update, context)
    await _edit(update, f"{lead}\n\n{text}", markup)


async def forged_press(update: Update, context: BotContext) -> None:
    """Any ``cy:`` data that no exact pattern accepted: refused, logged, nothing changed."""
    if not _is_admin_here(update, context):
        await _refuse(update, context, "malformed cy: data")
        return
    log.warning("/siklus: malformed callback data in update %s", update.update_id)
    await _notice(update, context)


# -- typed input ---------------------------------------------------------------------------------

_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),
)


def parse_typed_date(text: str) -> date | None:
    """YYYY-MM-DD, or the Indonesian habit DD-MM-YYYY / DD/MM/YYYY; None if not a date."""
    for pattern in _DATE_FORMATS:
        found = pattern.match(text.strip())
        if found:
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
    return None


async def _typed_name(update: Update, context: BotContext, flow: dict[str, Any], text: str) -> None:
    _ = await context.gettext(update)
    try:
        name = review_cycles.clean_name(text)
        async with context.sessions() as session:
            if await review_cycles.name_taken(session, name):
                raise CycleExists(name=name)
    except CycleError as exc:
        await _send_step(update, context, flow, lead=exc.translated(_))
        return
    flow["name"] = name
    flow["step"] = STEP_DEADLINE
    await _send_step(update, context, flow)


async def _typed_deadline(
    update: Update, context: BotContext, flow: dict[str, Any], text: str
) -> None:
    _ = await context.gettext(update)
    day = parse_typed_date(text)
    if day is None:
        lead = _("“{text}” is not a date. Type it as YYYY-MM-DD, or choose a button.").format(
            text=text[:40]
        )
        await _send_step(update, context, flow, lead=lead)
        return
    if day < _today(context):
        await _send_step(
            update, context, flow, lead=DeadlineInPast(deadline=day.isoformat()).translated(_)
        )
        return
    flow["deadline"] = day.isoformat()
    flow["step"] = STEP_SCOPE
    await _send_step(update, context, flow)


async def _typed_unit(update: Update, context: BotContext, flow: dict[str, Any], text: str) -> None:
    _ = await context.gettext(update)
    try:
        async with context.sessions() as session:
            unit = await review_cycles.unit_by_code(session, text[:32])
    except CycleError as exc:
        await _send_step(update, context, flow, lead=exc.translated(_))
        return
    flow["unit_code"] = unit.code
    flow["step"] = STEP_CONFIRM
    await _send_step(update, context, flow)


async def _typed_at_confirm(
    update: Update, context: BotContext, flow: dict[str, Any], text: str
) -> None:
    _ = await context.gettext(update)
    await _send_step(
        update, context, flow, lead=_("Please use the buttons: open the cycle, or cancel.")
    )


_TYPED_STEPS = {
    STEP_NAME: _typed_name,
    STEP_DEADLINE: _typed_deadline,
    STEP_SCOPE: _typed_unit,
    STEP_CONFIRM: _typed_at_confirm,
}


async def handle_admin_text(update: Update, context: BotContext) -> bool:
    """A typed message: consume it (True) when it answers an admin's /siklus flow step.

    For the shared text router, before any other feature's free-text handling.
    Returns False (and touches nothing) for everyone who is not an admin in an
    unfinished, unexpired flow in a private chat.
    """
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    if user is None or chat is None or message is None or not message.text:
        return False
    if message.text.startswith("/"):  # commands are never a step's answer
        return False
    flow = _flow(context)
    if flow is None:
        return False
    if not context.settings.is_admin(user.id) or chat.type != chat.PRIVATE:
        _end_flow(context)  # no longer an admin: the flow must not capture their messages
        return False
    flow["touched"] = context.clock.now()
    await _TYPED_STEPS[flow["step"]](update, context, flow, message.text)
    return True


_PRIVATE = filters.ChatType.PRIVATE

HANDLERS: list[BaseHandler] = [
    CommandHandler(["siklus", "cycles"], siklus),
    CallbackQueryHandler(show_list, pattern=f"^{LIST}$"),
    CallbackQueryHandler(show_cycle, pattern=rf"^{SHOW}{_ID}$"),
    CallbackQueryHandler(ask_close, pattern=rf"^{CLOSE_ASK}{_ID}$"),
    CallbackQueryHandler(close_confirmed, pattern=rf"^{CLOSE_YES}{_ID}$"),
    CallbackQueryHandler(start_new, pattern=f"^{NEW}$"),
    CallbackQueryHandler(deadline_chosen, pattern=rf"^{DEADLINE}{_NONCE}:(?P<days>\d{{1,3}})$"),
    CallbackQueryHandler(scope_all, pattern=rf"^{SCOPE_ALL}{_NONCE}$"),
    CallbackQueryHandler(scope_unit, pattern=rf"^{SCOPE_UNIT}{_NONCE}:{_ID}$"),
    CallbackQueryHandler(unit_page, pattern=rf"^{UNIT_PAGE}{_NONCE}:(?P<page>\d{{1,4}})$"),
    CallbackQueryHandler(confirm_open, pattern=rf"^{CONFIRM}{_NONCE}$"),
    CallbackQueryHandler(cancel_flow, pattern=rf"^{CANCEL}{_NONCE}$"),
    CallbackQueryHandler(forged_press, pattern=r"^cy:"),
]
