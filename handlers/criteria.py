"""``/kriteria`` (``/criteria``): the 360° criteria, readable by every linked ASN at any time.

The contents page lists the topics as buttons; every page has "previous",
"contents" and "next" (``kr:<page>``). The pages are the texts of
`scheduler.messages.criteria`, built from the instrument of the reader's
latest cycle (`storage.criteria`) or the default one, and from the settings
the scoring uses, so what people read is what is computed.

Only linked employees (and admins) read them: the criteria are for the
people rated and rating. Callback data is user input: a page number that is
not a page gets a short notice and changes nothing; a double press shows the
same page again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.i18n import Translate
from handlers import common
from handlers.context import BotContext
from scheduler.messages.criteria import PAGE_COUNTER, CriteriaFacts, Page, criteria_pages
from scheduler.scoring.instrument_examples import Examples
from scheduler.scoring.review_instrument import Instrument, InstrumentError
from scheduler.scoring.shipped_instruments import DEFAULT_INSTRUMENT, get_instrument
from storage.consultations import examples_of, latest_version
from storage.criteria import instrument_code_for
from storage.directory import employee_by_telegram

log = logging.getLogger(__name__)

PREFIX = "kr:"
PATTERN_PAGE = r"^kr:(?P<page>\d{1,2})$"
PATTERN_ANY = r"^kr:"


@dataclass(frozen=True)
class Reader:
    """What the reader is shown: an instrument, its version and that version's examples."""

    instrument: Instrument
    version: int
    examples: Examples


async def _reader_instrument(update: Update, context: BotContext) -> Reader | None:
    """The instrument to explain, or None when the user may not read the criteria."""
    user = update.effective_user
    async with context.sessions() as session:
        employee = await employee_by_telegram(session, user.id)
        if employee is None and not context.settings.is_admin(user.id):
            return None
        found = await instrument_code_for(session, employee.id) if employee else None
        try:
            instrument = get_instrument(found[0]) if found else DEFAULT_INSTRUMENT
        except InstrumentError:  # a cycle whose instrument this version no longer knows
            instrument, found = DEFAULT_INSTRUMENT, None
        version = found[1] if found else await latest_version(session, instrument.code)
        try:
            examples = await examples_of(session, instrument, version)
        except InstrumentError:
            examples = {}
    return Reader(instrument, version, examples)


def _pages(context: BotContext, reader: Reader, _: Translate, language: str) -> list[Page]:
    settings = context.settings
    facts = CriteriaFacts(settings.min_anonymous_raters, settings.recommendation_min_values)
    return criteria_pages(
        reader.instrument, facts, _, language, examples=reader.examples, version=reader.version
    )


def _markup(pages: list[Page], index: int, _: Translate) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if index == 0:
        topics = [
            InlineKeyboardButton(page.title, callback_data=f"{PREFIX}{n}")
            for n, page in enumerate(pages[1:], start=1)
        ]
        rows += [topics[i : i + 2] for i in range(0, len(topics), 2)]
    else:
        nav = [InlineKeyboardButton("◀", callback_data=f"{PREFIX}{index - 1}")]
        nav.append(InlineKeyboardButton(_("Contents"), callback_data=f"{PREFIX}0"))
        if index + 1 < len(pages):
            nav.append(InlineKeyboardButton("▶", callback_data=f"{PREFIX}{index + 1}"))
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def _text(pages: list[Page], index: int, _: Translate) -> str:
    if index == 0:
        return pages[0].text
    counter = _(PAGE_COUNTER).format(n=index, total=len(pages) - 1)
    return f"{pages[index].text}\n\n{counter}"


async def _not_linked(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    text = _(
        "The assessment criteria are for civil servants with a linked account. Open the "
        "link code you received from HR (BKPSDM) first."
    )
    if update.callback_query is not None:
        await common.answer_query(update, text, alert=True)
    else:
        await update.effective_message.reply_text(text)


async def kriteria(update: Update, context: BotContext) -> None:
    """``/kriteria``: the contents page with a button per topic."""
    instrument = await _reader_instrument(update, context)
    if instrument is None:
        await _not_linked(update, context)
        return
    language = await context.language(update)
    _ = await context.gettext(update)
    pages = _pages(context, instrument, _, language)
    await update.effective_message.reply_text(_text(pages, 0, _), reply_markup=_markup(pages, 0, _))


async def show_page(update: Update, context: BotContext) -> None:
    """``kr:<n>``: page ``n`` in the pressed message; a number that is no page changes nothing."""
    instrument = await _reader_instrument(update, context)
    if instrument is None:
        await _not_linked(update, context)
        return
    language = await context.language(update)
    _ = await context.gettext(update)
    pages = _pages(context, instrument, _, language)
    index = int(context.match.group("page")) if context.match else -1
    if not 0 <= index < len(pages):
        await malformed_press(update, context)
        return
    await common.answer_query(update)
    await common.edit_or_send(update, _text(pages, index, _), _markup(pages, index, _))


async def malformed_press(update: Update, context: BotContext) -> None:
    """Any ``kr:`` data that is not a page: a short notice, logged, nothing else."""
    log.warning(
        "criteria: refused page data in update %s from user %s",
        update.update_id,
        common.who(update, context),
    )
    _ = await context.gettext(update)
    await common.answer_query(update, _("This button is no longer valid. Send /kriteria."))


HANDLERS: list[BaseHandler] = [
    CommandHandler(["kriteria", "criteria"], kriteria),
    CallbackQueryHandler(show_page, pattern=PATTERN_PAGE),
    CallbackQueryHandler(malformed_press, pattern=PATTERN_ANY),
]
