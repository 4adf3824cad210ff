"""The 360° report as plain text for the operator's terminal.

A short dispatcher over one function per section: the title and legend, one
block per ratee (figures by group, the gap, recommendation, decision, hasil
kerja, predikat, released comments), the unit summaries and, for admins, the
rater patterns. Labels come from the Indonesian catalog through `review_labels`.
"""

from __future__ import annotations

from scheduler.documents.review_labels import (
    ATTRIBUTED,
    GROUPS,
    _,
    cell_text,
    comment_lines,
    expectation_text,
    gap_text,
    group_label,
    item_name,
    pattern_lines,
    predikat_text,
    recommendation_text,
)
from scheduler.documents.review_report import ReviewReport
from scheduler.documents.text_table import aligned
from storage.review_results import RateeResults


def render_table(report: ReviewReport) -> str:
    out = _title(report)
    for item in report.ratees:
        out += ["", *_ratee_block(item, report.min_raters)]
    if report.units and report.instrument:
        out += ["", *_unit_lines(report)]
    if report.patterns is not None:
        out += ["", *pattern_lines(report.patterns)]
    return "\n".join(out) + "\n"


def _title(report: ReviewReport) -> list[str]:
    """The cycle, the legend of suppressed figures, the filters and the ratee count."""
    cycle = report.cycle
    closed = cycle.closed_at.date().isoformat() if cycle.closed_at else "-"
    title = _("360° BerAKHLAK feedback report — cycle “{name}” (closed {closed})")
    legend = _(
        "Minimum anonymous raters: {m}. Figures = mean (n = number of raters). "
        "Not shown: '-' no scores, '<{m}' fewer than the minimum, "
        "'x' hidden so that a small group is not revealed."
    )
    filters = []
    if report.employee_nip:
        filters.append(_("employee NIP {nip}").format(nip=report.employee_nip))
    if report.unit_code:
        filters.append(_("unit {code} and its sub-units").format(code=report.unit_code))
    chosen = "; ".join(filters) if filters else _("all rated employees")
    return [
        title.format(name=cycle.name, closed=closed),
        legend.format(m=report.min_raters),
        _("Filter: {filters}").format(filters=chosen),
        _("Rated employees: {count}").format(count=len(report.ratees)),
    ]


def _ratee_block(item: RateeResults, m: int) -> list[str]:
    ratee = item.ratee
    received = f"{item.received.submitted}/{item.received.total}"
    out = [
        f"{ratee.name} (NIP {ratee.nip}) — {ratee.unit_code} {ratee.unit_name}",
        f"  {_('Reviews received')}: {received}",
    ]
    out += ["  " + line for line in _figures(item, m)]
    out.append(f"  {_('Recommended perilaku kerja')}: {recommendation_text(item)}")
    if item.decision:
        kind = _("overrides") if item.decision.is_override else _("confirms")
        label = _("Supervisor's decision ({kind})").format(kind=kind)
        out.append(f"  {label}: {expectation_text(item.decision.decided)}")
    out.append(f"  {_('Work results (supervisor)')}: {expectation_text(item.hasil_kerja)}")
    out.append(f"  {_('Performance rating')}: {predikat_text(item)}")
    return out + comment_lines(item)


def _figures(item: RateeResults, m: int) -> list[str]:
    """Each core value and the overall figure per group, with the self − others gap."""
    result = item.result
    headers = [_("Code"), _("Core value"), *(group_label(g) for g in GROUPS), _("Gap")]
    rows = [
        [
            code,
            item_name(item.instrument, code),
            *(
                cell_text(result.groups[g].items[code], m, with_n=g not in ATTRIBUTED)
                for g in GROUPS
            ),
            gap_text(result.gaps[code]),
        ]
        for code in result.item_codes
    ]
    rows.append(
        [
            "",
            _("Overall"),
            *(cell_text(result.groups[g].overall, m, with_n=g not in ATTRIBUTED) for g in GROUPS),
            gap_text(result.overall_gap),
        ]
    )
    return aligned(headers, rows, {2, 3, 4, 5, 6})


def _unit_lines(report: ReviewReport) -> list[str]:
    assert report.instrument is not None
    m = report.min_raters
    codes = report.instrument.item_codes
    rows = [
        [
            unit.unit_code,
            unit.unit_name,
            str(unit.ratees),
            cell_text(unit.overall, m),
            *(cell_text(unit.items[c], m) for c in codes),
        ]
        for unit in report.units
    ]
    headers = [_("Unit"), _("Name"), _("Rated"), _("Overall"), *codes]
    title = _("Summary per unit (mean of the others' shown figures; n = employees)")
    return [title, *aligned(headers, rows, set(range(2, 4 + len(codes))))]
