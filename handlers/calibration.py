"""Rater calibration before the first review of a cycle: three short situations.

When a rater opens their first review of a cycle (``rv:<token>:open``,
``handlers/review.py`` asks `offered` first) and the cycle's instrument has a
calibration set (`scheduler.scoring.calibration_vignettes`: a JSON file per
instrument version, shipped or the home's own), they are offered
three situations of about two minutes: INTRO → for each situation SITUATION
(pick a level, ``kb:<cycle>:a:<i>:<level>:<token>``) → FEEDBACK (the reference
answer and why; "Next" ``kb:<cycle>:s:<token>``) → DONE ("Start rating" opens the
review). "Skip" (``kb:<cycle>:x:<token>``) goes straight to rating and is
recorded as skipped, unless ``CALIBRATION=required`` makes it a gate; ``off``
offers nothing.
A rater who began rating before (no run yet) is not interrupted unless it is a
gate. Drawn in ``handlers/calibration.mmd``.

Where the rater is lives in the database (`storage.calibration`): the answers
so far decide which situation is due, so a double tap or an old button records
nothing twice. Every press is checked: the cycle is open, the token is the
presser's review in that cycle, the level is on the scale.

A broken set file is never shown to a rater: the problem is logged as one line
naming the file, and no calibration is offered for that cycle (not the shipped
example instead — the office replaced it on purpose; not a gate either, even
when required, since nobody could pass it). `ulasan cycle calibration-sets`
checks the files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.i18n import Translate
from handlers import common
from handlers.context import BotContext
from scheduler.scoring.calibration_vignettes import (
    EXAMPLE_LABEL,
    CalibrationSet,
    CalibrationSetError,
    Vignette,
    agreed,
    set_for,
    text_in,
)
from scheduler.scoring.review_instrument import Instrument, InstrumentError
from storage import calibration as stored
from storage import review_ratings as ratings
from storage import review_steps as steps
from storage.calibration_models import COMPLETED, SKIPPED, CalibrationRun
from storage.directory import employee_by_telegram
from storage.review_models import ReviewAssignment

log = logging.getLogger(__name__)

STEP_INTRO = "intro"
STEP_SITUATION = "situation"
STEP_FEEDBACK = "feedback"
STEP_DONE = "done"
STEPS: tuple[str, ...] = (STEP_INTRO, STEP_SITUATION, STEP_FEEDBACK, STEP_DONE)

_CYCLE = r"(?P<cycle>\d{1,9})"
_TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,16})"
PATTERN_SHOW = rf"^kb:{_CYCLE}:s:{_TOKEN}$"
PATTERN_ANSWER = rf"^kb:{_CYCLE}:a:(?P<index>\d{{1,2}}):(?P<value>-?\d{{1,3}}):{_TOKEN}$"
PATTERN_SKIP = rf"^kb:{_CYCLE}:x:{_TOKEN}$"
PATTERN_ANY = r"^kb:"


@dataclass(frozen=True)
class Where:
    """A checked calibration press: the review it leads to, its instrument and set."""

    assignment: ReviewAssignment
    instrument: Instrument
    calibration: CalibrationSet

    @property
    def vignettes(self) -> tuple[Vignette, ...]:
        return self.calibration.vignettes


async def _where(context: BotContext, user_id: int, token: str) -> Where | None:
    """The presser's review ``token`` in an open cycle with a calibration set, else None."""
    now = context.clock.now()
    async with context.sessions() as session:
        employee = await employee_by_telegram(session, user_id)
        assignment = (
            await ratings.assignment_for_rater(session, token, employee.id) if employee else None
        )
    if assignment is None or steps.cycle_refusal(assignment.cycle, now, context.settings.tz):
        return None
    try:
        instrument = steps.instrument_of(assignment)
        found = set_for(
            instrument, assignment.cycle.instrument_version, context.settings.calibration_dir
        )
    except InstrumentError:
        return None
    except CalibrationSetError as exc:
        log.error("calibration: %s; no calibration offered", exc)
        return None
    return Where(assignment, instrument, found) if found else None


async def offered(update: Update, context: BotContext, token: str) -> bool:
    """Before ``rv:<token>:open``: show the calibration instead (True) when it is due."""
    if context.settings.calibration == "off":
        return False
    where = await _where(context, update.effective_user.id, token)
    if where is None:
        return False
    a = where.assignment
    async with context.sessions() as session:
        run = await stored.run_of(session, a.cycle_id, a.rater_id)
        begun = await stored.has_begun_rating(session, a.cycle_id, a.rater_id)
    required = context.settings.calibration == "required"
    if run is not None and run.status in (COMPLETED, SKIPPED if not required else ""):
        return False
    if run is None and begun and not required:
        return False
    await common.answer_query(update)
    _ = await context.gettext(update)
    await common.edit_or_send(update, *_intro(where, _, required))
    return True


# -- screens -------------------------------------------------------------------------------


def _button(label: str, data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label, callback_data=data)]


def _intro(where: Where, _: Translate, required: bool) -> tuple[str, InlineKeyboardMarkup]:
    a = where.assignment
    text = "\n\n".join(
        [
            _("Before you rate: {n} short situations (about two minutes)").format(
                n=len(where.vignettes)
            ),
            _(
                "For each, choose the level you would give; then you see the reference "
                "answer and why. It helps everyone rate on the same scale. Your answers are "
                "not shown to anyone and do not count in any result."
            ),
            *([_(EXAMPLE_LABEL)] if where.calibration.example else []),
        ]
    )
    rows = [_button(_("Start"), f"kb:{a.cycle_id}:s:{a.token}")]
    if not required:
        rows.append(_button(_("Skip and rate now"), f"kb:{a.cycle_id}:x:{a.token}"))
    return text, InlineKeyboardMarkup(rows)


def _situation(
    where: Where, index: int, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    a, vignette = where.assignment, where.vignettes[index]
    item = where.instrument.item(vignette.item_code)
    text = "\n\n".join(
        [
            _("Situation {n}/{total} · {value}").format(
                n=index + 1, total=len(where.vignettes), value=_(item.name)
            ),
            text_in(vignette.situation, language),
            _("Which level would you give for this core value?"),
        ]
    )
    rows = [
        _button(_(level.label), f"kb:{a.cycle_id}:a:{index}:{level.value}:{a.token}")
        for level in where.instrument.scale.levels
    ]
    return text, InlineKeyboardMarkup(rows)


def _feedback(
    where: Where, index: int, chosen: int, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    a, vignette = where.assignment, where.vignettes[index]
    scale = where.instrument.scale
    lead = (
        _("You chose the reference answer.")
        if chosen == vignette.reference
        else _("You chose: {level}.").format(level=_(scale.label(chosen)))
    )
    text = "\n\n".join(
        [
            lead,
            _("Reference answer: {level}").format(level=_(scale.label(vignette.reference))),
            _("Why: {why}").format(why=text_in(vignette.why, language)),
        ]
    )
    return text, InlineKeyboardMarkup([_button(_("Next"), f"kb:{a.cycle_id}:s:{a.token}")])


def _done(where: Where, answers: tuple[int, ...], _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n\n".join(
        [
            _("Calibration done: {k} of {n} answers matched the reference.").format(
                k=agreed(where.vignettes, answers), n=len(where.vignettes)
            ),
            _("Now rate what you saw during the period, as in these situations."),
        ]
    )
    start = f"rv:{where.assignment.token}:open"
    return text, InlineKeyboardMarkup([_button(_("Start rating"), start)])


# -- presses -------------------------------------------------------------------------------


async def _refuse(update: Update, context: BotContext, why: str) -> None:
    log.warning(
        "calibration: refused %s in update %s from user %s",
        why,
        update.update_id,
        common.who(update, context),
    )
    _ = await context.gettext(update)
    await common.answer_query(update, _("This button is no longer valid. Send /nilai."), alert=True)


async def _checked(update: Update, context: BotContext) -> Where | None:
    token = context.match.group("token") if context.match else ""
    where = await _where(context, update.effective_user.id, token)
    if where is None or str(where.assignment.cycle_id) != context.match.group("cycle"):
        await _refuse(update, context, "a press for a cycle or review not the presser's")
        return None
    return where


async def _run(context: BotContext, where: Where) -> CalibrationRun:
    a = where.assignment
    async with context.sessions.begin() as session:
        return await stored.start(
            session,
            a.cycle_id,
            a.rater_id,
            where.instrument.code,
            a.cycle.instrument_version,
            context.clock.now(),
        )


async def show(update: Update, context: BotContext) -> None:
    """``kb:<cycle>:s:<token>``: starts the run if needed; the situation due, or done."""
    where = await _checked(update, context)
    if where is None:
        return
    run = await _run(context, where)
    _ = await context.gettext(update)
    answers = stored.answers_of(run)
    await common.answer_query(update)
    if run.status == SKIPPED or len(answers) >= len(where.vignettes):
        await common.edit_or_send(update, *_done(where, answers, _))
        return
    language = await context.language(update)
    await common.edit_or_send(update, *_situation(where, len(answers), _, language))


async def answer(update: Update, context: BotContext) -> None:
    """``kb:<cycle>:a:<i>:<level>:<token>``: stores the level for situation i (if due),
    shows the reference answer and why."""
    where = await _checked(update, context)
    if where is None:
        return
    index, value = int(context.match.group("index")), int(context.match.group("value"))
    if value not in where.instrument.scale or not 0 <= index < len(where.vignettes):
        await _refuse(update, context, "a level or situation that does not exist")
        return
    run = await _run(context, where)
    async with context.sessions.begin() as session:
        stored_now = await stored.record_answer(
            session, run, index, value, len(where.vignettes), context.clock.now()
        )
    answers = stored.answers_of(run)
    if not stored_now and not (index < len(answers) and answers[index] == value):
        await _refuse(update, context, "an answer to a situation that is not due")
        return
    _ = await context.gettext(update)
    await common.answer_query(update)
    language = await context.language(update)
    await common.edit_or_send(update, *_feedback(where, index, value, _, language))


async def skip(update: Update, context: BotContext) -> None:
    """``kb:<cycle>:x:<token>``: recorded as skipped (refused when calibration is a gate)."""
    where = await _checked(update, context)
    if where is None:
        return
    if context.settings.calibration == "required":
        await _refuse(update, context, "a skip while calibration is required")
        return
    a = where.assignment
    async with context.sessions.begin() as session:
        await stored.skip(
            session,
            a.cycle_id,
            a.rater_id,
            where.instrument.code,
            a.cycle.instrument_version,
            context.clock.now(),
        )
    _ = await context.gettext(update)
    await common.answer_query(update)
    text = _("Skipped. You can rate now.")
    start = InlineKeyboardMarkup([_button(_("Start rating"), f"rv:{a.token}:open")])
    await common.edit_or_send(update, text, start)


async def malformed_press(update: Update, context: BotContext) -> None:
    await _refuse(update, context, "malformed calibration callback data")


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(show, pattern=PATTERN_SHOW),
    CallbackQueryHandler(answer, pattern=PATTERN_ANSWER),
    CallbackQueryHandler(skip, pattern=PATTERN_SKIP),
    CallbackQueryHandler(malformed_press, pattern=PATTERN_ANY),
]
