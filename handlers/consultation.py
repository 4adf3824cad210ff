"""``/konsultasi``: ASN propose example behaviours per indicator and vote on them.

A consultation (`scheduler.consultations`) is open for a while before a 360°
cycle. From the invitation's button or ``/konsultasi`` a participant walks:
the core values (``ku:<c>``) → a value's indicators (``ku:<c>:<item>``) → one
indicator (``ku:<c>:<item>:<n>``): its wording (never changed), the examples
already adopted, the colleagues' proposals (numbered, without names or counts
while the window is open, so nobody votes with the crowd) with the reader's own
vote marked; "Pilih <k>" votes (``ku:<c>:<item>:<n>:v:<proposal>``, one vote
per person per indicator, a new one replaces it) and "Usulkan contoh"
(``ku:<c>:<item>:<n>:p``) asks for a typed example, which the shared text router
hands to `handle_example_text`.

Callback data is user input: every press is checked against the stored
consultation (open now, the person in its scope, the item and indicator in
its instrument, the proposal of that indicator); anything else gets a short
notice and changes nothing. Who proposed what goes to the audit log only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.clock import format_day
from bot.core.i18n import Translate
from handlers import common
from handlers.context import EXAMPLE_INPUT_KEY, BotContext, expect_typed_input, pending_typed_input
from scheduler import consultations
from scheduler.scoring.instrument_examples import EXAMPLE_MAX_CHARS
from scheduler.scoring.review_instrument import Instrument, InstrumentError
from storage import consultations as stored
from storage.consultation_models import Consultation, ConsultationProposal
from storage.directory import employee_by_telegram
from storage.models import Employee

log = logging.getLogger(__name__)

PREFIX = "ku:"
_ID = r"(?P<cid>\d{1,9})"
_ITEM = r"(?P<item>[A-Za-z0-9_-]{1,16})"
_IND = r"(?P<ind>\d{1,2})"
PATTERN_HOME = rf"^ku:{_ID}$"
# The invitation's button (scheduler/messages/consultations.py): the values as a new
# message, so the invitation stays readable.
PATTERN_INVITED = rf"^kun:{_ID}$"
PATTERN_VALUE = rf"^ku:{_ID}:{_ITEM}$"
PATTERN_INDICATOR = rf"^ku:{_ID}:{_ITEM}:{_IND}$"
PATTERN_VOTE = rf"^ku:{_ID}:{_ITEM}:{_IND}:v:(?P<pid>\d{{1,9}})$"
PATTERN_PROPOSE = rf"^ku:{_ID}:{_ITEM}:{_IND}:p$"
PATTERN_ANY = r"^ku:"
PENDING_TTL = timedelta(minutes=30)
# The flow's screens, drawn in handlers/consultation.mmd.
STEP_VALUES = "values"
STEP_INDICATORS = "indicators"
STEP_INDICATOR = "indicator"
STEP_EXAMPLE = "example"  # the typed example awaited
STEPS: tuple[str, ...] = (STEP_VALUES, STEP_INDICATORS, STEP_INDICATOR, STEP_EXAMPLE)
BUTTON_CHARS = 60


@dataclass(frozen=True)
class Place:
    """A checked press: the person, their open consultation, and where in it."""

    employee: Employee
    consultation: Consultation
    instrument: Instrument
    item: str | None = None
    indicator: int | None = None  # 0-based


class Refused(Exception):
    """A press or text that may not act; ``why`` is logged, the user gets a notice."""


async def _place(
    context: BotContext, user_id: int, cid: int, item: str | None = None, ind: int | None = None
) -> Place:
    now = context.clock.now()
    async with context.sessions() as session:
        employee = await employee_by_telegram(session, user_id)
        consultation = await stored.consultation_by_id(session, cid)
        if employee is None or consultation is None:
            raise Refused("no such consultation or not linked")
        if not stored.is_open(consultation, now):
            raise Refused("closed")
        if not await stored.may_take_part(session, consultation, employee):
            raise Refused("out of scope")
    try:
        instrument = consultations.instrument_of(consultation)
    except InstrumentError as exc:
        raise Refused("unknown instrument") from exc
    if item is not None and item not in instrument.item_codes:
        raise Refused("unknown item")
    if ind is not None and not 0 <= ind < len(instrument.item(item or "").indicators):
        raise Refused("unknown indicator")
    return Place(employee, consultation, instrument, item, ind)


def _short(text: str) -> str:
    return text if len(text) <= BUTTON_CHARS else text[: BUTTON_CHARS - 1] + "…"


def _until(context: BotContext, consultation: Consultation, language: str) -> str:
    return format_day(consultation.closes_at.astimezone(context.settings.tz).date(), language)


# -- screens -------------------------------------------------------------------------------


def _home(place: Place, _: Translate, until: str) -> tuple[str, InlineKeyboardMarkup]:
    c = place.consultation
    text = "\n\n".join(
        [
            _("Consultation “{name}”, open until {until}").format(name=c.name, until=until),
            _(
                "Choose a core value, then an indicator: read the colleagues' proposed "
                "examples, vote for the clearest (one vote per indicator, you may change "
                "it) or propose your own. Nobody sees who proposed what."
            ),
        ]
    )
    rows = [
        [
            InlineKeyboardButton(
                f"{item.code} {_(item.name)}", callback_data=f"ku:{c.id}:{item.code}"
            )
        ]
        for item in place.instrument.items
    ]
    return text, InlineKeyboardMarkup(rows)


def _value(place: Place, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    c, item = place.consultation, place.instrument.item(place.item or "")
    lines = [f"{item.code} {_(item.name)}", "", _("Choose an indicator:")]
    rows = []
    for n, indicator in enumerate(item.indicators):
        lines.append(f"{n + 1}. {_(indicator)}")
        label = f"{n + 1}. {_short(_(indicator))}"
        rows.append([InlineKeyboardButton(label, callback_data=f"ku:{c.id}:{item.code}:{n}")])
    rows.append([InlineKeyboardButton("◀", callback_data=f"ku:{c.id}")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


@dataclass(frozen=True)
class IndicatorView:
    adopted: tuple[str, ...]
    proposals: list[ConsultationProposal]
    mine: int | None  # the proposal this person voted for


async def _indicator_view(context: BotContext, place: Place) -> IndicatorView:
    item, ind = place.item or "", place.indicator or 0
    async with context.sessions() as session:
        examples = await stored.examples_of(
            session, place.instrument, place.consultation.base_version
        )
        proposals = await stored.proposals_for(session, place.consultation.id, item, ind)
        mine = await stored.vote_of(session, place.consultation.id, item, ind, place.employee.id)
    return IndicatorView(examples.get((item, ind), ()), proposals, mine)


def _indicator(place: Place, view: IndicatorView, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    c, item, ind = place.consultation, place.instrument.item(place.item or ""), place.indicator or 0
    base = f"ku:{c.id}:{item.code}:{ind}"
    lines = [
        f"{item.code} {_(item.name)} · {ind + 1}/{len(item.indicators)}",
        _(item.indicators[ind]),
    ]
    if view.adopted:
        lines += ["", _("Examples already in the criteria:")]
        lines += [f"• {text}" for text in view.adopted]
    lines.append("")
    if not view.proposals:
        lines.append(_("No proposals yet. Be the first: what does this look like in our work?"))
    else:
        lines.append(_("Colleagues' proposals (✓ your vote):"))
        for n, proposal in enumerate(view.proposals, start=1):
            mark = " ✓" if proposal.id == view.mine else ""
            lines.append(f"{n}. {proposal.text}{mark}")
    votes = [
        InlineKeyboardButton(
            _("Vote {n}").format(n=n) + (" ✓" if p.id == view.mine else ""),
            callback_data=f"{base}:v:{p.id}",
        )
        for n, p in enumerate(view.proposals, start=1)
    ]
    rows = [votes[i : i + 4] for i in range(0, len(votes), 4)]
    rows.append([InlineKeyboardButton(_("Propose an example"), callback_data=f"{base}:p")])
    rows.append([InlineKeyboardButton("◀", callback_data=f"ku:{c.id}:{item.code}")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


# -- presses -------------------------------------------------------------------------------


async def _refuse(update: Update, context: BotContext, why: str) -> None:
    log.warning(
        "consultation: refused %s in update %s from user %s",
        why,
        update.update_id,
        common.who(update, context),
    )
    _ = await context.gettext(update)
    text = _("This consultation is not open for you (or no longer open). Send /konsultasi.")
    if update.callback_query is not None:
        await common.answer_query(update, text, alert=True)
    else:
        await update.effective_message.reply_text(text)


def _match(context: BotContext) -> dict[str, Any]:
    groups = context.match.groupdict() if context.match else {}
    return {
        "cid": int(groups["cid"]),
        "item": groups.get("item"),
        "ind": int(groups["ind"]) if groups.get("ind") is not None else None,
    }


async def _show(update: Update, context: BotContext, place: Place, *, edit: bool = True) -> None:
    _ = await context.gettext(update)
    language = await context.language(update)
    if place.indicator is not None:
        text, markup = _indicator(place, await _indicator_view(context, place), _)
    elif place.item is not None:
        text, markup = _value(place, _)
    else:
        text, markup = _home(place, _, _until(context, place.consultation, language))
    await common.edit_or_send(update, text, markup, edit=edit and update.callback_query is not None)


async def navigate(update: Update, context: BotContext) -> None:
    """``ku:<c>[:<item>[:<n>]]``: the values, a value's indicators, or one indicator."""
    try:
        place = await _place(context, update.effective_user.id, **_match(context))
    except Refused as exc:
        await _refuse(update, context, str(exc))
        return
    await common.answer_query(update)
    data = update.callback_query.data or ""
    await _show(update, context, place, edit=not data.startswith("kun:"))


async def vote(update: Update, context: BotContext) -> None:
    """``ku:<c>:<item>:<n>:v:<proposal>``: this person's one vote on the indicator."""
    try:
        place = await _place(context, update.effective_user.id, **_match(context))
    except Refused as exc:
        await _refuse(update, context, str(exc))
        return
    pid = int(context.match.group("pid")) if context.match else 0
    async with context.sessions.begin() as session:
        proposal = await stored.proposal_by_id(session, pid)
        valid = (
            proposal is not None
            and proposal.consultation_id == place.consultation.id
            and proposal.item_code == place.item
            and proposal.indicator == place.indicator
        )
        if valid and proposal is not None:
            await stored.cast_vote(session, proposal, place.employee.id, context.clock.now())
    if not valid:
        await _refuse(update, context, "a vote for a proposal of another indicator")
        return
    _ = await context.gettext(update)
    await common.answer_query(update, _("Your vote is recorded."))
    await _show(update, context, place)


async def ask_example(update: Update, context: BotContext) -> None:
    """``ku:<c>:<item>:<n>:p``: asks for the example as typed text."""
    try:
        place = await _place(context, update.effective_user.id, **_match(context))
    except Refused as exc:
        await _refuse(update, context, str(exc))
        return
    _ = await context.gettext(update)
    await common.answer_query(update)
    item = place.instrument.item(place.item or "")
    prompt = await update.effective_chat.send_message(
        _(
            "Type one example of “{indicator}” as you see it in our work (at most {limit} "
            "characters). Names and personal data do not belong in it."
        ).format(indicator=_(item.indicators[place.indicator or 0]), limit=EXAMPLE_MAX_CHARS)
    )
    pending = {
        "cid": place.consultation.id,
        "item": place.item,
        "ind": place.indicator,
        "prompt": prompt.message_id,
        "since": context.clock.now(),
    }
    expect_typed_input(context.user_data, EXAMPLE_INPUT_KEY, pending)


def _pending(context: BotContext) -> dict[str, Any] | None:
    return pending_typed_input(
        context.user_data, EXAMPLE_INPUT_KEY, context.clock.now(), PENDING_TTL
    )


async def handle_example_text(update: Update, context: BotContext) -> bool:
    """A message (not a command): consume it (True) when an example is awaited."""
    if not common.is_private_text(update):
        return False
    pending = _pending(context)
    if pending is None:
        return False
    message = update.message
    if message.message_id < pending["prompt"]:
        return True  # an older message, redelivered: already handled or not meant
    _ = await context.gettext(update)
    text = consultations.clean_example(message.text or "")
    if message.text is None or not text:
        await message.reply_text(
            _("Please type the text (a photo, sticker or file cannot be used here).")
        )
        return True
    if len(text) > EXAMPLE_MAX_CHARS:
        await message.reply_text(
            _("That is {length} characters; the limit is {limit}. Please shorten it.").format(
                length=len(text), limit=EXAMPLE_MAX_CHARS
            )
        )
        return True
    context.user_data.pop(EXAMPLE_INPUT_KEY, None)
    try:
        place = await _place(
            context, update.effective_user.id, pending["cid"], pending["item"], pending["ind"]
        )
    except Refused as exc:
        await _refuse(update, context, str(exc))
        return True
    async with context.sessions.begin() as session:
        _proposal, new = await consultations.propose(
            session,
            place.consultation,
            place.employee,
            place.item or "",
            place.indicator or 0,
            text,
            context.clock.now(),
        )
    await message.reply_text(
        _("Thank you: your example is recorded, without your name.")
        if new
        else _("A colleague proposed the same example already; you can vote for it.")
    )
    await _show(update, context, place)
    return True


async def konsultasi(update: Update, context: BotContext) -> None:
    """``/konsultasi``: the open consultation of this person's unit (or a choice of them)."""
    _ = await context.gettext(update)
    async with context.sessions() as session:
        employee = await employee_by_telegram(session, update.effective_user.id)
        found = await stored.open_for(session, employee, context.clock.now()) if employee else []
    if employee is None:
        await update.effective_message.reply_text(
            _(
                "Consultations are for civil servants with a linked account. Open the link "
                "code you received from HR (BKPSDM) first."
            )
        )
        return
    if not found:
        await update.effective_message.reply_text(
            _("No consultation on example behaviours is open for you now.")
        )
        return
    if len(found) == 1:
        try:
            place = await _place(context, update.effective_user.id, found[0].id)
        except Refused as exc:  # closed between the two reads, or an unknown instrument
            await _refuse(update, context, str(exc))
            return
        await _show(update, context, place)
        return
    rows = [[InlineKeyboardButton(c.name, callback_data=f"ku:{c.id}")] for c in found]
    await update.effective_message.reply_text(
        _("Open consultations:"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def malformed_press(update: Update, context: BotContext) -> None:
    await _refuse(update, context, "malformed consultation callback data")


HANDLERS: list[BaseHandler] = [
    CommandHandler(["konsultasi", "consultation"], konsultasi),
    CallbackQueryHandler(navigate, pattern=PATTERN_INVITED),
    CallbackQueryHandler(navigate, pattern=PATTERN_HOME),
    CallbackQueryHandler(navigate, pattern=PATTERN_VALUE),
    CallbackQueryHandler(navigate, pattern=PATTERN_INDICATOR),
    CallbackQueryHandler(vote, pattern=PATTERN_VOTE),
    CallbackQueryHandler(ask_example, pattern=PATTERN_PROPOSE),
    CallbackQueryHandler(malformed_press, pattern=PATTERN_ANY),
]
