"""``/capaian``: an employee logs an achievement against an SKP line, with evidence.

``/capaian`` lists this period's and the previous period's achievements and
offers the employee's current SKP lines (``cp:l:<line id>``); after a press the
next message is the evidence: a photo or a document (kept under
``DATA_DIR/evidence/``, at most `MAX_BYTES`) or a link (``https://…``), each
with a caption. Callback data is user input: the line must be one of the
employee's current SKP lines. A sticker, voice, a photo without caption, a
text without a link, an over-long caption or a file too large gets a clear
answer and the evidence is still awaited. The pending state is in
``user_data`` (`ACHIEVEMENT_INPUT_KEY`) and expires after `PENDING_TTL`.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.clock import local_day
from bot.core.i18n import Translate
from handlers import common
from handlers.context import (
    ACHIEVEMENT_INPUT_KEY,
    BotContext,
    expect_typed_input,
    pending_typed_input,
)
from scheduler.messages import feedback_cards as texts
from scheduler.scoring.performance_periods import period_of
from storage import achievements, skp
from storage.directory import employee_by_telegram
from storage.masking import clean_text

log = logging.getLogger(__name__)

# The steps, drawn in handlers/achievements.mmd.
STEP_LINE = "line"  # /capaian: the listing and the SKP line to log against
STEP_EVIDENCE = "evidence"  # a photo or document with a caption, or a link with a few words
STEPS: tuple[str, ...] = (STEP_LINE, STEP_EVIDENCE)

PREFIX = "cp"
PENDING_TTL = timedelta(minutes=30)
MAX_BYTES = 10 * 1024 * 1024
PATTERN_LINE = rf"^{PREFIX}:l:(?P<line>\d{{1,9}})$"
PATTERN_ANY = rf"^{PREFIX}:"
LINK = re.compile(r"https?://\S+", re.IGNORECASE)
SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", ".pptx", ".txt"})


async def capaian(update: Update, context: BotContext) -> None:
    """``/capaian``: what was logged lately, and the SKP lines to log against."""
    _ = await context.gettext(update)
    today = local_day(context.clock.now(), context.settings.tz)
    period = period_of(today, context.settings.feedback_cadence_months)
    async with context.sessions() as session:
        me = await employee_by_telegram(session, update.effective_user.id)
        lines = await skp.lines_of(session, me.id, today.year) if me else []
        labels = [period.label, period.previous().label]
        logged = await achievements.achievements_in(session, me.id, labels) if me else []
    if me is None:
        await update.effective_message.reply_text(
            _("/capaian is for employees with a linked account (/akun shows yours).")
        )
        return
    await update.effective_message.reply_text(
        _listing(logged, lines, labels, _), reply_markup=_line_buttons(lines, _)
    )


def _listing(logged: list[Any], lines: list[Any], labels: list[str], _: Translate) -> str:
    by_id = {line.id: line for line in lines}
    out = [_("🏅 Your achievements")]
    for label in labels:
        mine = [a for a in logged if a.period == label]
        out += ["", _("Period {period}: {n}").format(period=label, n=len(mine))]
        for item in mine:
            about = texts.target_label(by_id.get(item.skp_line_id), None, _, 40) or "SKP"
            evidence = item.link or {"photo": _("photo"), "document": _("document")}[item.kind]
            out.append(f"• {about}: {item.caption} ({evidence})")
    out.append("")
    if lines:
        out.append(_("Choose an SKP line to log a new achievement against."))
    else:
        out.append(_("HR has not loaded your SKP for this year yet, so nothing can be logged."))
    return "\n".join(out)[:4096]


def _line_buttons(lines: list[Any], _: Translate) -> InlineKeyboardMarkup | None:
    if not lines:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.target_label(line, None, _, 40), callback_data=f"{PREFIX}:l:{line.id}"
                )
            ]
            for line in lines[:20]
        ]
    )


async def press_line(update: Update, context: BotContext) -> None:
    """An SKP line chosen: ask for the evidence."""
    _ = await context.gettext(update)
    line_id = int(context.match["line"])
    year = local_day(context.clock.now(), context.settings.tz).year
    async with context.sessions() as session:
        me = await employee_by_telegram(session, update.effective_user.id)
        lines = {line.id: line for line in await skp.lines_of(session, me.id, year)} if me else {}
    line = lines.get(line_id)
    if line is None:
        await forged_press(update, context)
        return
    await common.answer_query(update)
    prompt = await common.edit_or_send(
        update,
        _(
            "{about}: send the evidence — a photo or a document with a caption, or a link "
            "(https://…) with a few words."
        ).format(about=texts.target_label(line, None, _)),
        None,
    )
    pending = {"line": line_id, "prompt": prompt.message_id, "since": context.clock.now()}
    pending["step"] = STEP_EVIDENCE
    expect_typed_input(context.user_data, ACHIEVEMENT_INPUT_KEY, pending)


def _pending(context: BotContext) -> dict[str, Any] | None:
    return pending_typed_input(
        context.user_data, ACHIEVEMENT_INPUT_KEY, context.clock.now(), PENDING_TTL
    )


def _problem(message: Message, caption: str, _: Translate) -> str | None:
    """Why this message cannot be the evidence, or None."""
    if message.photo or message.document:
        size = (
            message.document.file_size if message.document else message.photo[-1].file_size
        ) or 0
        if size > MAX_BYTES:
            return _("That file is larger than 10 MB; please send a smaller one or a link.")
        if not caption:
            return _("Please send it again with a caption that says what it shows.")
    elif message.text is None:
        return _("Please send a photo, a document or a link as evidence.")
    elif not LINK.search(message.text):
        return _("Please include a link (https://…), or send a photo or a document.")
    if len(caption) > achievements.CAPTION_MAX_CHARS:
        return _("That is {length} characters; the limit is {limit}. Please shorten it.").format(
            length=len(caption), limit=achievements.CAPTION_MAX_CHARS
        )
    return None


async def handle_evidence(update: Update, context: BotContext) -> bool:
    """A message (not a command): consume it (True) when evidence is awaited."""
    if not common.is_private_text(update):
        return False
    pending = _pending(context)
    if pending is None:
        return False
    message = update.message
    if message.message_id < pending["prompt"]:
        return True
    _ = await context.gettext(update)
    raw = message.caption if (message.photo or message.document) else (message.text or "")
    caption = " ".join(clean_text(raw or "").split())
    problem = _problem(message, caption, _)
    if problem is not None:
        await message.reply_text(problem)
        return True
    await _keep(update, context, pending, caption, _)
    return True


async def _keep(
    update: Update, context: BotContext, pending: dict[str, Any], caption: str, _: Translate
) -> None:
    """Download and keep the evidence, then the row; the pending state ends."""
    message = update.message
    now = context.clock.now()
    async with context.sessions() as session:
        me = await employee_by_telegram(session, update.effective_user.id)
    if me is None:
        return
    kind, path, link = "link", None, None
    if message.photo or message.document:
        kind = "photo" if message.photo else "document"
        source = message.photo[-1] if message.photo else message.document
        name = message.document.file_name if message.document else "photo.jpg"
        suffix = PurePath(name or "").suffix.lower()
        suffix = suffix if suffix in SUFFIXES else ".bin"
        try:
            content = bytes(await (await source.get_file()).download_as_bytearray())
        except TelegramError as exc:
            log.warning("/capaian: could not download the evidence (%s)", exc)
            await message.reply_text(_("I could not download it. Please send it again."))
            return
        path = achievements.keep_file(context.settings.data_dir, me.id, content, suffix)
    else:
        found = LINK.search(message.text or "")
        link = found.group(0)[: achievements.LINK_MAX_CHARS] if found else None
    context.user_data.pop(ACHIEVEMENT_INPUT_KEY, None)
    period = period_of(
        local_day(now, context.settings.tz), context.settings.feedback_cadence_months
    )
    async with context.sessions.begin() as session:
        await achievements.add_achievement(
            session,
            employee_id=me.id,
            skp_line_id=pending["line"],
            period=period.label,
            kind=kind,
            file_path=path,
            link=link,
            caption=caption,
            now=now,
        )
    await message.reply_text(
        _("Achievement logged for period {period}. /capaian lists them.").format(
            period=period.label
        )
    )


async def forged_press(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    log.warning("/capaian: refused callback data from %s", common.who(update, context))
    await common.answer_query(update, _("This button is not valid for you."), alert=True)


HANDLERS: list[BaseHandler] = [
    CommandHandler(["capaian", "achievement"], capaian, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(press_line, pattern=PATTERN_LINE),
    CallbackQueryHandler(forged_press, pattern=PATTERN_ANY),
]
