"""Texts of an SKM period in Telegram: the head's close message, the figures per service,
the approval's confirmation and result, the reminder and the escalation, and ``/periode``.

Every figure is read from a snapshot (`scheduler.documents.period_snapshot`: the draft cut
at the close, or a frozen version), never from live rows, so what a head is shown is
what the confirmation binds to. IKM konversi and NRR are printed with two decimals
(half-up, the regulation's rounding); the change from the previous period is the
difference of the two konversi as printed, so the numbers shown add up.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from bot.core.clock import babel_locale, format_day
from bot.core.i18n import Translate, gettext_for
from scheduler.documents import period_snapshot as snap
from scheduler.messages.limits import shorten
from scheduler.period_overview import AWAITING, NOT_CUT, RUNNING, UnitOverview
from scheduler.periods import Correction
from scheduler.scoring.skm import round_half_up
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from storage.outbox import Button

Figures = dict[str, Any]
SERVICE_NAME_SHOWN = 60


def number(value: Decimal | float, places: int, language: str) -> str:
    pattern = "0." + "0" * places if places else "0"
    rounded = round_half_up(Decimal(str(value)), places)
    return format_decimal(rounded, format=pattern, locale=babel_locale(language))


def unsur_label(code: str, _: Translate) -> str:
    unsur = UNSUR_BY_CODE.get(code)
    return f"{code} {_(unsur.name)}" if unsur else code


def headline(group: dict[str, Any], language: str) -> str | None:
    """ "IKM 87,04 (B, Baik)" of a snapshot group; None without respondents."""
    _ = gettext_for(language)
    result = snap.group_result(group)
    if result is None:
        return None
    return _("IKM {konversi} (mutu {mutu}, {label})").format(
        konversi=number(result.konversi_rounded, 2, language),
        mutu=result.mutu.code,
        label=result.mutu.label(language),
    )


def sample_line(figures: Figures, language: str) -> str:
    """n against the Krejcie–Morgan minimum (or that no population was given)."""
    _ = gettext_for(language)
    n = int(figures["overall"]["respondents"])
    sample = figures.get("sample")
    if sample is None:
        return _("Respondents: n {n} (no population given, so no minimum sample)").format(n=n)
    if sample["sufficient"]:
        verdict = _("minimum reached")
    else:
        verdict = _("minimum NOT reached")
    return _(
        "Respondents: n {n} of a minimum {minimum} (Krejcie–Morgan, population {population}): "
        "{verdict}"
    ).format(n=n, minimum=sample["minimum"], population=sample["population"], verdict=verdict)


def weakest_lines(figures: Figures, language: str) -> list[str]:
    _ = gettext_for(language)
    result = snap.group_result(figures["overall"])
    if result is None or not figures.get("weakest_three"):
        return []
    lines = [_("The three weakest unsur:")]
    for item in figures["weakest_three"]:
        code = item["code"]
        lines.append(
            "• "
            + _("{unsur}: NRR {nrr}").format(
                unsur=unsur_label(code, _),
                nrr=number(round_half_up(result.nrr[code], 2), 2, language),
            )
        )
    return lines


def previous_line(figures: Figures, language: str) -> str:
    """The change from the period before (its latest version where one exists)."""
    _ = gettext_for(language)
    previous = figures.get("previous")
    result = snap.group_result(figures["overall"])
    if not previous or previous.get("konversi") is None or result is None:
        return _("Previous period: no figures to compare with.")
    before = round_half_up(Decimal(str(previous["konversi"])), 2)
    change = result.konversi_rounded - before
    sign = "+" if change > 0 else ("±" if change == 0 else "−")
    name = previous.get("name") or "{first} – {last}".format(
        first=previous["from"], last=previous["to"]
    )
    return _("Previous period ({name}): IKM {before} → {now} ({sign}{change})").format(
        name=name,
        before=number(before, 2, language),
        now=number(result.konversi_rounded, 2, language),
        sign=sign,
        change=number(abs(change), 2, language),
    )


def levy_line(figures: Figures, language: str) -> str:
    _ = gettext_for(language)
    return _("Possible illegal levies (pungli) at free services: {count}").format(
        count=int(figures.get("levy_signals") or 0)
    )


def summary_lines(figures: Figures, language: str) -> list[str]:
    """IKM, n against the minimum, the weakest unsur, the change, the levy signals."""
    _ = gettext_for(language)
    shown = headline(figures["overall"], language)
    lines = [shown or _("No respondents in this period."), sample_line(figures, language)]
    lines += weakest_lines(figures, language)
    lines += [previous_line(figures, language), levy_line(figures, language)]
    return lines


def title(figures: Figures) -> str:
    return f"{figures['unit']['name']} · {figures['period']['name']}"


def close_message(figures: Figures, outcome: str | None, language: str) -> str:
    """The head's message on the first working day after the period ended."""
    _ = gettext_for(language)
    period = figures["period"]
    head = _("📊 The SKM period {period} ({first} – {last}) has ended. Results of {unit}:").format(
        period=period["name"],
        first=format_day(snap_day(period["from"]), language),
        last=format_day(snap_day(period["to"]), language),
        unit=figures["unit"]["name"],
    )
    parts = [head, "", *summary_lines(figures, language)]
    if outcome:
        parts += ["", outcome]
    parts += [
        "",
        _(
            "Please check the figures. “Approve & publish” freezes exactly these figures as "
            "version 1 and announces them."
        ),
    ]
    return "\n".join(parts)


def snap_day(text: str) -> date:
    return date.fromisoformat(text)


def close_buttons(
    period_id: int, unit_id: int, language: str, *, with_plan: bool
) -> list[list[Button]]:
    """Per layanan, Setujui & umumkan, and for a head Susun RTL (``/rtl`` of the period)."""
    rows = approve_buttons(period_id, unit_id, language)
    if with_plan:
        _ = gettext_for(language)
        rows.append(
            [{"text": _("Start the plan"), "callback_data": f"rl:p:{unit_id}:{period_id}:n"}]
        )
    return rows


def services_text(figures: Figures, language: str) -> str:
    """One block per service: n (against its minimum), IKM, weakest unsur, levies."""
    _ = gettext_for(language)
    parts = [_("Per service — {title}").format(title=title(figures))]
    for service in figures["services"]:
        name = shorten(service["name"], SERVICE_NAME_SHOWN)
        shown = headline(service, language) or _("no respondents")
        line = f"\n{name} ({service['unit_code']})\n{shown}, n {service['respondents']}"
        sample = service.get("sample")
        if sample is not None and not sample["sufficient"]:
            line += " · " + _("sample below the minimum {minimum}").format(
                minimum=sample["minimum"]
            )
        if service["weakest"]:
            line += "\n" + _("Weakest: {codes}").format(codes=", ".join(service["weakest"]))
        if service["free"] and service["levy_signals"]:
            line += "\n" + _("Possible illegal levies: {count}").format(
                count=service["levy_signals"]
            )
        parts.append(line)
    return "\n".join(parts)


def confirm_text(figures: Figures, language: str) -> str:
    _ = gettext_for(language)
    shown = headline(figures["overall"], language) or _("No respondents in this period.")
    return "\n".join(
        [
            _("Approve and publish {title}?").format(title=title(figures)),
            "",
            shown,
            _("n {n}").format(n=figures["overall"]["respondents"]),
            "",
            _(
                "These figures become version 1: frozen, used for the report and announced on "
                "the unit's channel. Later changes can only be published as a correction."
            ),
        ]
    )


def confirm_buttons(nonce: str, language: str) -> list[list[Button]]:
    _ = gettext_for(language)
    return [
        [{"text": _("Yes, approve & publish"), "callback_data": f"pd:y:{nonce}"}],
        [{"text": _("Cancel"), "callback_data": f"pd:n:{nonce}"}],
    ]


def approved_text(figures: Figures, version: int, language: str) -> str:
    _ = gettext_for(language)
    shown = headline(figures["overall"], language) or _("No respondents in this period.")
    return _("Approved: {title}, version {version}, frozen. {figures}, n {n}.").format(
        title=title(figures), version=version, figures=shown, n=figures["overall"]["respondents"]
    )


def already_approved(version: int, language: str) -> str:
    _ = gettext_for(language)
    return _(
        "Already approved (version {version}). Changes since then are published as a "
        "correction in /periode."
    ).format(version=version)


def reminder(figures: Figures, working_days: int, language: str) -> str:
    _ = gettext_for(language)
    lead = _(
        "⏰ Reminder: the SKM results of {title} are still waiting for your approval, "
        "{days} working days after the period ended."
    ).format(title=title(figures), days=working_days)
    return "\n".join([lead, "", *summary_lines(figures, language)])


def approve_buttons(period_id: int, unit_id: int, language: str) -> list[list[Button]]:
    _ = gettext_for(language)
    return [
        [
            {"text": _("Per service"), "callback_data": f"pd:s:{period_id}:{unit_id}"},
            {"text": _("Approve & publish"), "callback_data": f"pd:a:{period_id}:{unit_id}"},
        ]
    ]


def escalation(figures: Figures, working_days: int, head_known: bool, language: str) -> str:
    _ = gettext_for(language)
    lead = _(
        "⚠️ The SKM results of {title} have not been approved {days} working days after the "
        "period ended."
    ).format(title=title(figures), days=working_days)
    if head_known:
        tail = _("The unit head was asked and reminded. Please follow it up.")
    else:
        tail = _("The unit has no linked head; its admins were asked. Please follow it up.")
    shown = headline(figures["overall"], language) or _("No respondents in this period.")
    return "\n".join([lead, shown, "", tail])


# -- /periode ---------------------------------------------------------------------------------


def konversi_of(group: dict[str, Any], language: str) -> str:
    result = snap.group_result(group)
    return number(result.konversi_rounded, 2, language) if result else "—"


def konversi_value(value: float | None, language: str) -> str:
    return "—" if value is None else number(value, 2, language)


def correction_effect(correction: Correction, language: str) -> str:
    """ "1 masuk, 1 keluar; n 3 → 2; IKM 84,26 → 83,10" of a pending correction."""
    _ = gettext_for(language)
    before, after = correction.respondents()
    k_before, k_after = correction.konversi()
    return _(
        "{entered} entered, {left} left; n {before} → {after}; IKM {k_before} → {k_after}"
    ).format(
        entered=correction.entered,
        left=correction.left,
        before=before,
        after=after,
        k_before=konversi_value(k_before, language),
        k_after=konversi_value(k_after, language),
    )


def status_text(unit: UnitOverview, language: str) -> str:
    """open / waiting for the close / waiting for approval / approved vN (+ a correction)."""
    _ = gettext_for(language)
    if unit.state == RUNNING:
        return _("open")
    if unit.state == NOT_CUT:
        return _("ended, not closed yet")
    if unit.state == AWAITING:
        return _("waiting for approval")
    text = _("approved v{version}").format(version=unit.version)
    if unit.early:
        text += " " + _("(early)")
    if unit.pending is not None:
        text += "; " + _("pending correction: {effect}").format(
            effect=correction_effect(unit.pending, language)
        )
    return text


def list_text(unit_name: str, entries: list[tuple[str, UnitOverview]], language: str) -> str:
    _ = gettext_for(language)
    if not entries:
        return _("No SKM period covers {unit} yet.").format(unit=unit_name)
    lines = [_("SKM periods of {unit}:").format(unit=unit_name), ""]
    lines += [f"• {name}: {status_text(unit, language)}" for name, unit in entries]
    return "\n".join(lines)


def versions_lines(unit: UnitOverview, tz: Any, language: str) -> list[str]:
    _ = gettext_for(language)
    lines = []
    for version in unit.versions:
        day = format_day(version.published_at.astimezone(tz).date(), language)
        line = _("v{version} published {day}").format(version=version.version, day=day)
        if version.early:
            line += " " + _("(early)")
        for change in json.loads(version.changes or "[]"):
            line += "; " + _(
                "corrects v{old}: n {before} → {after}; IKM {k_before} → {k_after}"
            ).format(
                old=change["from_version"],
                before=change["respondents"][0],
                after=change["respondents"][1],
                k_before=konversi_value(change["konversi"][0], language),
                k_after=konversi_value(change["konversi"][1], language),
            )
        lines.append("• " + line)
    return lines


def period_view(period_name: str, unit: UnitOverview, tz: Any, language: str) -> str:
    """One unit's period: status, its figures (as shown to be approved, or frozen), the
    versions with their change logs, and a pending correction."""
    _ = gettext_for(language)
    parts = [
        f"{unit.unit.name} · {period_name}",
        _("Status: {status}").format(status=status_text(unit, language)),
        "",
        *summary_lines(unit.figures, language),
    ]
    if unit.state in (RUNNING, NOT_CUT):
        parts += ["", _("These are the figures so far; they are cut at the close.")]
    if unit.versions:
        parts += ["", _("Versions:"), *versions_lines(unit, tz, language)]
    if unit.pending is not None:
        parts += ["", *correction_lines(unit.pending, language)]
    return "\n".join(parts)


def correction_lines(correction: Correction, language: str) -> list[str]:
    """The change log a correction would publish: overall, then per service."""
    _ = gettext_for(language)
    lines = [
        _("Pending correction of v{version}: {effect}").format(
            version=correction.version, effect=correction_effect(correction, language)
        )
    ]
    for change in correction.services:
        lines.append(
            "• "
            + _(
                "{service}: {entered} entered, {left} left; n {before} → {after}; "
                "IKM {k_before} → {k_after}"
            ).format(
                service=shorten(change.name, SERVICE_NAME_SHOWN),
                entered=change.entered,
                left=change.left,
                before=change.respondents[0],
                after=change.respondents[1],
                k_before=konversi_value(change.konversi[0], language),
                k_after=konversi_value(change.konversi[1], language),
            )
        )
    return lines


def correction_confirm(title_text: str, correction: Correction, language: str) -> str:
    _ = gettext_for(language)
    return "\n".join(
        [
            _("Publish version {version} of {title}?").format(
                version=correction.version + 1, title=title_text
            ),
            "",
            *correction_lines(correction, language),
            "",
            _(
                "Version {old} stays readable; the report, the public page and the channel "
                "use version {new} from now on."
            ).format(old=correction.version, new=correction.version + 1),
        ]
    )


def correction_published(title_text: str, version: int, language: str) -> str:
    _ = gettext_for(language)
    return _("Published: version {version} of {title}.").format(version=version, title=title_text)
