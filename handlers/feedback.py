"""The feedback card's buttons and the typed feedback line, reply; ``/umpanbalik`` history.

Callback data is user input: ``fb:<token>:<action>…`` (see
``scheduler/messages/feedback_cards.py``). Every press loads the card by its
token and checks who presses: the supervisor the card was built for gives or
skips; the employee it is about marks the dialogue and replies. Anyone else,
an unknown token, a target that is not the employee's SKP line or a core
value, or a rating outside 1–3 is refused and logged under a pseudonym.
A supervisor opening a card to give feedback is a view of another person's
card: one audit-log row.

Typing: after a rating the supervisor's next text is the feedback line; after
"Tulis tanggapan" the employee's next text is the reply. The pending state is
in ``user_data`` (`FEEDBACK_INPUT_KEY`), expires after `PENDING_TTL`. Media
where text is expected, an empty or too long text get a clear answer and keep
the pending state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import Translate
from handlers import common
from handlers.context import FEEDBACK_INPUT_KEY, BotContext, expect_typed_input, pending_typed_input
from scheduler import feedback_dialogue as dialogue
from scheduler.messages import feedback_cards as texts
from storage import feedback_cards as cards
from storage import skp
from storage.directory import employee_by_telegram
from storage.masking import clean_text
from storage.performance_models import FeedbackCard, SkpLine

log = logging.getLogger(__name__)

# The steps, drawn in handlers/feedback.mmd: the supervisor's on the card, the employee's
# on the feedback they receive. The typed ones are the pending input's "kind".
STEP_CARD = "card"  # Beri umpan balik / Lewati periode ini
STEP_TARGET = "target"  # an SKP line or a core value
STEP_RATING = "rating"  # Di atas / Sesuai / Di bawah ekspektasi
STEP_LINE = "line"  # the typed feedback line
STEP_DIALOGUE = "dialogue"  # Sudah didiskusikan / Tulis tanggapan
STEP_REPLY = "reply"  # the typed reply
STEPS: tuple[str, ...] = (
    STEP_CARD,
    STEP_TARGET,
    STEP_RATING,
    STEP_LINE,
    STEP_DIALOGUE,
    STEP_REPLY,
)

PENDING_TTL = timedelta(minutes=30)
_TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,16})"
_TARGET = r"(?P<target>s\d{1,9}|v[A-Z]\d)"
# g x d w | t:<target> | r:<target>:<1-3>
PATTERN = (
    rf"^{texts.PREFIX}:{_TOKEN}:(?:(?P<action>[{texts.GIVE}{texts.SKIP}{texts.DISCUSSED}"
    rf"{texts.WRITE}])|(?P<step>[{texts.TARGET}{texts.RATE}]):{_TARGET}(?::(?P<rating>[123]))?)$"
)
PATTERN_ANY = rf"^{texts.PREFIX}:"


async def _target(
    card: FeedbackCard, target: str, session: Any
) -> tuple[SkpLine | None, str | None] | None:
    """The SKP line (of the card's employee, current) or core value a target names."""
    if target.startswith("v"):
        code = target[1:]
        return (None, code) if code in texts.VALUE_CODES else None
    year = int(card.period[:4])
    lines = {line.id: line for line in await skp.lines_of(session, card.employee_id, year)}
    line = lines.get(int(target[1:]))
    return (line, None) if line is not None else None


def _target_buttons(card: FeedbackCard, lines: list[SkpLine], _: Translate) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                texts.target_label(line, None, _, 40),
                callback_data=texts.data(card.token, texts.TARGET, f"s{line.id}"),
            )
        ]
        for line in lines[:20]
    ]
    rows += [
        [
            InlineKeyboardButton(
                texts.target_label(None, code, _),
                callback_data=texts.data(card.token, texts.TARGET, f"v{code}"),
            )
        ]
        for code in texts.VALUE_CODES
    ]
    return InlineKeyboardMarkup(rows)


def _rating_buttons(card: FeedbackCard, target: str, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.rating_label(r, _),
                    callback_data=texts.data(card.token, texts.RATE, target, str(r)),
                )
            ]
            for r in (3, 2, 1)
        ]
    )


@dataclass
class Screen:
    """What a press leads to, decided inside the transaction and shown after it."""

    refused: str | None = None  # why (for the log); the person sees one refusal
    answer: str | None = None  # the press's answer (a toast)
    text: str | None = None  # a message to show: a new one, or the pressed one edited
    markup: InlineKeyboardMarkup | None = None
    edit: bool = False
    drop_buttons: bool = False
    pending: dict[str, Any] | None = None  # typed input the shown message asks for
    wake: bool = False  # something was queued for someone else


async def refuse(update: Update, context: BotContext, why: str) -> None:
    _ = await context.gettext(update)
    log.warning("feedback: refused a press (%s) from %s", why, common.who(update, context))
    await common.answer_query(update, _("This button is not valid for you."), alert=True)


async def press(update: Update, context: BotContext) -> None:
    """A card's button: check the card and who presses, then do the step."""
    match = context.match
    assert match is not None
    _ = await context.gettext(update)
    action = match["action"] or match["step"]
    async with context.sessions.begin() as session:
        card = await cards.card_by_token(session, match["token"])
        me = await employee_by_telegram(session, update.effective_user.id)
        if action in (texts.TARGET, texts.RATE) and (action == texts.RATE) != bool(match["rating"]):
            card = None  # t with a rating or r without one: forged
        for_employee = action in (texts.DISCUSSED, texts.WRITE)
        owner = card.employee_id if card and for_employee else card.supervisor_id if card else None
        if card is None or me is None or me.id != owner:
            screen = Screen(refused="not theirs or unknown")
        elif for_employee:
            screen = await _employee_step(context, session, card, action, _)
        else:
            screen = await _supervisor_step(update, context, session, card, action, _)
    await _show(update, context, screen)


async def _show(update: Update, context: BotContext, screen: Screen) -> None:
    if screen.refused is not None:
        await refuse(update, context, screen.refused)
        return
    await common.answer_query(update, screen.answer)
    if screen.wake:
        context.services.wake()
    if screen.drop_buttons:
        await common.remove_keyboard(
            context, update.effective_chat.id, update.callback_query.message.message_id
        )
    if screen.text is None:
        return
    shown = await common.edit_or_send(update, screen.text, screen.markup, edit=screen.edit)
    if screen.pending is not None:
        pending = screen.pending | {"since": context.clock.now(), "prompt": shown.message_id}
        expect_typed_input(context.user_data, FEEDBACK_INPUT_KEY, pending)


async def _skip_or_open(
    update: Update, context: BotContext, session: Any, card: FeedbackCard, action: str, _: Translate
) -> Screen:
    """x: skip the period (counted); g: choose what the feedback is about (an audited view)."""
    now = context.clock.now()
    if action == texts.SKIP:
        if await cards.skip(session, card, now):
            return Screen(
                answer=_("Skipped; this period counts as without feedback."), drop_buttons=True
            )
        return Screen(answer=_("Feedback was given already; nothing to skip."))
    cards.audit_view(
        session, f"tg:{common.who(update, context)}", card, "opened to give feedback", now
    )
    lines = await skp.lines_of(session, card.employee_id, int(card.period[:4]))
    return Screen(
        text=_("What is your feedback about? {name}, period {period}").format(
            name=card.employee.name, period=card.period
        ),
        markup=_target_buttons(card, lines, _),
    )


async def _supervisor_step(
    update: Update, context: BotContext, session: Any, card: FeedbackCard, action: str, _: Translate
) -> Screen:
    """t: the target chosen, ask for the rating; r: the rating chosen, ask for the line."""
    if action in (texts.SKIP, texts.GIVE):
        return await _skip_or_open(update, context, session, card, action, _)
    match = context.match
    found = await _target(card, match["target"], session)
    if found is None:
        return Screen(refused="target not on the card")
    about = texts.target_label(found[0], found[1], _)
    if action == texts.TARGET:
        return Screen(
            text=_("{about}: how does {name} do against expectations?").format(
                about=about, name=card.employee.name
            ),
            markup=_rating_buttons(card, match["target"], _),
            edit=True,
        )
    rating = int(match["rating"])
    return Screen(
        text=_(
            "{about} — {rating}. Type one feedback line for {name} "
            "(at most {limit} characters), based on the evidence."
        ).format(
            about=about,
            rating=texts.rating_label(rating, _),
            name=card.employee.name,
            limit=texts.FEEDBACK_MAX_CHARS,
        ),
        edit=True,
        pending={
            "token": card.token,
            "target": match["target"],
            "rating": rating,
            "kind": STEP_LINE,
        },
    )


async def _employee_step(
    context: BotContext, session: Any, card: FeedbackCard, action: str, _: Translate
) -> Screen:
    """d: record the dialogue (once); w: ask for the written reply."""
    if not await cards.entries_of(session, [card.id]):
        return Screen(refused="no feedback on the card")
    if action == texts.DISCUSSED:
        if await dialogue.discussed(session, context.settings, card, context.clock.now()):
            return Screen(answer=_("Recorded: you discussed this feedback."), wake=True)
        return Screen(answer=_("The dialogue was recorded before."))
    return Screen(
        text=_("Type your reply to {supervisor} (at most {limit} characters).").format(
            supervisor=card.supervisor.name, limit=texts.FEEDBACK_MAX_CHARS
        ),
        pending={"token": card.token, "kind": STEP_REPLY},
    )


def _pending(context: BotContext) -> dict[str, Any] | None:
    return pending_typed_input(
        context.user_data, FEEDBACK_INPUT_KEY, context.clock.now(), PENDING_TTL
    )


async def handle_feedback_text(update: Update, context: BotContext) -> bool:
    """A message (not a command): consume it (True) when a feedback line or reply is awaited."""
    if not common.is_private_text(update):
        return False
    pending = _pending(context)
    if pending is None:
        return False
    message = update.message
    if message.message_id < pending["prompt"]:
        return True  # older than the prompt: a redelivered update
    _ = await context.gettext(update)
    line = " ".join(clean_text(message.text or "").split())
    if message.text is None or not line:
        await message.reply_text(
            _("Please type the text (a photo, sticker or file cannot be used here).")
        )
        return True
    if len(line) > texts.FEEDBACK_MAX_CHARS:
        await message.reply_text(
            _("That is {length} characters; the limit is {limit}. Please shorten it.").format(
                length=len(line), limit=texts.FEEDBACK_MAX_CHARS
            )
        )
        return True
    context.user_data.pop(FEEDBACK_INPUT_KEY, None)
    if pending["kind"] == STEP_REPLY:
        await _save_reply(update, context, pending, line, _)
    else:
        await _save_line(update, context, pending, line, _)
    return True


async def _save_line(
    update: Update, context: BotContext, pending: dict[str, Any], line: str, _: Translate
) -> None:
    now = context.clock.now()
    reply, again = _("This card is no longer available."), None
    async with context.sessions.begin() as session:
        card = await cards.card_by_token(session, pending["token"])
        me = await employee_by_telegram(session, update.effective_user.id)
        found = await _target(card, pending["target"], session) if card else None
        if card is not None and me is not None and me.id == card.supervisor_id and found:
            _entry, queued = await dialogue.give(
                session,
                context.settings,
                card,
                skp_line=found[0],
                value_code=found[1],
                rating=pending["rating"],
                text=line,
                now=now,
            )
            done = _("Saved and sent to {name}.") if queued else _("Saved for {name}.")
            reply = done.format(name=card.employee.name)
            button = texts.data(card.token, texts.GIVE)
            again = InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("Add another feedback line"), callback_data=button)]]
            )
    context.services.wake()
    await update.message.reply_text(reply, reply_markup=again)


async def _save_reply(
    update: Update, context: BotContext, pending: dict[str, Any], line: str, _: Translate
) -> None:
    reply = _("This card is no longer available.")
    async with context.sessions.begin() as session:
        card = await cards.card_by_token(session, pending["token"])
        me = await employee_by_telegram(session, update.effective_user.id)
        if card is not None and me is not None and me.id == card.employee_id:
            await dialogue.reply(session, context.settings, card, line, context.clock.now())
            reply = _("Your reply was sent to {supervisor}.").format(
                supervisor=card.supervisor.name
            )
    context.services.wake()
    await update.message.reply_text(reply)


async def umpanbalik(update: Update, context: BotContext) -> None:
    """``/umpanbalik``: the feedback this person received and, as a supervisor, gave."""
    _ = await context.gettext(update)
    language = await context.language(update)
    text = None
    async with context.sessions.begin() as session:
        me = await employee_by_telegram(session, update.effective_user.id)
        if me is not None:
            own = await cards.history_of(session, me.id)
            given = await cards.given_by(session, me.id)
            below = []
            if context.settings.feedback_superior_sees_cards:
                below = await cards.held_below(session, me.id)
            entries = await cards.entries_of(session, [c.id for c in own + below])
            by_card: dict[int, list[Any]] = {}
            for entry in entries:
                by_card.setdefault(entry.card_id, []).append(entry)
            ids = [e.skp_line_id for e in entries if e.skp_line_id is not None]
            lines = await cards.skp_lines_by_id(session, ids)
            actor = f"tg:{common.who(update, context)}"
            for card in given + below:
                cards.audit_view(session, actor, card, "listed in /umpanbalik", context.clock.now())
            text = texts.history_text(
                own, given, by_card, lines, context.settings.tz, language, below
            )
    if text is None:
        text = _("/umpanbalik is for employees with a linked account (/akun shows yours).")
    await update.effective_message.reply_text(text)


async def forged_press(update: Update, context: BotContext) -> None:
    """Any ``fb:`` data the exact pattern did not accept."""
    await refuse(update, context, "malformed")


HANDLERS: list[BaseHandler] = [
    CommandHandler(["umpanbalik", "feedback"], umpanbalik, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(press, pattern=PATTERN),
    CallbackQueryHandler(forged_press, pattern=PATTERN_ANY),
]
