"""``/siklus`` → "Consultations on example behaviours": HR reads the results and adopts.

- ``cy:kl``: the consultations, newest first (open or closed, adopted as version N).
- ``cy:ks:<id>``: one consultation's results: per indicator, each proposal with its id
  and votes, how many took part, proposed and voted (never who). While it is open
  results are shown but nothing can be adopted.
- ``cy:ka:<id>`` asks, with a binding confirmation (``handlers/confirm.py``), to adopt
  the leading proposal of each indicator (`scheduler.consultations.leading`, at least
  one vote); ``cy:kay:<id>:<nonce>`` adopts them into the next instrument version once.
  Choosing other proposals is ``ulasan cycle adopt NAME --proposal ID …``.

City-wide admins only (`admin_only`); every press is checked against the stored
consultation; anything else gets a short notice and changes nothing.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.i18n import Translate
from handlers import common, confirm
from handlers.context import BotContext
from handlers.cycles_admin import actor, admin_only, notice
from handlers.cycles_screens import LIST
from scheduler import consultations
from scheduler.scoring.shipped_instruments import get_instrument
from storage import consultations as stored
from storage.consultation_types import ConsultationResults
from storage.review_cycle_types import CycleError

log = logging.getLogger(__name__)

ADOPT = "adopt_examples"  # the confirmation's action (storage.confirmations)
_ID = r"(?P<id>\d{1,9})"
PATTERN_LIST = r"^cy:kl$"
PATTERN_SHOW = rf"^cy:ks:{_ID}$"
PATTERN_ASK = rf"^cy:ka:{_ID}$"
PATTERN_ADOPT = rf"^cy:kay:{_ID}:{confirm.NONCE}$"
TEXT_LIMIT = 3900


def _button(label: str, data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label[:60], callback_data=data)]


def _results_text(found: ConsultationResults, _: Translate) -> str:
    instrument = get_instrument(found.instrument)
    state = _("open") if found.is_open else _("closed")
    lines = [
        _("Consultation “{name}” ({state})").format(name=found.name, state=state),
        _("Participants: {p}; proposed: {proposers}; voted: {voters}").format(
            p=found.participants, proposers=found.proposers, voters=found.voters
        ),
    ]
    if found.adopted_version is not None:
        lines.append(_("Adopted as version {version}.").format(version=found.adopted_version))
    where = None
    for p in found.proposals:
        if (p.item_code, p.indicator) != where:
            where = (p.item_code, p.indicator)
            item = instrument.item(p.item_code)
            lines += ["", f"{p.item_code} {_(item.name)} · {_(item.indicators[p.indicator])}"]
        lines.append(
            _("#{id} ({votes} votes): {text}").format(id=p.proposal_id, votes=p.votes, text=p.text)
        )
    if not found.proposals:
        lines += ["", _("No proposals.")]
    text = "\n".join(lines)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


async def _results(context: BotContext, consultation_id: int) -> ConsultationResults | None:
    async with context.sessions() as session:
        found = await stored.consultation_by_id(session, consultation_id)
        if found is None:
            return None
        return await consultations.results(session, found.name, context.clock.now())


@admin_only
async def show_list(update: Update, context: BotContext) -> None:
    """``cy:kl``: the consultations with their state."""
    _ = await context.gettext(update)
    async with context.sessions() as session:
        found = await stored.all_consultations(session)
    now = context.clock.now()
    rows = []
    for c in found[:20]:
        state = _("open") if stored.is_open(c, now) else _("closed")
        rows.append(_button(f"{c.name} ({state})", f"cy:ks:{c.id}"))
    rows.append(_button(_("All cycles"), LIST))
    await common.answer_query(update)
    text = _("Consultations on example behaviours") if found else _("No proposals.")
    await common.edit_or_send(update, text, InlineKeyboardMarkup(rows))


@admin_only
async def show(update: Update, context: BotContext) -> None:
    """``cy:ks:<id>``: the results; the adopt button once it closed (not adopted yet)."""
    _ = await context.gettext(update)
    found = await _results(context, int(context.match.group("id")))
    if found is None:
        await notice(update, context)
        return
    rows = []
    cid = int(context.match.group("id"))
    if not found.is_open and found.adopted_version is None and consultations.leading(found):
        rows.append(_button(_("Adopt the leading example of each indicator"), f"cy:ka:{cid}"))
    rows.append(_button(_("Back"), "cy:kl"))
    await common.answer_query(update)
    await common.edit_or_send(update, _results_text(found, _), InlineKeyboardMarkup(rows))


@admin_only
async def ask_adopt(update: Update, context: BotContext) -> None:
    """``cy:ka:<id>``: names what would be adopted; the Yes button carries a confirmation."""
    _ = await context.gettext(update)
    cid = int(context.match.group("id"))
    found = await _results(context, cid)
    chosen = consultations.leading(found) if found is not None else []
    if found is None or found.is_open or found.adopted_version is not None or not chosen:
        await notice(update, context)
        return
    nonce = await confirm.issue(update, context, ADOPT, subject=f"consultation:{cid}", payload={})
    picked = [p for p in found.proposals if p.proposal_id in chosen]
    text = "\n".join(
        [
            _("Adopt these {n} examples into the next version of the criteria?").format(
                n=len(picked)
            ),
            "",
            *(f"• {p.item_code}.{p.indicator + 1}: {p.text}" for p in picked),
            "",
            _("Cycles opened from now on use the new version; the indicators do not change."),
        ]
    )
    rows = [_button(_("Yes, adopt"), f"cy:kay:{cid}:{nonce}"), _button(_("Back"), f"cy:ks:{cid}")]
    await common.answer_query(update)
    await common.edit_or_send(update, text, InlineKeyboardMarkup(rows))


@admin_only
async def adopt_confirmed(update: Update, context: BotContext) -> None:
    """``cy:kay:<id>:<nonce>``: adopts the leading examples once (the confirmation is used up)."""
    _ = await context.gettext(update)
    cid = int(context.match.group("id"))
    found = await _results(context, cid)
    try:
        async with context.sessions.begin() as session:
            confirmed = await confirm.redeem(
                session, update, context, ADOPT, subject=f"consultation:{cid}"
            )
            if confirmed is None or found is None:
                adopted = None
            else:
                adopted = await consultations.adopt(
                    session,
                    name=found.name,
                    proposal_ids=consultations.leading(found),
                    actor=actor(update, context),
                    now=context.clock.now(),
                )
    except CycleError as exc:
        await notice(update, context, exc.translated(_))
        return
    if adopted is None:
        await confirm.refuse(update, context, _("Start again with /siklus."))
        return
    log.info("examples of %s adopted as version %s", adopted.name, adopted.version)
    await common.answer_query(update)
    text = _("Adopted: {instrument} version {version}, {n} new examples.").format(
        instrument=adopted.instrument, version=adopted.version, n=adopted.adopted
    )
    await common.edit_or_send(update, text, InlineKeyboardMarkup([_button(_("Back"), "cy:kl")]))


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(show_list, pattern=PATTERN_LIST),
    CallbackQueryHandler(show, pattern=PATTERN_SHOW),
    CallbackQueryHandler(ask_adopt, pattern=PATTERN_ASK),
    CallbackQueryHandler(adopt_confirmed, pattern=PATTERN_ADOPT),
]
