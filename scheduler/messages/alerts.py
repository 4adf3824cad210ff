"""The texts and buttons of a low-score alert and of the "Balas" relay, in the reader's language.

An alert shows one recipient the service and unit, the officer named by the QR
code if any, the submission time, why it alerts, the nine answers (unsur name
and option label), the comment (masked when stored, masked again here) and
whether the citizen agreed to be contacted. Nothing that identifies the
citizen: no chat id, no pseudonym, no profile answers. The relay texts name
the unit to the citizen and "the citizen" to the unit, never a person.

Callback data: ``al:<alert token>:<action>`` (≤ 64 bytes; the token is 12
characters), answered by ``handlers/alerts.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from babel.numbers import format_decimal

from bot.core.clock import babel_locale, format_moment
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.messages.limits import shorten
from scheduler.scoring import skm
from scheduler.scoring.alert_rules import (
    REASON_COMMENT,
    REASON_LEVY,
    REASON_LOW_MEAN,
    REASON_UNSUR_1,
    mean_of,
)
from scheduler.scoring.skm_instrument import UNSUR
from storage.masking import clean_text, mask_personal_data
from storage.outbox import MAX_TEXT
from storage.survey_alerts import AlertCase
from storage.survey_models import SurveyResponse

CALLBACK_PREFIX = "al"
REPLY = "reply"  # a head or admin answers the citizen
ANSWER = "answer"  # the citizen answers the head's reply, once
CANCEL = "cancel"  # leave the typing step
SEND = "send"  # send the typed message shown in the preview (al:<token>:send:<nonce>)

# Room kept for the other lines when a long comment is shortened to fit a message.
COMMENT_ROOM = 3000


def callback(token: str, action: str) -> str:
    return f"{CALLBACK_PREFIX}:{token}:{action}"


def decimal_text(value: Fraction | float, language: str) -> str:
    """Half-up to two decimals, with the locale's decimal sign (2,00 / 2.00)."""
    shown = skm.round_half_up(value if isinstance(value, Fraction) else Fraction(str(value)), 2)
    return format_decimal(shown, format="0.00", locale=babel_locale(language))


def reason_lines(
    reasons: Sequence[str], response: SurveyResponse, settings: Settings, language: str
) -> list[str]:
    """One line per reason, in ``language``."""
    _ = gettext_for(language)
    lines = []
    answers = response.answers()
    for reason in reasons:
        if reason == REASON_LOW_MEAN:
            mean = mean_of(answers) or Fraction(0)
            lines.append(
                _("Average score {mean} (alert at {threshold} or below)").format(
                    mean=decimal_text(mean, language),
                    threshold=decimal_text(settings.low_score_threshold, language),
                )
            )
        elif reason == REASON_UNSUR_1:
            names = [_(u.name) for u in UNSUR if answers.get(u.code) == 1]
            lines.append(_("Worst answer (1) on: {unsur}").format(unsur=", ".join(names)))
        elif reason == REASON_LEVY:
            u4 = UNSUR[3]
            score = answers.get("U4") or 0
            label = _(u4.options[score - 1]) if score in (1, 2, 3) else "-"
            lines.append(
                _(
                    "Possible illegal levy, please check: this service is free of charge, "
                    'but the citizen answered the cost question with "{answer}".'
                ).format(answer=label)
            )
        elif reason == REASON_COMMENT:
            lines.append(_("The citizen left a suggestion or complaint."))
    return lines


def alert_text(
    response: SurveyResponse,
    reasons: Sequence[str],
    settings: Settings,
    language: str,
    case_line: str | None = None,
) -> str:
    """The alert as one recipient reads it; never anything that identifies the citizen.

    With ``case_line`` (the case it opened: owner and target) it is a case alert;
    without, a note about a comment on an otherwise good survey."""
    _ = gettext_for(language)
    service = response.service
    title = (
        _("⚠️ Citizen feedback needs attention")
        if case_line is not None
        else _("💬 A citizen left a suggestion or complaint")
    )
    lines = [
        title,
        "",
        _("Service: {service}").format(service=service.name),
        _("Unit: {unit}").format(unit=service.unit.name),
    ]
    if response.employee is not None:
        lines.append(_("Officer named by the QR code: {name}").format(name=response.employee.name))
    if response.submitted_at is not None:
        lines.append(
            _("Submitted: {when}").format(
                when=format_moment(response.submitted_at, settings.tz, language)
            )
        )
    lines += ["", _("Why you get this alert:")]
    lines += [f"• {line}" for line in reason_lines(reasons, response, settings, language)]
    lines += ["", _("The answers:")]
    for unsur in UNSUR:
        score = getattr(response, unsur.code.lower())
        label = _(unsur.options[score - 1]) if score in (1, 2, 3, 4) else "-"
        mark = " ❗" if score == 1 else ""
        lines.append(f"• {_(unsur.name)}: {label} ({score if score else '-'}){mark}")
    if response.contact_ok and response.contact_chat_id is not None:
        footer = _(
            "The citizen agreed to be contacted. Press Reply to answer through the bot: "
            "the citizen sees the service unit, not your name, and you do not see their "
            "account."
        )
    else:
        footer = _("The citizen did not ask to be contacted.")
    comment = mask_personal_data(clean_text(response.comment or ""))
    if comment:
        head = "\n".join(lines)
        room = MAX_TEXT - len(head) - len(footer) - len(case_line or "") - 200
        comment_line = _("Suggestion or complaint (contact details hidden): {comment}").format(
            comment=shorten(comment, max(min(room, COMMENT_ROOM), 100))
        )
        lines += ["", comment_line]
    if case_line is not None:
        lines += ["", case_line]
    lines += ["", footer]
    return shorten("\n".join(lines), MAX_TEXT)


def alert_buttons(
    token: str, language: str, *, reply: bool = True, case_button: dict[str, str] | None = None
) -> list[list[dict[str, str]]]:
    """Reply (when the citizen may be contacted) and Open the case (when one was opened)."""
    _ = gettext_for(language)
    row = [{"text": _("Reply"), "callback_data": callback(token, REPLY)}] if reply else []
    if case_button is not None:
        row.append(case_button)
    return [row] if row else []


# -- the relay ---------------------------------------------------------------------------


def relay_to_citizen_text(case: AlertCase, text: str, settings: Settings) -> str:
    _ = gettext_for(case.citizen_language)
    when = (
        format_moment(case.submitted_at, settings.tz, case.citizen_language)
        if case.submitted_at is not None
        else "-"
    )
    lead = _("A reply from {unit} about your feedback on {service} ({when}):").format(
        unit=case.unit_name, service=case.service_name, when=when
    )
    return shorten(f"{lead}\n\n{text}", MAX_TEXT)


def citizen_answer_buttons(case: AlertCase) -> list[list[dict[str, str]]]:
    _ = gettext_for(case.citizen_language)
    return [[{"text": _("Reply"), "callback_data": callback(case.token, ANSWER)}]]


def relay_to_head_text(case: AlertCase, text: str, language: str) -> str:
    _ = gettext_for(language)
    lead = _("The citizen answered your reply about {service} ({unit}):").format(
        service=case.service_name, unit=case.unit_name
    )
    return shorten(f"{lead}\n\n{text}", MAX_TEXT)
