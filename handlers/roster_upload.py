"""Roster from Telegram: an admin sends a CSV or XLSX file; the bot checks it, shows what would
change and every bad row, and imports it only on a confirmation bound to what it showed.

Who: city-wide admins (every unit) and unit admins (their units and the units below
them: `storage.roster_scope`), in a private chat. Anyone else's document goes on
to the citizen's reply of last resort (``handlers/typed_input.py``).

Steps (``scheduler/roster_upload.py`` holds the use case):

1. the document: a short "checking…" note, the file is downloaded (getFile) and
   kept under its SHA-256 in ``DATA_DIR/uploads``; which roster file it is comes
   from its header (units, services, employees, or SKP lines: ``ulasan import skp``'s
   file, whose lines left out are archived, shown as such);
2. the preview edits the note: what importing would do (added, updated,
   unchanged; for employees, how many of the admin's active staff the file
   leaves out), or every bad row in the admin's language (all of them as a
   text file when they do not fit a message). Nothing is written;
3. "Import" (and, for employees, "Import and deactivate the N missing") carry
   binding confirmations (``handlers/confirm.py``) whose payload is the file's
   hash and the counts shown. The press imports that very file in the same
   transaction that uses the confirmation up; if the counts are no longer the
   ones shown (another admin imported meanwhile), nothing is written and a
   fresh preview is shown. "Cancel" voids both.

Callback data ``ru:<y|d|x>:<nonce>``; anything else under ``ru:`` is refused.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.i18n import Translate
from handlers import common, confirm
from handlers import roster_upload_screens as screens
from handlers.context import BotContext
from handlers.roles import roles_here
from scheduler import roster_upload as upload
from storage import confirmations
from storage.roster import RosterInvalid
from storage.unit_admins import AdminScope

log = logging.getLogger(__name__)

ACTION = "roster_import"
PATTERN_IMPORT = rf"^ru:(?P<how>[yd]):{confirm.NONCE}$"
PATTERN_CANCEL = rf"^ru:x:{confirm.NONCE}$"
PATTERN_ANY = r"^ru:"


def managed_units(scope: AdminScope) -> frozenset[int] | None:
    """What an import may touch: None (every unit) for a city-wide admin."""
    return None if scope.city_wide else scope.unit_ids


def actor(update: Update, context: BotContext) -> str:
    """Who imported, for the audit log: the pseudonym's prefix, never the Telegram id."""
    return f"telegram:{context.user_key(update)[:16]}"


async def handle_document(update: Update, context: BotContext) -> bool:
    """A document from an admin in a private chat: check it and show the preview. False
    (not handled) for anything else, so the next feature may answer."""
    message = update.effective_message
    if message is None or message.document is None:
        return False
    roles = await roles_here(update, context)
    if not roles.is_admin:
        return False
    _ = await context.gettext(update)
    document = message.document
    name = document.file_name or "roster.csv"
    if (document.file_size or 0) > upload.MAX_BYTES:
        await message.reply_text(screens.too_large(document.file_size or 0, _))
        return True
    note = await message.reply_text(_("Checking {name}…").format(name=name))
    try:
        content = bytes(await (await document.get_file()).download_as_bytearray())
    except TelegramError as exc:
        log.warning("roster upload: could not download the document (%s)", exc)
        await note.edit_text(
            _("I could not download {name}. Please send it again.").format(name=name)
        )
        return True
    digest, path = upload.keep(context.settings.uploads_dir, content, name)
    log.info(
        "roster upload %s (%d bytes) from %s", digest[:12], len(content), actor(update, context)
    )
    preview = await upload.preview(
        context.sessions,
        path,
        digest,
        actor=actor(update, context),
        managed=managed_units(roles.admin),
    )
    await show_preview(update, context, note, preview, name)
    return True


async def show_preview(
    update: Update, context: BotContext, note: Message, preview: upload.Preview, name: str
) -> None:
    """Edit the note into the preview, with binding buttons when there is something to do."""
    _ = await context.gettext(update)
    text = screens.render_preview(preview, name, _)
    markup = await _buttons(update, context, preview, name) if preview.importable else None
    await note.edit_text(text, reply_markup=markup)
    if preview.errors and screens.errors_overflow(preview, _):
        await note.reply_document(
            document=screens.errors_file(preview, name, _).encode("utf-8"),
            filename=_("problems-{name}.txt").format(name=screens.stem(name)),
            caption=_("Every problem of {name}, one per line.").format(name=name),
        )


async def _buttons(
    update: Update, context: BotContext, preview: upload.Preview, name: str
) -> InlineKeyboardMarkup | None:
    _ = await context.gettext(update)
    rows = []
    base = {
        "sha256": preview.sha256,
        "suffix": upload.suffix_of(name),
        "kind": preview.kind,
        "name": name[:100],
    }
    if preview.changes:
        nonce = await confirm.issue(
            update,
            context,
            ACTION,
            subject=f"roster:{preview.sha256}:import",
            payload={**base, "deactivate": False, "expected": preview.counts.as_dict()},
        )
        rows.append([InlineKeyboardButton(_("Import"), callback_data=f"ru:y:{nonce}")])
    wider = preview.with_deactivation
    if wider is not None and wider.deactivated:
        nonce = await confirm.issue(
            update,
            context,
            ACTION,
            subject=f"roster:{preview.sha256}:deactivate",
            payload={**base, "deactivate": True, "expected": wider.as_dict()},
        )
        label = _("Import and deactivate the {count} missing").format(count=wider.deactivated)
        rows.append([InlineKeyboardButton(label, callback_data=f"ru:d:{nonce}")])
    if not rows:
        return None
    rows.append([InlineKeyboardButton(_("Cancel"), callback_data=f"ru:x:{nonce}")])
    return InlineKeyboardMarkup(rows)


async def import_confirmed(update: Update, context: BotContext) -> None:
    """``ru:y|d:<nonce>``: import the previewed file, if it still does what was shown."""
    _ = await context.gettext(update)
    roles = await roles_here(update, context)
    if not roles.is_admin:
        await refuse(update, context)
        return
    outcome: str | None = None
    confirmed: confirmations.Confirmed | None = None
    try:
        async with context.sessions.begin() as session:
            confirmed = await confirm.redeem(session, update, context, ACTION)
            if confirmed is not None:
                outcome = await _import(update, context, session, confirmed, roles.admin, _)
    except (upload.Changed, RosterInvalid) as exc:
        log.info("roster import refused at the press: %s", exc)
        outcome = "changed"
    if confirmed is None:
        await confirm.refuse(update, context, _("Send the file again to see a new preview."))
        return
    await common.answer_query(update)
    await _after(update, context, confirmed.payload, outcome)


async def _import(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    confirmed: confirmations.Confirmed,
    scope: AdminScope,
    _: Translate,
) -> str:
    """Import inside the confirmation's transaction (which holds the database: ask it for
    nothing else meanwhile); the summary to show, or "gone"."""
    data = confirmed.payload
    path = upload.kept_file(
        context.settings.uploads_dir, str(data.get("sha256")), str(data.get("suffix"))
    )
    if path is None:
        return "gone"
    report = await upload.apply(
        session,
        path,
        str(data.get("kind")),
        actor=actor(update, context),
        managed=managed_units(scope),
        deactivate=bool(data.get("deactivate")),
        expected=dict(data.get("expected") or {}),
    )
    await confirmations.discard(
        session,
        owner_key=context.user_key(update),
        action=ACTION,
    )
    return screens.render_done(report, _)


async def _after(
    update: Update, context: BotContext, payload: dict[str, object], outcome: object
) -> None:
    """Show the summary, or a fresh preview when the import no longer matched it."""
    _ = await context.gettext(update)
    if outcome == "gone":
        await common.edit_or_send(
            update, _("That file is no longer here. Please send it again."), None
        )
        return
    if outcome != "changed":
        await common.edit_or_send(update, str(outcome), None)
        return
    roles = await roles_here(update, context)
    path = upload.kept_file(
        context.settings.uploads_dir, str(payload.get("sha256")), str(payload.get("suffix"))
    )
    if path is None:
        await common.edit_or_send(
            update, _("That file is no longer here. Please send it again."), None
        )
        return
    preview = await upload.preview(
        context.sessions,
        path,
        str(payload["sha256"]),
        actor=actor(update, context),
        managed=managed_units(roles.admin),
    )
    note = await common.edit_or_send(
        update,
        _("The roster changed since the preview; nothing was imported. Checking again…"),
        None,
    )
    name = str(payload.get("name") or f"roster{path.suffix}")
    await show_preview(update, context, note, preview, name)  # type: ignore[arg-type]


async def cancelled(update: Update, context: BotContext) -> None:
    """``ru:x:<nonce>``: void the preview's confirmations; nothing is imported."""
    _ = await context.gettext(update)
    async with context.sessions.begin() as session:
        await confirmations.discard(session, owner_key=context.user_key(update), action=ACTION)
    await common.answer_query(update)
    await common.edit_or_send(update, _("Nothing was imported."), None)


async def refuse(update: Update, context: BotContext) -> None:
    """A press under ``ru:`` that is not an admin's, or not well formed: nothing changes."""
    _ = await context.gettext(update)
    log.warning(
        "roster upload: refused press %r from %s",
        update.callback_query.data,
        common.who(update, context),
    )
    await common.answer_query(
        update, _("This button is no longer valid. Send the roster file again."), alert=True
    )


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(import_confirmed, pattern=PATTERN_IMPORT),
    CallbackQueryHandler(cancelled, pattern=PATTERN_CANCEL),
    CallbackQueryHandler(refuse, pattern=PATTERN_ANY),
]
