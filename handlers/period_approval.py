"""The buttons of an SKM period's close message: the figures per service, and approving them.

The close message (`scheduler.period_close`) carries ``pd:s:<period>:<unit>``
(Per layanan: the figures per service of what was cut) and
``pd:a:<period>:<unit>`` (Setujui & umumkan). Approving cannot be undone, so
``pd:a`` shows what will be frozen and a binding confirmation (`handlers.confirm`,
action `ACTION`, subject ``period:<period>:<unit>``): the Yes button's nonce is
bound to this person, this unit's period and the digest of the figures shown,
single-use and short-lived. ``pd:y:<nonce>`` approves exactly those figures
(`scheduler.periods.approve` with the digest: figures that differ approve
nothing); a forged, repeated, expired or someone else's press changes nothing.

Who may press: the head of exactly this unit (the roster's head, linked), or an
admin whose scope covers it (they receive the message when the unit has no
linked head). A head of another unit, even the parent's, is refused.

After the approval is committed, the version's channel post is queued and the
unit's head gets the report as DOCX and PDF (`scheduler.period_release`, as after
``ulasan period approve``).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers import common, confirm
from handlers.context import BotContext
from handlers.roles import roles_here
from scheduler import period_release
from scheduler.documents import period_snapshot as snap
from scheduler.messages import periods as texts
from scheduler.periods import PeriodError, approve
from scheduler.sender import keyboard
from storage import periods
from storage.period_models import SkmPeriod, SkmPeriodUnit
from storage.roles import Roles

log = logging.getLogger(__name__)

ACTION = "period_approve"
ID = r"\d{1,9}"
PATTERN_SERVICES = rf"^pd:s:(?P<period>{ID}):(?P<unit>{ID})$"
PATTERN_APPROVE = rf"^pd:a:(?P<period>{ID}):(?P<unit>{ID})$"
PATTERN_YES = rf"^pd:y:{confirm.NONCE}$"
PATTERN_CANCEL = rf"^pd:n:{confirm.NONCE}$"
PATTERN_OTHER = r"^pd:"


def subject(period_id: int, unit_id: int) -> str:
    return f"period:{period_id}:{unit_id}"


def actor(update: Update) -> str:
    user = update.effective_user
    return f"telegram:{user.id}" if user else "telegram"


def may_approve(roles: Roles, unit_id: int) -> bool:
    """The head of exactly this unit, or an admin whose scope covers it."""
    return any(unit.id == unit_id for unit in roles.headed) or roles.admin.covers(unit_id)


async def _pressed_row(
    update: Update, context: BotContext
) -> tuple[SkmPeriod, SkmPeriodUnit] | None:
    """The period and unit row the press names, if it was cut and this person may see it."""
    period_id = int(context.match.group("period"))
    unit_id = int(context.match.group("unit"))
    if not may_approve(await roles_here(update, context), unit_id):
        return None
    async with context.sessions() as session:
        period = await session.get(SkmPeriod, period_id)
        row = await periods.period_unit(session, period_id, unit_id)
    if period is None or row is None or row.draft is None:
        return None
    return period, row


async def refuse(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    data = update.callback_query.data if update.callback_query else None
    log.info("period: refused press %r from %s", data, common.who(update, context))
    await common.answer_query(
        update, _("This button is not yours or no longer valid. Send /periode."), alert=True
    )


async def services_chosen(update: Update, context: BotContext) -> None:
    """``pd:s:<period>:<unit>``: stores nothing; the figures per service (of the latest
    version once approved, else of the close), with the approve button while not approved."""
    found = await _pressed_row(update, context)
    if found is None:
        await refuse(update, context)
        return
    period, row = found
    await common.answer_query(update)
    language = await context.language(update)
    async with context.sessions() as session:
        version = await periods.latest_version(session, period.id, row.unit_id)
    figures = snap.loads(version.figures if version else row.draft or "{}")
    buttons = None if version else texts.approve_buttons(period.id, row.unit_id, language)
    await update.effective_chat.send_message(
        texts.services_text(figures, language), reply_markup=keyboard(buttons)
    )


async def approve_chosen(update: Update, context: BotContext) -> None:
    """``pd:a:<period>:<unit>``: what will be frozen, with a binding Yes / Cancel."""
    found = await _pressed_row(update, context)
    if found is None:
        await refuse(update, context)
        return
    period, row = found
    await common.answer_query(update)
    language = await context.language(update)
    if row.version > 0:
        await update.effective_chat.send_message(texts.already_approved(row.version, language))
        return
    payload = {"period": period.id, "unit": row.unit_id, "digest": row.draft_digest}
    nonce = await confirm.issue(
        update, context, ACTION, subject=subject(period.id, row.unit_id), payload=payload
    )
    figures = snap.loads(row.draft or "{}")
    await update.effective_chat.send_message(
        texts.confirm_text(figures, language),
        reply_markup=keyboard(texts.confirm_buttons(nonce, language)),
    )


async def approve_confirmed(update: Update, context: BotContext) -> None:
    """``pd:y:<nonce>``: freezes the figures the confirmation showed as version 1 (once)."""
    _ = await context.gettext(update)
    language = await context.language(update)
    now = context.clock.now()
    roles = await roles_here(update, context)  # read before the transaction: one connection
    version, problem = None, None
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, ACTION)
        if confirmed is not None:
            period_id, unit_id = int(confirmed.payload["period"]), int(confirmed.payload["unit"])
            row = await periods.period_unit(session, period_id, unit_id)
            period = await session.get(SkmPeriod, period_id)
            if row is not None and row.version > 0:
                problem = texts.already_approved(row.version, language)
            elif period is not None and may_approve(roles, unit_id):
                try:
                    version = await approve(
                        session, period, unit_id, context.settings, now=now,
                        actor=actor(update), draft_digest=str(confirmed.payload["digest"]),
                    )  # fmt: skip
                except PeriodError as exc:
                    log.info("period approval refused: %s", exc)
    if problem is not None:
        await common.answer_query(update)
        await common.edit_pressed(update, problem)
        return
    if version is None:
        await confirm.refuse(update, context, _("Open the period again with /periode."))
        return
    await common.answer_query(update)
    figures = snap.loads(version.figures)
    await common.edit_pressed(update, texts.approved_text(figures, version.version, language))
    announce(context, version.period_id, version.unit_id, version.version)


def announce(context: BotContext, period_id: int, unit_id: int, version: int) -> None:
    """Queue the version's channel post and the head's report (DOCX, PDF), as the CLI
    does, in the background (rendering takes seconds; the press is answered already);
    the approval stands whatever happens there."""
    context.services.spawn(
        _release(context, period_id, unit_id, version), name=f"period-release-{period_id}"
    )


async def _release(context: BotContext, period_id: int, unit_id: int, version: int) -> None:
    try:
        done = await period_release.release(
            context.sessions, context.settings, period_id, unit_id, version,
            now=context.clock.now(),
        )  # fmt: skip
    except Exception:  # logged, never raised into nowhere: the version is published
        log.exception("period %s unit %s v%s: release failed", period_id, unit_id, version)
        return
    for problem in done.problems:
        log.warning("period %s unit %s v%s: %s", period_id, unit_id, version, problem)
    context.services.wake()


async def cancelled(update: Update, context: BotContext) -> None:
    """``pd:n:<nonce>``: voids the confirmation; nothing changed."""
    await confirm.discard(update, context, ACTION)
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_pressed(update, _("Nothing was changed."))


async def other_press(update: Update, context: BotContext) -> None:
    """Any other ``pd:`` data: refused, nothing changed."""
    await refuse(update, context)


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(services_chosen, pattern=PATTERN_SERVICES),
    CallbackQueryHandler(approve_chosen, pattern=PATTERN_APPROVE),
    CallbackQueryHandler(approve_confirmed, pattern=PATTERN_YES),
    CallbackQueryHandler(cancelled, pattern=PATTERN_CANCEL),
    CallbackQueryHandler(other_press, pattern=PATTERN_OTHER),
]
