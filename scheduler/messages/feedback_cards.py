"""What the feedback card and its dialogue say (the supervisor's and the employee's side).

Callback data of a card: ``fb:<token>:<action>[:<target>[:<rating>]]``, the
card named by its random token. Actions: ``g`` give feedback (choose what
about), ``t`` a target chosen, ``r`` a rating chosen, ``x`` skip the period,
``d`` the employee's "Sudah didiskusikan", ``w`` the employee writes a reply.
A target is ``s<id>`` (an SKP line) or ``v<code>`` (a core value, ``B1``…).
Every press is checked against the card again (`handlers/feedback.py`).
Peer and citizen material appears only as released: citizen comments are
masked, 360° figures are the cells `storage.review_results` let through.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo
from fractions import Fraction
from typing import TYPE_CHECKING

from babel.dates import format_date

from bot.core.clock import babel_locale
from bot.core.i18n import Translate, gettext_for
from scheduler.messages.limits import shorten
from scheduler.messages.review_reports import figure_text, number
from scheduler.scoring import skm
from scheduler.scoring.review_instrument import Expectation
from scheduler.scoring.review_math import Figure, Group
from scheduler.scoring.shipped_instruments import BERAKHLAK_ITEMS
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from storage.masking import clean_text, mask_personal_data
from storage.outbox import MAX_TEXT, Button

if TYPE_CHECKING:
    from scheduler.feedback_card_content import CardContent, Citizens
    from storage.performance_models import FeedbackCard, FeedbackEntry, SkpLine

PREFIX = "fb"
GIVE, TARGET, RATE, SKIP, DISCUSSED, WRITE = "g", "t", "r", "x", "d", "w"
COMMENT_LIMIT = 300
NOTE_LIMIT = 300
FEEDBACK_MAX_CHARS = 1000
VALUE_CODES = tuple(item.code for item in BERAKHLAK_ITEMS)
_VALUE_NAMES = {item.code: item.name for item in BERAKHLAK_ITEMS}


def data(token: str, action: str, *args: str) -> str:
    return ":".join((PREFIX, token, action, *args))


def value_name(code: str, _: Translate) -> str:
    return _(_VALUE_NAMES[code])


def target_label(
    skp_line: SkpLine | None, value_code: str | None, _: Translate, limit: int = 60
) -> str:
    """What a note or a feedback line is about, short."""
    if skp_line is not None:
        return _("SKP: {plan}").format(plan=shorten(skp_line.plan, limit))
    if value_code is not None and value_code in _VALUE_NAMES:
        return f"{value_code} {value_name(value_code, _)}"
    return ""


def rating_label(rating: int, _: Translate) -> str:
    return _(Expectation(rating).label)


def _nrr(value: Fraction, language: str) -> str:
    return number(float(skm.round_half_up(value, 2)), language)


def citizens_lines(citizens: Citizens, _: Translate, language: str) -> list[str]:
    """Citizens' answers about the officer: U6/U7 with n, or why they are withheld."""
    if citizens.n == 0:
        return [_("Citizens (officer QR codes): no answers in this period.")]
    if citizens.u6 is None or citizens.u7 is None:
        return [
            _(
                "Citizens (officer QR codes): {n} answers, fewer than {minimum}; "
                "figures are shown from {minimum}."
            ).format(n=citizens.n, minimum=citizens.minimum)
        ]
    lines = [
        _("Citizens (officer QR codes), n = {n}:").format(n=citizens.n),
        f"• U6 {_(UNSUR_BY_CODE['U6'].name)}: {_nrr(citizens.u6, language)}",
        f"• U7 {_(UNSUR_BY_CODE['U7'].name)}: {_nrr(citizens.u7, language)}",
    ]
    if citizens.comments:
        lines.append(_("What citizens wrote (masked):"))
        lines += [
            f"• “{shorten(mask_personal_data(clean_text(c)), COMMENT_LIMIT)}”"
            for c in citizens.comments
        ]
    return lines


def unit_lines(content: CardContent, _: Translate, language: str) -> list[str]:
    """For a unit head: each headed unit's IKM over the period (the SKM's formal evidence)."""
    lines = []
    for unit in content.units:
        if unit.result is None:
            lines.append(
                _("IKM of {unit} ({code}): no survey answers in this period.").format(
                    unit=unit.name, code=unit.code
                )
            )
            continue
        lines.append(
            _("IKM of {unit} ({code}): {ikm} (mutu {mutu}), n = {n}").format(
                unit=unit.name,
                code=unit.code,
                ikm=number(float(unit.result.konversi_rounded), language),
                mutu=unit.result.mutu.code,
                n=unit.n,
            )
        )
    return lines


def _notes_lines(content: CardContent, _: Translate) -> list[str]:
    if not content.notes:
        return [_("Your notes: none in this period (/catat records one).")]
    lines = [_("Your notes ({n}):").format(n=len(content.notes))]
    lines_by_id = {line.id: line for line in content.skp_lines}
    for note in content.notes:
        about = target_label(lines_by_id.get(note.skp_line_id or 0), note.value_code, _, 40)
        body = shorten(note.text, NOTE_LIMIT) if note.text else ""
        if note.photo_file_id:
            body = "📷 " + (body or _("photo"))
        lines.append(f"• {f'[{about}] ' if about else ''}{body}")
    return lines


def _achievement_lines(content: CardContent, _: Translate) -> list[str]:
    if not content.achievements:
        return [_("Achievements they logged: none in this period.")]
    by_id = {line.id: line for line in content.skp_lines}
    lines = [_("Achievements they logged ({n}):").format(n=len(content.achievements))]
    for item in content.achievements:
        about = target_label(by_id.get(item.skp_line_id), None, _, 40)
        evidence = item.link or (_("photo") if item.kind == "photo" else _("document"))
        lines.append(
            f"• {f'[{about}] ' if about else ''}{shorten(item.caption, NOTE_LIMIT)} ({evidence})"
        )
    return lines


def _review_lines(content: CardContent, _: Translate, language: str) -> list[str]:
    results = content.review
    if results is None:
        return [_("360°: no closed cycle about them yet.")]
    result = results.result
    others = result.groups[Group.OTHERS].items
    lines = [_("360° {cycle}, per core value (others):").format(cycle=results.cycle.name)]
    for code in result.item_codes:
        cell = others[code]
        shown = (
            figure_text(cell, _, language, result.min_raters) if isinstance(cell, Figure) else "—"
        )
        lines.append(f"• {_(results.instrument.item(code).name)}: {shown}")
    return lines


def card_text(content: CardContent, name: str, language: str) -> str:
    """The card the supervisor reads: the evidence, then the question."""
    _ = gettext_for(language)
    lines = [
        _("📋 Feedback card: {name}, period {period}").format(
            name=name, period=content.period.label
        ),
        _("Evidence for you as Pejabat Penilai Kinerja; you decide, nothing is rated for you."),
        "",
        *citizens_lines(content.citizens, _, language),
        *unit_lines(content, _, language),
        _("Praise from citizens: {n}").format(n=content.praise),
        "",
        *_notes_lines(content, _),
        *_achievement_lines(content, _),
        "",
        *_review_lines(content, _, language),
        "",
        _("SKP {year}: {n} lines.").format(year=content.period.year, n=len(content.skp_lines)),
        _(
            "Give one feedback line (Above / Meets / Below expectations) about an SKP line "
            "or a core value you choose, or skip this period (it is counted)."
        ),
    ]
    return shorten("\n".join(lines), MAX_TEXT)


def card_buttons(token: str, language: str) -> list[list[Button]]:
    _ = gettext_for(language)
    return [
        [{"text": _("Give feedback"), "callback_data": data(token, GIVE)}],
        [{"text": _("Skip this period"), "callback_data": data(token, SKIP)}],
    ]


def waiting_text(name: str, period: str, language: str) -> str:
    _ = gettext_for(language)
    return _(
        "{name} has no linked Telegram account yet, so their feedback card for {period} "
        "waits. It comes to you once they link their account (HR issues link codes with /kode)."
    ).format(name=name, period=period)


def delivered_text(
    supervisor: str, period: str, entry: FeedbackEntry, about: str, language: str
) -> str:
    """What the employee receives: the feedback line from their supervisor."""
    _ = gettext_for(language)
    lines = [
        _("💬 Feedback from {supervisor}, period {period}").format(
            supervisor=supervisor, period=period
        ),
        "",
        f"{about}: {rating_label(entry.rating, _)}",
        entry.text,
        "",
        _("After you have talked it over, press “Discussed”. You may also reply in writing."),
    ]
    return shorten("\n".join(lines), MAX_TEXT)


def delivered_buttons(token: str, language: str) -> list[list[Button]]:
    _ = gettext_for(language)
    return [
        [{"text": _("Discussed"), "callback_data": data(token, DISCUSSED)}],
        [{"text": _("Write a reply"), "callback_data": data(token, WRITE)}],
    ]


def discussed_text(name: str, period: str, day: date, language: str) -> str:
    _ = gettext_for(language)
    return _("🤝 {name} recorded the performance dialogue about period {period} on {day}.").format(
        name=name, period=period, day=format_date(day, "long", locale=babel_locale(language))
    )


def reply_text(name: str, period: str, text: str, language: str) -> str:
    _ = gettext_for(language)
    head = _("✉️ {name} replied to your feedback for period {period}:").format(
        name=name, period=period
    )
    return shorten(f"{head}\n\n{text}", MAX_TEXT)


def _entry_lines(
    entries: list[FeedbackEntry], lines: dict[int, SkpLine], _: Translate
) -> list[str]:
    return [
        f"• {target_label(lines.get(e.skp_line_id or 0), e.value_code, _, 50)}: "
        f"{rating_label(e.rating, _)} — {shorten(e.text, 300)}"
        for e in entries
    ]


def history_text(
    own: list[FeedbackCard],
    given: list[FeedbackCard],
    entries: dict[int, list[FeedbackEntry]],
    lines: dict[int, SkpLine],
    tz: tzinfo,
    language: str,
    below: Sequence[FeedbackCard] = (),
) -> str:
    """``/umpanbalik``: the feedback a person received, then (a supervisor) what they gave,
    then (a superior, when FEEDBACK_SUPERIOR_SEES_CARDS) their supervisors' teams' cards."""
    _ = gettext_for(language)
    out = [_("💬 Your feedback history")]
    if not own:
        out.append(_("No feedback cards about you yet."))
    for card in own:
        out += [
            "",
            _("Period {period}, from {supervisor}:").format(
                period=card.period, supervisor=card.supervisor.name
            ),
        ]
        out += _entry_lines(entries.get(card.id, []), lines, _) or [_status_line(card, _)]
        if card.discussed_at is not None:
            day = format_date(
                card.discussed_at.astimezone(tz).date(), "long", locale=babel_locale(language)
            )
            out.append(_("Discussed on {day}.").format(day=day))
        if card.reply:
            out.append(_("Your reply: {text}").format(text=shorten(card.reply, 300)))
    if given:
        out += ["", _("Feedback you gave as supervisor:")]
        for card in given:
            out.append(f"• {card.period} {card.employee.name}: {_status_line(card, _)}")
    if below:
        out += ["", _("Cards in the teams of the supervisors you lead:")]
        for card in below:
            out.append(
                f"• {card.period} {card.employee.name} ({card.supervisor.name}): "
                f"{_status_line(card, _)}"
            )
            out += [f"  {line}" for line in _entry_lines(entries.get(card.id, []), lines, _)]
    return shorten("\n".join(out), MAX_TEXT)


def _status_line(card: FeedbackCard, _: Translate) -> str:
    return {
        "waiting": _("waiting for a linked account"),
        "open": _("no feedback yet"),
        "given": _("feedback given"),
        "skipped": _("skipped"),
    }[card.status]


def own_citizens_text(citizens: Citizens, period: str, language: str) -> str:
    """The officer's own monthly card: what citizens said about their service."""
    _ = gettext_for(language)
    lines = [
        _("🧾 What citizens said about your service, period {period}").format(period=period),
        "",
    ]
    lines += citizens_lines(citizens, _, language)
    return shorten("\n".join(lines), MAX_TEXT)
