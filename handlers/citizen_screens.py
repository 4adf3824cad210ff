"""What the citizen survey shows: pure functions from stored data to text and buttons.

The step callbacks in ``handlers/citizen.py`` decide what happened; this module
only draws it. `render` is a short dispatcher over one screen per kind of step
(intro, the nine unsur, the comment, the respondent profile, consent to be
contacted) of a `SurveyView`, in the language given as ``_``; the chooser
(unit → service) is drawn from the lists of units and services.
Nothing here reads the database or talks to Telegram, so every screen can be
checked without a bot.

The callback data the buttons carry is defined here too, next to the buttons,
with the exact patterns the step callbacks are registered under. It is user
input: the patterns only say what is well-formed, the callbacks check it
against the stored draft.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Translate
from scheduler.scoring.skm_instrument import PROFILE, PROFILE_TITLES, UNSUR, UNSUR_BY_CODE
from storage import survey
from storage.models import Service, Unit
from storage.survey_models import CANCELLED, DRAFT, SUBMITTED
from storage.survey_press import SurveyView

Screen = tuple[str, InlineKeyboardMarkup | None]
Item = TypeVar("Item")

# -- callback data -----------------------------------------------------------------
# Survey presses: sv:<response token>:<action>[:<step>[:<value>]] (≤ 64 bytes).
SURVEY = "sv"
BEGIN = "go"
ANSWER = "a"
PROFILE_ANSWER = "p"
SKIP = "s"
CONSENT = "c"
BACK = "b"
CANCEL = "x"
# Chooser: sp:u:<page> (units), sp:n:<unit id>[:<page>] (its services), sp:s:<service id>.
CHOOSE_UNITS = "sp:u:"
CHOOSE_UNIT = "sp:n:"
CHOOSE_SERVICE = "sp:s:"

_TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,16})"
_STEP = r"(?P<step>[A-Za-z0-9_]{1,16})"
PATTERN_BEGIN = rf"^{SURVEY}:{_TOKEN}:{BEGIN}$"
PATTERN_ANSWER = rf"^{SURVEY}:{_TOKEN}:{ANSWER}:(?P<step>U[1-9]):(?P<value>[1-4])$"
PATTERN_PROFILE = rf"^{SURVEY}:{_TOKEN}:{PROFILE_ANSWER}:{_STEP}:(?P<value>[A-Za-z0-9+-]{{1,12}})$"
PATTERN_SKIP = rf"^{SURVEY}:{_TOKEN}:{SKIP}:{_STEP}$"
PATTERN_CONSENT = rf"^{SURVEY}:{_TOKEN}:{CONSENT}:yes$"
PATTERN_BACK = rf"^{SURVEY}:{_TOKEN}:{BACK}:{_STEP}$"
PATTERN_CANCEL = rf"^{SURVEY}:{_TOKEN}:{CANCEL}$"
PATTERN_CHOOSE_UNITS = rf"^{CHOOSE_UNITS}(?P<page>\d{{1,4}})$"
PATTERN_CHOOSE_UNIT = rf"^{CHOOSE_UNIT}(?P<unit>\d{{1,9}})(?::(?P<page>\d{{1,4}}))?$"
PATTERN_CHOOSE_SERVICE = rf"^{CHOOSE_SERVICE}(?P<service>\d{{1,9}})$"
PATTERN_ANY = r"^(sv|sp|hd):"

PAGE_SIZE = 8
CHECK = " ✓"  # marks the answer stored earlier when the citizen comes back to a step


def data(token: str, *parts: str) -> str:
    return ":".join((SURVEY, token, *parts))


class Notice(StrEnum):
    """Why a survey press changed nothing."""

    UNKNOWN = "unknown"  # no such response, or not this citizen's
    EXPIRED = "expired"  # the draft was left unfinished too long
    CLOSED = "closed"  # submitted, cancelled or abandoned
    STALE = "stale"  # the draft is no longer at the step the button names


# -- parts of every survey screen -----------------------------------------------------


def _header(response: SurveyView, _: Translate) -> str:
    lines = [_("Public satisfaction survey"), f"{response.service_name}, {response.unit_name}"]
    return "\n".join(lines)


def _officer_line(response: SurveyView, _: Translate) -> str | None:
    if response.officer_name is None:
        return None
    return _("Officer: {name}").format(name=response.officer_name)


def _nav(response: SurveyView, _: Translate) -> list[InlineKeyboardButton]:
    row = []
    if survey.previous_step(response.step) is not None:
        row.append(
            InlineKeyboardButton(_("Back"), callback_data=data(response.token, BACK, response.step))
        )
    row.append(InlineKeyboardButton(_("Cancel"), callback_data=data(response.token, CANCEL)))
    return row


def _skip_row(response: SurveyView, _: Translate) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(_("Skip"), callback_data=data(response.token, SKIP, response.step))
    ]


def _marked(label: str, chosen: bool) -> str:
    return label + CHECK if chosen else label


def closed_text(_: Translate) -> str:
    return _("This survey is closed. To rate a service, scan the QR code again or use /start.")


# -- the survey message, step by step ---------------------------------------------------


def render(response: SurveyView, _: Translate, limit: int = 1000) -> Screen:
    """The survey message for the response's current step."""
    if response.status != DRAFT:
        return _ended_text(response, _), None
    step = response.step
    if step == survey.INTRO:
        return _intro_screen(response, _)
    if step in survey.UNSUR_STEPS:
        return _unsur_screen(response, _)
    if step == survey.COMMENT:
        return _comment_screen(response, _, limit)
    if step in survey.PROFILE_STEPS:
        return _profile_screen(response, _)
    if step == survey.CONTACT:
        return _contact_screen(response, _)
    return closed_text(_), None


def _ended_text(response: SurveyView, _: Translate) -> str:
    if response.status == CANCELLED:
        return _(
            "Survey cancelled. Nothing from it is counted. To rate a service later, "
            "scan the QR code again or use /start."
        )
    if response.status == SUBMITTED:
        return summary(response, _)
    return closed_text(_)


def _intro_screen(response: SurveyView, _: Translate) -> Screen:
    parts = [_header(response, _)]
    officer = _officer_line(response, _)
    if officer:
        parts.append(officer)
    parts.append("")
    parts.append(
        _(
            "Nine short questions, less than a minute, without your name: "
            "we do not keep your Telegram identity (see /privacy)."
        )
    )
    buttons = [
        [InlineKeyboardButton(_("Start"), callback_data=data(response.token, BEGIN))],
        [InlineKeyboardButton(_("Cancel"), callback_data=data(response.token, CANCEL))],
    ]
    return "\n".join(parts), InlineKeyboardMarkup(buttons)


def _unsur_screen(response: SurveyView, _: Translate) -> Screen:
    step = response.step
    unsur = UNSUR_BY_CODE[step]
    number = survey.UNSUR_STEPS.index(step) + 1
    parts = [
        _header(response, _),
        "",
        _("Question {number}/{total}: {unsur}").format(
            number=number, total=len(survey.UNSUR_STEPS), unsur=_(unsur.name)
        ),
        _(unsur.question),
    ]
    officer = _officer_line(response, _) if unsur.about_officer else None
    if officer:
        parts.append(officer)
    stored = getattr(response, step.lower())
    rows = [
        [
            InlineKeyboardButton(
                _marked(_(label), stored == score),
                callback_data=data(response.token, ANSWER, step, str(score)),
            )
        ]
        for score, label in enumerate(unsur.options, start=1)
    ]
    rows.append(_nav(response, _))
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _comment_screen(response: SurveyView, _: Translate, limit: int) -> Screen:
    parts = [
        _header(response, _),
        "",
        _("Suggestions or complaints (optional)"),
        _(
            "Type your suggestion or complaint as a normal message (at most {limit} "
            "characters), or press Skip. Please leave out your NIK and phone number; "
            "if you include them, we hide them."
        ).format(limit=limit),
    ]
    if response.comment:
        parts += [
            "",
            _(
                "Your comment so far (send a new one to replace it, or press Skip to "
                "keep it): {comment}"
            ).format(comment=response.comment),
        ]
    rows = [_skip_row(response, _), _nav(response, _)]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _profile_screen(response: SurveyView, _: Translate) -> Screen:
    step = response.step
    number = survey.PROFILE_STEPS.index(step) + 1
    stored = getattr(response, step)
    parts = [
        _header(response, _),
        "",
        _("About you (optional) {number}/{total}: {title}").format(
            number=number, total=len(survey.PROFILE_STEPS), title=_(PROFILE_TITLES[step])
        ),
        _("This helps the unit know whom it serves. Choose one, or press Skip."),
    ]
    buttons = [
        InlineKeyboardButton(
            _marked(_(label), stored == value),
            callback_data=data(response.token, PROFILE_ANSWER, step, value),
        )
        for value, label in PROFILE[step]
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows += [_skip_row(response, _), _nav(response, _)]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _contact_screen(response: SurveyView, _: Translate) -> Screen:
    parts = [
        _header(response, _),
        "",
        _("May the service unit contact you on Telegram about your feedback?"),
        _("Only if you agree do we keep your chat id with this response. Skip means no."),
    ]
    consent = data(response.token, CONSENT, "yes")
    rows = [
        [InlineKeyboardButton(_("Yes, you may contact me"), callback_data=consent)],
        _skip_row(response, _),
        _nav(response, _),
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def summary(response: SurveyView, _: Translate) -> str:
    """The thank-you message: every answer as the citizen gave it."""
    lines = [
        _("Thank you! Your rating of {service} has been recorded.").format(
            service=response.service_name
        ),
        "",
        _("Your answers:"),
    ]
    for unsur in UNSUR:
        score = getattr(response, unsur.code.lower())
        label = _(unsur.options[score - 1]) if score in (1, 2, 3, 4) else "-"
        lines.append(f"• {_(unsur.name)}: {label}")
    if response.comment:
        lines += ["", _("Suggestion or complaint: {comment}").format(comment=response.comment)]
    profile = _profile_labels(response, _)
    if profile:
        lines.append(_("About you: {profile}").format(profile=", ".join(profile)))
    if response.contact_ok:
        lines.append(_("You agreed to be contacted about this feedback."))
    lines += ["", _("You can delete your answers at any time with /hapusdata.")]
    return "\n".join(lines)


def _profile_labels(response: SurveyView, _: Translate) -> list[str]:
    profile = []
    for field in survey.PROFILE_STEPS:
        value = getattr(response, field)
        labels = dict(PROFILE[field])
        if value in labels:
            profile.append(_(labels[value]))
    return profile


# -- what else the citizen reads -----------------------------------------------------------


def hint(response: SurveyView, _: Translate) -> str:
    """What to do instead, for input that is not what the current step expects."""
    if response.step == survey.INTRO:
        return _("Please press Start to begin, or Cancel.")
    if response.step == survey.COMMENT:
        return _("Please type your suggestion or complaint as text, or press Skip.")
    return _("Please answer with one of the buttons below.")


def too_long_text(length: int, limit: int, _: Translate) -> str:
    return _(
        "Your comment is {length} characters long; the limit is {limit}. Please shorten "
        "it and send it again. Your answers so far are kept."
    ).format(length=length, limit=limit)


def notice_text(notice: Notice, _: Translate) -> str:
    """The short answer to a press that changed nothing."""
    texts = {
        Notice.UNKNOWN: _("This survey is no longer available. Please start again with /start."),
        Notice.EXPIRED: _(
            "This survey expired because it was left unfinished. Please start again: "
            "scan the QR code or use /start."
        ),
        Notice.CLOSED: closed_text(_),
        Notice.STALE: _(
            "That question has already been answered. Please use the latest survey message."
        ),
    }
    return texts[notice]


def resumed_lead(_: Translate) -> str:
    return _("You have already started this survey; please continue here.")


def limit_text(service_name: str, _: Translate) -> str:
    return _(
        "You have already rated {service} today. Thank you! You can rate it again tomorrow."
    ).format(service=service_name)


def gone_text(_: Translate) -> str:
    return _("That choice is no longer available.")


# -- the chooser: unit → service ----------------------------------------------------------


def _pager(page: int, pages: int, prefix: str, _: Translate) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(_("Previous"), callback_data=f"{prefix}{page - 1}"))
    if page + 1 < pages:
        row.append(InlineKeyboardButton(_("Next"), callback_data=f"{prefix}{page + 1}"))
    return row


def _page_of(items: list[Item], page: int) -> tuple[list[Item], int, int]:
    """The items on ``page`` (clamped), the page shown and the number of pages."""
    pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, pages


def _with_lead(lead: str | None, text: str) -> str:
    return f"{lead}\n\n{text}" if lead else text


def units_screen(units: list[Unit], page: int, lead: str | None, _: Translate) -> Screen:
    """The units with a service to rate, a page at a time (``lead`` says why, if anything)."""
    if not units:
        text = _("There are no services to rate at the moment. Please try again later.")
        return _with_lead(lead, text), None
    shown, page, pages = _page_of(units, page)
    rows = [
        [InlineKeyboardButton(unit.name, callback_data=f"{CHOOSE_UNIT}{unit.id}")] for unit in shown
    ]
    pager = _pager(page, pages, CHOOSE_UNITS, _)
    if pager:
        rows.append(pager)
    text = _with_lead(lead, _("Which unit served you? Choose the unit:"))
    return text, InlineKeyboardMarkup(rows)


def services_screen(unit: Unit, services: list[Service], page: int, _: Translate) -> Screen:
    """The active services of one unit (at least one), a page at a time."""
    shown, page, pages = _page_of(services, page)
    rows = [
        [InlineKeyboardButton(service.name, callback_data=f"{CHOOSE_SERVICE}{service.id}")]
        for service in shown
    ]
    pager = _pager(page, pages, f"{CHOOSE_UNIT}{unit.id}:", _)
    if pager:
        rows.append(pager)
    rows.append([InlineKeyboardButton(_("Back"), callback_data=f"{CHOOSE_UNITS}0")])
    text = _("{unit}: which service did you use?").format(unit=unit.name)
    return text, InlineKeyboardMarkup(rows)
