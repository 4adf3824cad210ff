"""Texts of the follow-up plans (RTL): lines as people read them, the head's verification
request, the owner's reminders and verdicts, the escalation, the overdue lines of the weekly
digest, the citizens' "Anda bilang, kami lakukan", and a plan's outcome at the next period.

Statuses keep the plan's Indonesian terms (belum mulai, berjalan, selesai,
batal) in Indonesian and are translated for English readers. NRR are shown
with two decimals (half-up); the change of an NRR is the difference of the
two values as printed, so the numbers shown add up ("U3 naik 0,21; n 402 → 388").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from babel.numbers import format_decimal

from bot.core.clock import babel_locale, format_day
from bot.core.i18n import N_, Translate, gettext_for
from scheduler.messages.limits import shorten
from scheduler.scoring.skm import round_half_up
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from storage.outbox import Button
from storage.rtl import LineView, Outcome, PlanOutcome
from storage.rtl_models import CANCELLED, DONE, IN_PROGRESS, NOT_STARTED

STATUS_LABELS: dict[str, str] = {
    NOT_STARTED: N_("not started"),
    IN_PROGRESS: N_("in progress"),
    DONE: N_("done"),
    CANCELLED: N_("called off"),
}
ACTIVITY_SHOWN = 160


def status_label(status: str, _: Translate) -> str:
    return _(STATUS_LABELS.get(status, status))


def unsur_label(code: str, _: Translate) -> str:
    unsur = UNSUR_BY_CODE.get(code)
    return f"{code} {_(unsur.name)}" if unsur else code


def nrr_text(value: Fraction | Decimal, language: str) -> str:
    return format_decimal(round_half_up(value, 2), format="0.00", locale=babel_locale(language))


def due_text(line: LineView, language: str) -> str:
    _ = gettext_for(language)
    if line.due_label:
        return line.due_label
    if line.due_date:
        return format_day(line.due_date, language)
    return _("no target date")


def line_text(line: LineView, language: str, number: int | None = None) -> str:
    """One line as the head and the owner see it (several lines, no buttons)."""
    _ = gettext_for(language)
    head = f"{number}. " if number is not None else ""
    status = status_label(line.status, _)
    if line.verified_at is not None:
        status += " ✓ " + _("verified")
    elif line.awaiting_verification:
        status += " · " + _("awaiting verification")
    parts = [
        f"{head}{unsur_label(line.unsur, _)}",
        _("Activity: {activity}").format(
            activity=shorten(line.activity, ACTIVITY_SHOWN) if line.activity else "—"
        ),
        _("Person responsible: {owner}").format(owner=line.owner_name or "—"),
        _("Target date: {due}").format(due=due_text(line, language)),
        _("Target: {target}").format(target=line.target or "—"),
        _("Status: {status}").format(status=status),
    ]
    if line.status == CANCELLED and line.status_reason:
        parts.append(_("Reason: {reason}").format(reason=line.status_reason))
    if line.returned_note and line.verified_at is None:
        parts.append(_("Sent back: {note}").format(note=line.returned_note))
    if line.evidence:
        parts.append(_("Evidence: {count} file(s)").format(count=line.evidence))
    return "\n".join(parts)


def verify_request(line: LineView, language: str) -> tuple[str, list[list[Button]]]:
    """To the head: the owner marked a line selesai; a button opens the verification."""
    _ = gettext_for(language)
    text = _("✅ A follow-up line is marked done and waits for your verification.") + "\n\n"
    text += line_text(line, language)
    buttons = [[{"text": _("Verify…"), "callback_data": f"rl:v:{line.id}"}]]
    return shorten(text, 4000), buttons


def verdict(line: LineView, language: str, *, accepted: bool) -> str:
    _ = gettext_for(language)
    if accepted:
        lead = _("✅ Your follow-up line was verified as done. Thank you!")
    else:
        lead = _("↩️ Your follow-up line was sent back by the head: {note}").format(
            note=line.returned_note or "—"
        )
    return f"{lead}\n\n{line_text(line, language)}\n\n" + _("Your lines: /tugas")


def reminder(line: LineView, days_left: int, language: str) -> str:
    _ = gettext_for(language)
    lead = _("⏰ A follow-up line you are responsible for is due in {days} days.").format(
        days=days_left
    )
    return f"{lead}\n\n{line_text(line, language)}\n\n" + _(
        "Set its status and send evidence with /tugas."
    )


def open_button(line: LineView, language: str) -> list[list[Button]]:
    """The reminder's button: the line in /tugas."""
    _ = gettext_for(language)
    return [[{"text": _("Open the line"), "callback_data": f"rl:t:{line.id}"}]]


def escalation(line: LineView, days_late: int, language: str) -> str:
    _ = gettext_for(language)
    lead = _("⚠️ A follow-up line of {unit} is {days} days past its target date.").format(
        unit=line.unit_name, days=days_late
    )
    return f"{lead}\n\n{line_text(line, language)}"


def overdue_section(lines: list[LineView], today: date, language: str) -> str:
    """The weekly digest's part about the unit's overdue follow-up lines ("" without)."""
    if not lines:
        return ""
    _ = gettext_for(language)
    rows = [_("Follow-up lines past their target date:")]
    for line in lines:
        late = (today - line.due_date).days if line.due_date else 0
        rows.append(
            "• "
            + _("{unsur}: {activity} ({owner}), {days} days late").format(
                unsur=line.unsur,
                activity=shorten(line.activity or "—", 60),
                owner=line.owner_name or "—",
                days=late,
            )
        )
    return "\n".join(rows)


def you_said_we_did(line: LineView, language: str) -> str:
    """To a citizen who rated the line's unsur low and agreed to be contacted."""
    _ = gettext_for(language)
    unsur = UNSUR_BY_CODE.get(line.unsur)
    return shorten(
        _(
            "📣 You said, we did\n\n"
            "In {period} you rated “{unsur}” of {unit} low. Thank you for telling us.\n"
            "What we did: {activity}\n\n"
            "You receive this because you agreed to be contacted about your feedback. "
            "/hapusdata deletes your data."
        ).format(
            period=line.period_name,
            unsur=_(unsur.name) if unsur else line.unsur,
            unit=line.unit_name,
            activity=shorten(line.activity, 500),
        ),
        4000,
    )


def change_text(outcome: Outcome, language: str) -> str:
    """ "U3 naik 0,21; n 402 → 388" (or "U3: no figures" when one side has none)."""
    _ = gettext_for(language)
    code = outcome.line.unsur
    if outcome.before is None or outcome.after is None:
        return _("{unsur}: no figures to compare (n {before} → {after})").format(
            unsur=code, before=outcome.n_before, after=outcome.n_after
        )
    delta = round_half_up(outcome.after, 2) - round_half_up(outcome.before, 2)
    amount = nrr_text(abs(delta), language)
    if delta > 0:
        words = _("{unsur} up {amount}").format(unsur=code, amount=amount)
    elif delta < 0:
        words = _("{unsur} down {amount}").format(unsur=code, amount=amount)
    else:
        words = _("{unsur} unchanged").format(unsur=code)
    return f"{words}; n {outcome.n_before} → {outcome.n_after}"


def outcome_text(result: PlanOutcome, language: str) -> str:
    """Each line of the previous plan: final status and its unsur's NRR change."""
    _ = gettext_for(language)
    rows = [_("Follow-up of the plan of {period}:").format(period=result.previous.name)]
    if not result.lines:
        rows.append(_("(the plan had no lines)"))
    for number, item in enumerate(result.lines, start=1):
        line = item.line
        status = status_label(line.status, _)
        if line.status == DONE:
            status += " ✓" if line.verified_at else " (" + _("not verified") + ")"
        what = shorten(line.activity, 80) if line.activity else unsur_label(line.unsur, _)
        rows.append(f"{number}. {what} — {status}. " + change_text(item, language))
    return "\n".join(rows)
