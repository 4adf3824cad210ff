"""``/laporan``: an admin gets the IKM report and the 360° cycle report for their scope;
a city-wide admin (BKPSDM) also the development needs (``ulasan report development``)
and a performance period's e-Kinerja export (``ulasan export ekinerja``).

City-wide admins choose every unit or one top-level unit; a unit admin one of
their units (a unit's report includes the units below it). The IKM report is
asked for a month or the year so far, the 360° report for a closed cycle.
Building a report can take a while on a large roster: the pressed message
becomes a progress note ("step 2 of 3: reading the figures") until the
document is sent. The documents are `scheduler.report_documents`', the files
``ulasan report ikm|review --format xlsx`` write, kept in ``DATA_DIR/exports``.

Every press is checked again (``lp:`` data is user input): the scope must be
the admin's, the cycle must exist and be closed; anything else changes
nothing and gets a short notice. An approved SKM period of the admin's units
gives its documents (``ulasan period report``): the Laporan Pelaksanaan SKM as
DOCX or PDF and the poster (PDF and PNG), of its latest version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.clock import local_day
from handlers import common
from handlers import reports_screens as screens
from handlers.context import BotContext
from handlers.roles import roles_here
from scheduler.documents.development_counts import ReportRefused
from scheduler.documents.pdf import PdfRouteError
from scheduler.documents.report_texts import TemplateTextError
from scheduler.period_documents import render
from scheduler.period_publication import edition_by_ids
from scheduler.report_documents import (
    Step,
    development_workbook,
    ekinerja_workbook,
    ikm_workbook,
    review_workbook,
)
from scheduler.scoring.performance_periods import closed_period, parse_period
from storage import periods, review_cycles
from storage.models import Unit
from storage.period_models import SkmPeriod
from storage.review_cycle_types import CycleError
from storage.review_results import ResultsError
from storage.roles import scope_units
from storage.unit_admins import AdminScope

log = logging.getLogger(__name__)


async def _scope(update: Update, context: BotContext) -> AdminScope | None:
    roles = await roles_here(update, context)
    return roles.admin if roles.is_admin else None


async def laporan(update: Update, context: BotContext) -> None:
    """``/laporan``: which report."""
    _ = await context.gettext(update)
    message = update.effective_message
    if message is None:
        return
    if await _scope(update, context) is None:
        log.info("/laporan: refused %s (not an admin)", common.who(update, context))
        await message.reply_text(
            _("Sorry, /laporan is only for administrators. Unit heads can use /ikm and /tim.")
        )
        return
    scope = await _scope(update, context)
    text, markup = screens.render_menu(_, scope is not None and scope.city_wide)
    await message.reply_text(text, reply_markup=markup)


async def choose_scope(update: Update, context: BotContext) -> None:
    """``lp:i`` / ``lp:r``: for which units (skipped when the admin has only one choice)."""
    scope = await _scope(update, context)
    if scope is None:
        await refuse(update, context)
        return
    kind = "is" if context.match.group(0) == "lp:i" else "rs"
    async with context.sessions() as session:
        units = await scope_units(session, scope)
    await common.answer_query(update)
    if not scope.city_wide and len(units) == 1:
        await _next_step(update, context, kind, str(units[0].id))
        return
    _ = await context.gettext(update)
    text, markup = screens.render_scopes(kind, scope.city_wide, units, _)
    await common.edit_or_send(update, text, markup)


async def _unit_code(context: BotContext, scope: AdminScope, value: str) -> str | bool | None:
    """The unit code a scope value names (None: every unit), or False if not the admin's."""
    if value == "all":
        return None if scope.city_wide else False
    unit_id = int(value)
    if not scope.covers(unit_id):
        return False
    async with context.sessions() as session:
        unit = await review_cycles.unit_by_id(session, unit_id)
    return unit.code if unit is not None else False


async def choose_next(update: Update, context: BotContext) -> None:
    """``lp:is:<scope>`` / ``lp:rs:<scope>``: the period, or the cycle."""
    scope = await _scope(update, context)
    value = context.match.group("scope")
    if scope is None or await _unit_code(context, scope, value) is False:
        await refuse(update, context)
        return
    await common.answer_query(update)
    kind = context.match.group(0).split(":")[1]
    await _next_step(update, context, kind, value)


async def _next_step(update: Update, context: BotContext, kind: str, value: str) -> None:
    _ = await context.gettext(update)
    language = await context.language(update)
    if kind == "is":
        today = local_day(context.clock.now(), context.settings.tz)
        text, markup = screens.render_periods(value, today, _, language)
    else:
        async with context.sessions() as session:
            cycles = await review_cycles.list_cycles(session)
        text, markup = screens.render_cycles(value, cycles, _, language)
    await common.edit_or_send(update, text, markup)


async def build_ikm(update: Update, context: BotContext) -> None:
    """``lp:ip:<scope>:<period>``: build and send the IKM report."""
    scope = await _scope(update, context)
    value = context.match.group("scope")
    code = await _unit_code(context, scope, value) if scope is not None else False
    today = local_day(context.clock.now(), context.settings.tz)
    first, last = screens.period_of(context.match.group("period"), today)
    if code is False or first > today or first.year < 2000:
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    title = _("the IKM report of {scope}, {first} – {last}").format(
        scope=code or _("all units"), first=first.isoformat(), last=last.isoformat()
    )

    async def work(step: Step) -> Path:
        return await ikm_workbook(
            context.sessions, context.settings, unit_code=code, first=first, last=last, step=step
        )

    await _build(update, context, title, 3, work)


async def build_review(update: Update, context: BotContext) -> None:
    """``lp:rp:<scope>:<cycle>``: build and send the 360° report of a closed cycle."""
    scope = await _scope(update, context)
    value = context.match.group("scope")
    code = await _unit_code(context, scope, value) if scope is not None else False
    async with context.sessions() as session:
        cycle = await review_cycles.cycle_by_id(session, int(context.match.group("cycle")))
    if code is False or cycle is None or cycle.status == "open":
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    title = _("the 360° report of “{cycle}”, {scope}").format(
        cycle=cycle.name, scope=code or _("all units")
    )

    async def work(step: Step) -> Path:
        return await review_workbook(
            context.sessions, context.settings, cycle_name=cycle.name, unit_code=code, step=step
        )

    await _build(update, context, title, 2, work)


async def _city_wide(update: Update, context: BotContext) -> bool:
    scope = await _scope(update, context)
    return scope is not None and scope.city_wide


async def choose_development_cycle(update: Update, context: BotContext) -> None:
    """``lp:d``: which closed cycle's development needs (city-wide admins only)."""
    if not await _city_wide(update, context):
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    language = await context.language(update)
    async with context.sessions() as session:
        cycles = await review_cycles.list_cycles(session)
    text, markup = screens.render_cycles("all", cycles, _, language, prefix="lp:dp:")
    await common.edit_or_send(update, text, markup)


async def build_development(update: Update, context: BotContext) -> None:
    """``lp:dp:<cycle>``: build and send the development needs of a closed cycle."""
    async with context.sessions() as session:
        cycle = await review_cycles.cycle_by_id(session, int(context.match.group("cycle")))
    if not await _city_wide(update, context) or cycle is None or cycle.status == "open":
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    title = _("the development needs of “{cycle}”").format(cycle=cycle.name)

    async def work(step: Step) -> Path:
        return await development_workbook(
            context.sessions,
            context.settings,
            cycle_name=cycle.name,
            now=context.clock.now(),
            step=step,
        )

    await _build(update, context, title, 2, work)


async def choose_ekinerja_period(update: Update, context: BotContext) -> None:
    """``lp:e``: which performance period's e-Kinerja export (city-wide admins only)."""
    if not await _city_wide(update, context):
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    today = local_day(context.clock.now(), context.settings.tz)
    last = closed_period(today, context.settings.feedback_cadence_months)
    text, markup = screens.render_performance_periods(last, _)
    await common.edit_or_send(update, text, markup)


async def build_ekinerja(update: Update, context: BotContext) -> None:
    """``lp:ep:<YYYY-MM>``: build and send a period's e-Kinerja export (every unit)."""
    settings = context.settings
    try:
        period = parse_period(context.match.group("period"), settings.feedback_cadence_months)
    except ValueError:
        period = None
    today = local_day(context.clock.now(), settings.tz)
    if not await _city_wide(update, context) or period is None or period.first_day > today:
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    title = _("the e-Kinerja export of {period}").format(period=period.label)

    async def work(step: Step) -> Path:
        return await ekinerja_workbook(
            context.sessions,
            settings,
            period=period.label,
            actor=f"tg:{common.who(update, context)}",
            now=context.clock.now(),
            step=step,
        )

    await _build(update, context, title, 2, work)


async def _published_here(
    context: BotContext, scope: AdminScope
) -> list[tuple[SkmPeriod, Unit, int]]:
    async with context.sessions() as session:
        found = await periods.published_units(session)
    return [(period, unit, version) for period, unit, version in found if scope.covers(unit.id)]


def _period_label(period: SkmPeriod, unit: Unit, version: int) -> str:
    return f"{period.name} · {unit.code} v{version}"


async def choose_period_document(update: Update, context: BotContext) -> None:
    """``lp:k``: which approved period of the admin's units (its latest version)."""
    scope = await _scope(update, context)
    if scope is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    published = [
        (period.id, unit.id, _period_label(period, unit, version))
        for period, unit, version in await _published_here(context, scope)
    ]
    text, markup = screens.render_period_documents(published, _)
    await common.edit_or_send(update, text, markup)


async def _published_pressed(
    update: Update, context: BotContext
) -> tuple[SkmPeriod, Unit, int] | None:
    """The approved period and unit a press names, if the admin's scope covers the unit."""
    scope = await _scope(update, context)
    if scope is None:
        return None
    period_id, unit_id = int(context.match.group("period")), int(context.match.group("unit"))
    for period, unit, version in await _published_here(context, scope):
        if (period.id, unit.id) == (period_id, unit_id):
            return period, unit, version
    return None


async def choose_period_format(update: Update, context: BotContext) -> None:
    """``lp:kp:<period>:<unit>``: which document (report DOCX or PDF, poster)."""
    found = await _published_pressed(update, context)
    if found is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    period, unit, version = found
    label = _period_label(period, unit, version)
    text, markup = screens.render_period_formats(period.id, unit.id, label, _)
    await common.edit_or_send(update, text, markup)


async def build_period_document(update: Update, context: BotContext) -> None:
    """``lp:kf:<period>:<unit>:<fmt>``: the latest version's report or poster, as files."""
    found = await _published_pressed(update, context)
    if found is None:
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    period, unit, version = found
    await common.answer_query(update, _("Building the report…"))
    try:
        async with context.sessions() as session:
            edition = await edition_by_ids(session, context.settings, period.id, unit.id, version)
        documents = await asyncio.to_thread(
            render, edition, context.match.group("fmt"), context.settings.templates_dir
        )
    except (PdfRouteError, TemplateTextError) as exc:
        log.warning("/laporan: period document: %s", exc)
        await common.edit_or_send(
            update, _("This report cannot be built now. Send /laporan again."), None
        )
        return
    for document in documents:
        await update.effective_chat.send_document(document=document.content, filename=document.name)
    title = _period_label(period, unit, version)
    await common.edit_or_send(update, _("Here is {title}.").format(title=title), None)


async def _build(
    update: Update,
    context: BotContext,
    title: str,
    total: int,
    work: Callable[[Step], Awaitable[Path]],
) -> None:
    """Run ``work`` with the pressed message as its progress note, then send the document."""
    _ = await context.gettext(update)
    await common.answer_query(update, _("Building the report…"))
    number = 0

    async def step(stage: str) -> None:
        nonlocal number
        number += 1
        await common.edit_or_send(
            update, screens.progress_text(title, stage, number, total, _), None
        )

    try:
        path = await work(step)
    except (ResultsError, CycleError, ReportRefused) as exc:
        log.info("/laporan: %s", exc)
        await common.edit_or_send(
            update, _("This report cannot be built now. Send /laporan again."), None
        )
        return
    await update.effective_chat.send_document(document=path.read_bytes(), filename=path.name)
    await common.edit_or_send(update, _("Here is {title}.").format(title=title), None)


async def refuse(update: Update, context: BotContext) -> None:
    """A press that is not an admin's, out of their scope, stale or malformed."""
    _ = await context.gettext(update)
    who = common.who(update, context)
    log.warning("/laporan: refused press %r from %s", update.callback_query.data, who)
    text = _("This button is no longer valid. Send /laporan again.")
    await common.answer_query(update, text, alert=True)


HANDLERS: list[BaseHandler] = [
    CommandHandler(["laporan", "reports"], laporan),
    CallbackQueryHandler(choose_scope, pattern=screens.PATTERN_IKM),
    CallbackQueryHandler(choose_scope, pattern=screens.PATTERN_REVIEW),
    CallbackQueryHandler(choose_next, pattern=screens.PATTERN_IKM_SCOPE),
    CallbackQueryHandler(choose_next, pattern=screens.PATTERN_REVIEW_SCOPE),
    CallbackQueryHandler(build_ikm, pattern=screens.PATTERN_IKM_BUILD),
    CallbackQueryHandler(build_review, pattern=screens.PATTERN_REVIEW_BUILD),
    CallbackQueryHandler(choose_development_cycle, pattern=screens.PATTERN_DEVELOPMENT),
    CallbackQueryHandler(build_development, pattern=screens.PATTERN_DEVELOPMENT_BUILD),
    CallbackQueryHandler(choose_ekinerja_period, pattern=screens.PATTERN_EKINERJA),
    CallbackQueryHandler(build_ekinerja, pattern=screens.PATTERN_EKINERJA_BUILD),
    CallbackQueryHandler(choose_period_document, pattern=screens.PATTERN_PERIOD_DOCS),
    CallbackQueryHandler(choose_period_format, pattern=screens.PATTERN_PERIOD_DOC),
    CallbackQueryHandler(build_period_document, pattern=screens.PATTERN_PERIOD_DOC_BUILD),
    CallbackQueryHandler(refuse, pattern=screens.PATTERN_ANY),
]
