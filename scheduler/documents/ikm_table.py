"""The IKM report as plain text for the operator's terminal.

A short dispatcher over one function per section: the header (scope, period,
sample), the unsur table with IKM, konversi and mutu, the services, the
respondent profile and the comment count. Labels come from the Indonesian
catalog through `ikm_labels`.
"""

from __future__ import annotations

from scheduler.documents.ikm_labels import (
    REGULATION,
    _,
    dec,
    mutu_text,
    period_text,
    profile_keys,
    profile_label,
    sample_text,
    unit_text,
    unsur_name,
    weakest_text,
)
from scheduler.documents.text_table import aligned
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import PROFILE_TITLES, UNSUR_BY_CODE
from storage.ikm_report import PROFILE_FIELDS, IkmReport

FIELD = 14  # "Unit          : …"
FIGURE = 19  # "IKM konversi       : …"


def render_table(report: IkmReport) -> str:
    title = _("Community Satisfaction Index (IKM) report — {regulation}")
    out = [title.format(regulation=REGULATION), ""]
    for section in (_scope, _scores, _services, _profile):
        out += section(report)
    count = _("{count} (full text: --format json or xlsx)").format(count=report.overall.comments)
    out += ["", _field(_("Comments"), count)]
    return "\n".join(out) + "\n"


def _field(label: str, value: str, width: int = FIELD) -> str:
    return f"{label.ljust(width)}: {value}"


def _scope(report: IkmReport) -> list[str]:
    """Unit, service, officer, period, respondents and the sample check."""
    out = [_field(_("Unit"), unit_text(report))]
    if report.unit and report.unit.sub_units:
        subs = ", ".join(code for code, _name in report.unit.sub_units)
        out.append("  " + _("including sub-units: {codes}").format(codes=subs))
    if report.service:
        out.append(_field(_("Service"), f"{report.service[0]} — {report.service[1]}"))
    if report.employee:
        out.append(_field(_("Officer (NIP)"), f"{report.employee[0]} — {report.employee[1]}"))
        about = ", ".join(u.code for u in UNSUR_BY_CODE.values() if u.about_officer)
        note = _("unsur about the officer: {codes}; the other unsur are about the service")
        out.append("  " + note.format(codes=about))
    out.append(_field(_("Period"), period_text(report)))
    out.append(_field(_("Respondents (n)"), str(report.overall.n)))
    if report.sample:
        s = report.sample
        short = _("NOT met ({short} short)").format(short=s.minimum - s.respondents)
        out.append(_field(_("Sample"), sample_text(report)))
        out.append(" " * (FIELD + 2) + "→ " + (_("met") if s.sufficient else short))
    return [*out, ""]


def _scores(report: IkmReport) -> list[str]:
    """Sum, NRR and weighted NRR per unsur, then IKM, konversi, mutu and the weakest."""
    overall = report.overall
    result = overall.result
    if result is None:
        return [_("No respondents for this period and these filters yet.")]
    table = [
        [
            code,
            unsur_name(code),
            str(result.sums[code]),
            str(dec(result.nrr[code], 4)),
            str(dec(result.nrr_weighted[code], 4)),
        ]
        for code in skm.UNSUR_CODES
    ]
    headers = [_("Code"), _("Unsur"), _("Total"), _("NRR"), _("Weighted NRR")]
    return [
        *aligned(headers, table, {2, 3, 4}),
        "",
        _field(_("IKM (1–4)"), str(dec(result.ikm, 4)), FIGURE),
        _field(_("IKM converted"), str(result.konversi_rounded), FIGURE),
        _field(_("Service quality"), mutu_text(overall), FIGURE),
        _field(_("Weakest unsur"), weakest_text(overall), FIGURE),
    ]


def _services(report: IkmReport) -> list[str]:
    table = [
        [
            s.code,
            s.name,
            s.unit_code,
            str(s.group.n),
            str(dec(s.group.result.ikm, 4)) if s.group.result else "-",
            str(s.group.result.konversi_rounded) if s.group.result else "-",
            mutu_text(s.group),
            ", ".join(s.group.result.weakest) if s.group.result else "-",
        ]
        for s in report.services
    ]
    headers = [
        _("Code"),
        _("Service"),
        _("Unit"),
        "n",
        _("IKM"),
        _("Converted"),
        _("Quality"),
        _("Weakest"),
    ]
    return ["", _("Per service"), *aligned(headers, table, {3, 4, 5})]


def _profile(report: IkmReport) -> list[str]:
    out = ["", _("Respondent profile")]
    for name in PROFILE_FIELDS:
        counts = report.overall.profile[name]
        parts = [
            f"{profile_label(name, key)} {counts.get(key, 0)}" for key in profile_keys(name, counts)
        ]
        out.append(f"  {_(PROFILE_TITLES[name])}: " + " · ".join(parts))
    return out
