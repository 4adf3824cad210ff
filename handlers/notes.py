"""``/catat``: a supervisor records an observation about a subordinate, at any time.

Steps (`STEPS`, drawn in ``handlers/notes.mmd``): ``/catat`` lists the
subordinates the roster names now; a press picks one
(``ct:e:<employee id>``); the next asks what the note is about — a core
value, one of the subordinate's current SKP lines, or nothing
(``ct:a:<employee id>:<s<id>|v<code>|n>``); then the next message is the
note: text, or a photo with an optional caption. Callback data is user
input: every press and the note itself are checked again against the roster
(a subordinate who moved to another supervisor meanwhile is refused with a
clear answer, and nothing is written). Stickers, voice, files, an empty or too
long text get a clear answer and keep the pending note. The pending state is
in ``user_data`` (`NOTE_INPUT_KEY`) and expires after `PENDING_TTL`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.clock import local_day
from bot.core.i18n import N_, Translate
from handlers import common
from handlers.context import NOTE_INPUT_KEY, BotContext, expect_typed_input, pending_typed_input
from scheduler import expectations
from scheduler.messages import feedback_cards as texts
from scheduler.scoring.performance_periods import Period, period_of
from storage import achievements, skp
from storage import performance_notes as notes
from storage.directory import employee_by_telegram
from storage.masking import clean_text
from storage.models import Employee

log = logging.getLogger(__name__)

# The steps, drawn in handlers/notes.mmd (with the employee's answer, expectations.STEPS).
STEP_SUBORDINATE = "subordinate"  # /catat or /ekspektasi: whom about
STEP_ABOUT = "about"  # a core value, an SKP line (or nothing, for a note)
STEP_NOTE = "note"  # /catat: the typed note or a photo
STEP_EXPECTATION = "expectation"  # /ekspektasi: the typed expectation
STEPS: tuple[str, ...] = (STEP_SUBORDINATE, STEP_ABOUT, STEP_NOTE, STEP_EXPECTATION)

PREFIX = "ct"  # a note
EXPECT = "ex"  # an expectation (klarifikasi ekspektasi)
PENDING_TTL = timedelta(minutes=30)
LISTED = 40
_MODE = rf"(?P<mode>{PREFIX}|{EXPECT})"
PATTERN_EMPLOYEE = rf"^{_MODE}:e:(?P<employee>\d{{1,12}})$"
PATTERN_ABOUT = rf"^{_MODE}:a:(?P<employee>\d{{1,12}}):(?P<target>s\d{{1,9}}|v[A-Z]\d|n)$"
PATTERN_ANY = rf"^{PREFIX}:"
PATTERN_EXPECT_STEPS = rf"^{EXPECT}:[ea]:"
NOT_YOURS = N_(
    "The roster does not name this person as your subordinate (any more); nothing was recorded."
)


async def catat(update: Update, context: BotContext) -> None:
    """``/catat``: the subordinates to write about (or why there are none)."""
    await _choose_subordinate(update, context, PREFIX)


async def ekspektasi(update: Update, context: BotContext) -> None:
    """``/ekspektasi``: the subordinates to state a special expectation for."""
    await _choose_subordinate(update, context, EXPECT)


async def _choose_subordinate(update: Update, context: BotContext, mode: str) -> None:
    _ = await context.gettext(update)
    message = update.effective_message
    async with context.sessions() as session:
        me = await employee_by_telegram(session, update.effective_user.id)
        team = await notes.subordinates(session, me.id) if me else []
    if me is None:
        await message.reply_text(
            _(
                "/catat and /ekspektasi are for supervisors with a linked account "
                "(/akun shows yours)."
            )
        )
        return
    if not team:
        await message.reply_text(_("The roster names no active subordinates of yours."))
        return
    rows = [[InlineKeyboardButton(e.name, callback_data=f"{mode}:e:{e.id}")] for e in team[:LISTED]]
    question = _("Who is the note about?") if mode == PREFIX else _("Whom is the expectation for?")
    await message.reply_text(question, reply_markup=InlineKeyboardMarkup(rows))


async def _subordinate(update: Update, context: BotContext, employee_id: int) -> Employee | None:
    async with context.sessions() as session:
        me = await employee_by_telegram(session, update.effective_user.id)
        return await notes.subordinate(session, me.id, employee_id) if me else None


async def _not_yours(update: Update, context: BotContext, _: Translate) -> None:
    log.info(
        "/catat: refused a press for someone not a subordinate (%s)", common.who(update, context)
    )
    await common.answer_query(
        update,
        _(NOT_YOURS),
        alert=True,
    )


async def press_employee(update: Update, context: BotContext) -> None:
    """A subordinate chosen: ask what the note is about."""
    _ = await context.gettext(update)
    employee_id = int(context.match["employee"])
    employee = await _subordinate(update, context, employee_id)
    if employee is None:
        await _not_yours(update, context, _)
        return
    year = local_day(context.clock.now(), context.settings.tz).year
    async with context.sessions() as session:
        lines = await skp.lines_of(session, employee_id, year)
    mode = context.match["mode"]
    base = f"{mode}:a:{employee_id}"
    rows = []
    if mode == PREFIX:
        rows.append(
            [InlineKeyboardButton(_("No particular value or SKP line"), callback_data=f"{base}:n")]
        )
    rows += [
        [InlineKeyboardButton(texts.target_label(None, code, _), callback_data=f"{base}:v{code}")]
        for code in texts.VALUE_CODES
    ]
    rows += [
        [
            InlineKeyboardButton(
                texts.target_label(line, None, _, 40), callback_data=f"{base}:s{line.id}"
            )
        ]
        for line in lines[:20]
    ]
    await common.answer_query(update)
    await common.edit_or_send(
        update,
        (
            _("A note about {name}: is it about a core value or an SKP line?")
            if mode == PREFIX
            else _("A special expectation for {name}: about which core value or SKP line?")
        ).format(name=employee.name),
        InlineKeyboardMarkup(rows),
    )


async def press_about(update: Update, context: BotContext) -> None:
    """What the note is about chosen: ask for the note (text or photo)."""
    _ = await context.gettext(update)
    employee_id, target = int(context.match["employee"]), context.match["target"]
    employee = await _subordinate(update, context, employee_id)
    if employee is None:
        await _not_yours(update, context, _)
        return
    mode = context.match["mode"]
    bad_value = target.startswith("v") and target[1:] not in texts.VALUE_CODES
    if bad_value or (mode == EXPECT and target == "n"):
        await forged_press(update, context)
        return
    if target.startswith("s"):
        year = local_day(context.clock.now(), context.settings.tz).year
        async with context.sessions() as session:
            ids = {line.id for line in await skp.lines_of(session, employee_id, year)}
        if int(target[1:]) not in ids:
            await forged_press(update, context)
            return
    await common.answer_query(update)
    ask = (
        _(
            "Type the note about {name}, or send a photo (a caption is welcome). "
            "At most {limit} characters."
        )
        if mode == PREFIX
        else _("Type your special expectation for {name} (at most {limit} characters).")
    )
    prompt = await common.edit_or_send(
        update, ask.format(name=employee.name, limit=notes.NOTE_MAX_CHARS), None
    )
    pending = {"employee": employee_id, "target": target, "prompt": prompt.message_id}
    pending["mode"] = mode
    pending["step"] = STEP_NOTE if mode == PREFIX else STEP_EXPECTATION
    pending["since"] = context.clock.now()
    expect_typed_input(context.user_data, NOTE_INPUT_KEY, pending)


def _pending(context: BotContext) -> dict[str, Any] | None:
    return pending_typed_input(context.user_data, NOTE_INPUT_KEY, context.clock.now(), PENDING_TTL)


async def handle_note_message(update: Update, context: BotContext) -> bool:
    """A message (not a command): consume it (True) when a note is awaited."""
    if not common.is_private_text(update):
        return False
    pending = _pending(context)
    if pending is None:
        return False
    message = update.message
    if message.message_id < pending["prompt"]:
        return True
    _ = await context.gettext(update)
    if pending["mode"] == EXPECT and message.text is None:
        # An expectation is text the employee answers; a photo or file (even with a
        # caption) would lose its content, so it is refused rather than half kept.
        await message.reply_text(
            _("Please type the text (a photo, sticker or file cannot be used here).")
        )
        return True
    photo = message.photo[-1].file_id if message.photo and pending["mode"] == PREFIX else None
    text = " ".join(clean_text(message.text or message.caption or "").split())
    if photo is None and not text:
        await message.reply_text(_("Please type the note as text or send a photo."))
        return True
    if len(text) > notes.NOTE_MAX_CHARS:
        await message.reply_text(
            _("That is {length} characters; the limit is {limit}. Please shorten it.").format(
                length=len(text), limit=notes.NOTE_MAX_CHARS
            )
        )
        return True
    path = None
    if photo is not None:
        path = await _keep_photo(update, context, pending["employee"])
        if path is None:
            await message.reply_text(_("I could not download it. Please send it again."))
            return True
    context.user_data.pop(NOTE_INPUT_KEY, None)
    await _save(update, context, pending, text, (photo, path), _)
    return True


async def _keep_photo(update: Update, context: BotContext, employee_id: int) -> str | None:
    """Download the note's photo into DATA_DIR/evidence/notes/ (backups take it); its path,
    or None when Telegram would not give it."""
    try:
        found = await update.message.photo[-1].get_file()
        content = bytes(await found.download_as_bytearray())
    except TelegramError as exc:
        log.warning("/catat: could not download the photo (%s)", exc)
        return None
    return achievements.keep_file(
        context.settings.data_dir, employee_id, content, ".jpg", notes.PHOTOS
    )


async def _save(
    update: Update,
    context: BotContext,
    pending: dict[str, Any],
    text: str,
    photo: tuple[str | None, str | None],
    _: Translate,
) -> None:
    """Write the note (``photo``: Telegram's file id and the kept file) or the expectation."""
    now = context.clock.now()
    period = period_of(
        local_day(now, context.settings.tz), context.settings.feedback_cadence_months
    )
    saved, sent = None, False
    async with context.sessions.begin() as session:
        me = await employee_by_telegram(session, update.effective_user.id)
        employee = await notes.subordinate(session, me.id, pending["employee"]) if me else None
        if me is not None and employee is not None:
            saved = employee.name
            sent = await _write(session, context, me, employee, pending, text, photo, period, now)
    if saved is None:
        await update.message.reply_text(_(NOT_YOURS))
        return
    if pending["mode"] == EXPECT and not sent:
        await update.message.reply_text(
            _(
                "Expectation saved. {name} has not linked their Telegram account yet: they "
                "receive it on the first working day after they do, and you hear when they "
                "understand or ask."
            ).format(name=saved)
        )
        return
    if pending["mode"] == EXPECT:
        context.services.wake()
        await update.message.reply_text(
            _("Expectation sent to {name}; you will hear when they understand or ask.").format(
                name=saved
            )
        )
        return
    await update.message.reply_text(
        _("Note saved about {name} (period {period}). It appears on their feedback card.").format(
            name=saved, period=period.label
        )
    )


async def _write(
    session: Any,
    context: BotContext,
    me: Employee,
    employee: Employee,
    pending: dict[str, Any],
    text: str,
    photo: tuple[str | None, str | None],
    period: Period,
    now: datetime,
) -> bool:
    """Keep the note, or state the expectation (queued to the employee); False when an
    expectation could not be queued (the employee is not linked)."""
    target = pending["target"]
    value_code = target[1:] if target.startswith("v") else None
    line_id = int(target[1:]) if target.startswith("s") else None
    if pending["mode"] == EXPECT:
        lines = {line.id: line for line in await skp.lines_of(session, employee.id, period.year)}
        return await expectations.state(
            session,
            context.settings,
            employee_id=employee.id,
            supervisor_id=me.id,
            supervisor_name=me.name,
            year=period.year,
            skp_line=lines.get(line_id) if line_id else None,
            value_code=value_code,
            text=text,
            now=now,
        )
    await notes.add_note(
        session,
        employee_id=employee.id,
        author_id=me.id,
        period=period.label,
        text=text,
        photo_file_id=photo[0],
        photo_path=photo[1],
        value_code=value_code,
        skp_line_id=line_id,
        now=now,
    )
    return True


async def forged_press(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    log.warning("/catat: refused malformed callback data from %s", common.who(update, context))
    await common.answer_query(update, _("This button is not valid."), alert=True)


HANDLERS: list[BaseHandler] = [
    CommandHandler(["catat", "note"], catat, filters=filters.ChatType.PRIVATE),
    CommandHandler(["ekspektasi", "expectation"], ekspektasi, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(press_employee, pattern=PATTERN_EMPLOYEE),
    CallbackQueryHandler(press_about, pattern=PATTERN_ABOUT),
    CallbackQueryHandler(forged_press, pattern=PATTERN_ANY),
    CallbackQueryHandler(forged_press, pattern=PATTERN_EXPECT_STEPS),
]
