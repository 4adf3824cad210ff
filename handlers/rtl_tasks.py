"""``/tugas``: the owner of follow-up lines sees them, sets their status and sends evidence.

TASKS (``/tugas``, ``rl:tl``) lists the person's lines; TASK (``rl:t:<line>``)
shows one with a button per status (belum mulai, berjalan, selesai, batal) and
Send evidence. Selesai asks the head to verify (through the outbox); batal
asks for the reason first (typed, pending step ``batal_reason``); a verified
line is closed. Send evidence makes the next photo or document (pending step
``evidence``) evidence of the line: the bytes are kept under
``DATA_DIR/rtl_evidence/<line>/`` (backups carry them) and a row names the
file (`storage.rtl.add_evidence`, audited).

Every press names its line and is checked again: the line must be this
person's (the linked employee is its owner) and still open.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from handlers import common, rtl_state
from handlers import rtl_screens as screens
from handlers.context import BotContext
from scheduler import rtl as plans
from scheduler.messages import rtl as texts
from storage import rtl
from storage.directory import employee_by_telegram
from storage.rtl import LineView
from storage.rtl_models import CANCELLED, DONE

log = logging.getLogger(__name__)

STEP_TASKS = "tasks"
STEP_TASK = "task"
STEP_REASON = "batal_reason"
STEP_EVIDENCE = "evidence"
STEPS: tuple[str, ...] = (STEP_TASKS, STEP_TASK, STEP_REASON, STEP_EVIDENCE)
EVIDENCE_DIR = "rtl_evidence"
MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
REASON_MAX = 500


def actor(update: Update) -> str:
    user = update.effective_user
    return f"telegram:{user.id}" if user else "telegram"


async def _employee_id(update: Update, context: BotContext) -> int | None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != chat.PRIVATE:
        return None
    async with context.sessions() as session:
        employee = await employee_by_telegram(session, user.id)
    return employee.id if employee else None


async def own_line(update: Update, context: BotContext, line_id: int) -> LineView | None:
    employee_id = await _employee_id(update, context)
    if employee_id is None:
        return None
    async with context.sessions() as session:
        line = await rtl.line_view(session, line_id)
    if line is None or line.owner_employee_id != employee_id:
        return None
    return line


async def refuse(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    log.info("/tugas: refused press from %s", common.who(update, context))
    await common.answer_query(
        update, _("This button is no longer valid. Send /tugas again."), alert=True
    )


async def _tasks_screen(
    update: Update, context: BotContext, employee_id: int
) -> tuple[str, object]:
    _ = await context.gettext(update)
    language = await context.language(update)
    async with context.sessions() as session:
        lines = await rtl.lines_of_owner(session, employee_id)
    if not lines:
        return _("You are not responsible for any follow-up line."), None
    rows = [_("Your follow-up lines:")]
    rows += ["\n" + texts.line_text(line, language, n) for n, line in enumerate(lines, start=1)]
    return "\n".join(rows)[:4000], screens.tasks_buttons(lines)


async def tugas(update: Update, context: BotContext) -> None:
    """``/tugas``: TASKS, the person's follow-up lines."""
    _ = await context.gettext(update)
    rtl_state.clear(context)
    employee_id = await _employee_id(update, context)
    if employee_id is None:
        await update.effective_message.reply_text(
            _("/tugas is for employees with a linked account who own follow-up lines.")
        )
        return
    text, markup = await _tasks_screen(update, context, employee_id)
    await update.effective_message.reply_text(text, reply_markup=markup)  # type: ignore[arg-type]


async def tasks_again(update: Update, context: BotContext) -> None:
    """``rl:tl``: TASKS again, in the pressed message."""
    employee_id = await _employee_id(update, context)
    if employee_id is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    rtl_state.clear(context)
    text, markup = await _tasks_screen(update, context, employee_id)
    await common.edit_or_send(update, text, markup)  # type: ignore[arg-type]


async def show_task(
    update: Update, context: BotContext, line: LineView, lead: str = "", *, new: bool = False
) -> None:
    _ = await context.gettext(update)
    language = await context.language(update)
    text = texts.line_text(line, language)
    if lead:
        text = f"{lead}\n\n{text}"
    markup = None if line.verified_at is not None else screens.task_buttons(line, _)
    await common.edit_or_send(update, text, markup, edit=not new)


async def task_chosen(update: Update, context: BotContext) -> None:
    """``rl:t:<line>``: TASK, one line with its status buttons."""
    line = await own_line(update, context, int(context.match.group("line")))
    if line is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    rtl_state.clear(context)
    await show_task(update, context, line)


async def status_chosen(update: Update, context: BotContext) -> None:
    """``rl:st:<line>:<status>``: stores the status (batal first asks for the reason);
    selesai asks the head to verify."""
    line = await own_line(update, context, int(context.match.group("line")))
    status = context.match.group("status")
    if line is None or line.verified_at is not None:
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    await common.answer_query(update)
    if status == CANCELLED:
        rtl_state.expect(context, STEP_REASON, line=line.id)
        await update.effective_chat.send_message(_("Why is this line cancelled? Type the reason."))
        return
    await _set_status(update, context, line.id, status, None, new=False)


async def _set_status(
    update: Update, context: BotContext, line_id: int, status: str, reason: str | None, *, new: bool
) -> None:
    _ = await context.gettext(update)
    async with context.sessions.begin() as session:
        changed = await rtl.set_status(
            session, line_id, status, reason=reason, actor=actor(update), now=context.clock.now()
        )
        line = await rtl.line_view(session, line_id)
        asked = False
        if changed and status == DONE and line is not None:
            asked = await plans.ask_head_to_verify(
                session, line, context.settings, context.clock.now()
            )
    rtl_state.clear(context)
    if line is None:
        return
    if status == DONE and changed and asked:
        context.services.wake()
        lead = _("Marked done. Your head has been asked to verify it.")
    elif status == DONE and changed:
        lead = _(
            "Marked done. No unit head with a linked account can verify it yet; please tell HR."
        )
    else:
        lead = _("Status saved.")
    await show_task(update, context, line, lead, new=new)


async def evidence_chosen(update: Update, context: BotContext) -> None:
    """``rl:ev:<line>``: the next photo or document is evidence of the line (EVIDENCE)."""
    line = await own_line(update, context, int(context.match.group("line")))
    if line is None or line.verified_at is not None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    rtl_state.expect(context, STEP_EVIDENCE, line=line.id)
    await update.effective_chat.send_message(
        _("Send the evidence as a photo or a document (at most 20 MB).")
    )


async def _download(update: Update) -> tuple[str, str, str, bytes] | None:
    """(kind, file name, MIME type, bytes) of the message's photo or document, or None."""
    message = update.effective_message
    if message.photo:
        photo = message.photo[-1]
        if (photo.file_size or 0) > MAX_BYTES:
            return None
        content = bytes(await (await photo.get_file()).download_as_bytearray())
        return "photo", f"foto-{photo.file_unique_id}.jpg", "image/jpeg", content
    document = message.document
    if document is None or (document.file_size or 0) > MAX_BYTES:
        return None
    content = bytes(await (await document.get_file()).download_as_bytearray())
    name = Path(document.file_name or "dokumen").name[:120]
    return "document", name, document.mime_type or "", content


async def _typed_evidence(update: Update, context: BotContext, line: LineView) -> None:
    _ = await context.gettext(update)
    message = update.effective_message
    try:
        got = await _download(update)
    except TelegramError as exc:
        log.warning("rtl evidence download failed: %s", exc)
        await message.reply_text(_("I could not download the file. Please send it again."))
        return
    if got is None:
        await message.reply_text(
            _("Please send a photo or a document of at most 20 MB as evidence.")
        )
        return
    kind, name, mime, content = got
    digest = hashlib.sha256(content).hexdigest()
    relative = Path(EVIDENCE_DIR) / str(line.id) / f"{digest[:16]}{Path(name).suffix[:10]}"
    target = context.settings.data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    async with context.sessions.begin() as session:
        await rtl.add_evidence(
            session,
            line.id,
            kind=kind,
            file_name=name,
            mime_type=mime,
            size=len(content),
            sha256=digest,
            path=str(relative),
            employee_id=line.owner_employee_id,
            actor=actor(update),
            now=context.clock.now(),
        )
        fresh = await rtl.line_view(session, line.id)
    rtl_state.clear(context)
    if fresh is not None:
        await show_task(update, context, fresh, _("Evidence saved."), new=True)


async def handle_input(update: Update, context: BotContext, state: dict[str, object]) -> bool:
    """An owner's typed reason (batal) or evidence file (True: consumed)."""
    step = state["step"]
    if step not in (STEP_REASON, STEP_EVIDENCE):
        return False
    message = update.effective_message
    line = await own_line(update, context, int(state["line"]))  # type: ignore[arg-type]
    if line is None or line.verified_at is not None:
        rtl_state.clear(context)
        return False
    _ = await context.gettext(update)
    if step == STEP_EVIDENCE:
        if message.text and not (message.photo or message.document):
            await message.reply_text(_("Please send a photo or a document as evidence."))
            return True
        await _typed_evidence(update, context, line)
        return True
    reason = " ".join((message.text or "").split())
    if not reason or len(reason) > REASON_MAX:
        await message.reply_text(
            _("Please type the reason as text, at most {limit} characters.").format(
                limit=REASON_MAX
            )
        )
        return True
    await _set_status(update, context, line.id, CANCELLED, reason, new=True)
    return True


HANDLERS: list[BaseHandler] = [
    CommandHandler("tugas", tugas),
    CallbackQueryHandler(tasks_again, pattern=screens.PATTERN_TASKS),
    CallbackQueryHandler(task_chosen, pattern=screens.PATTERN_TASK),
    CallbackQueryHandler(status_chosen, pattern=screens.PATTERN_STATUS),
    CallbackQueryHandler(evidence_chosen, pattern=screens.PATTERN_EVIDENCE),
]
