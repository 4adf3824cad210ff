"""The words and numbers of the 360° report, shared by its table, JSON and XLSX forms.

The report is Indonesian: group names, flags, reasons and the report's own
labels come from the Indonesian catalog (``reports.po``; groups, flags,
expectations and predikat from ``review.po``). Means are rounded half-up to two
decimals, as the bot prints them; a suppressed figure is shown as its reason,
never as a number.
"""

from __future__ import annotations

from bot.core.i18n import N_, gettext_for
from scheduler.scoring.review_instrument import Expectation, Instrument
from scheduler.scoring.review_math import (
    IMPROVE,
    KEEP,
    Cell,
    Figure,
    Gap,
    GapFlag,
    Group,
    Reason,
    Suppressed,
    round_mean,
)
from storage.review_results import PatternList, RateeResults, UnitCell, UnitFigure

GROUPS = (Group.SELF, Group.SUPERVISOR, Group.PEERS, Group.SUBORDINATES, Group.OTHERS)
ATTRIBUTED = (Group.SELF, Group.SUPERVISOR)  # one rater each: no n beside the figure

_ = gettext_for("id")
_en = gettext_for("en")

KIND_LABELS = {KEEP: N_("what to keep"), IMPROVE: N_("what to improve")}
REASON_LABELS = {
    Reason.NO_SCORES: N_("no scores"),
    Reason.BELOW_MINIMUM: N_("fewer raters than the minimum"),
    Reason.DIFFERENCING: N_("hidden so that a small group is not revealed"),
    Reason.GROUP_SUPPRESSED: N_("group not reported"),
}
EXTREME_LABELS = {
    "highest": N_("gave each other the highest marks"),
    "lowest": N_("gave each other the lowest marks"),
}
DIRECTION_LABELS = {"lenient": N_("far more lenient"), "severe": N_("far more severe")}


def group_label(group: Group) -> str:
    return _(group.label)


def flag_label(flag: GapFlag) -> str:
    """Mid-sentence, so in lower case: "titik buta"."""
    return _(flag.label).lower()


def reason_label(reason: Reason) -> str:
    return _(REASON_LABELS[reason])


def mean(value: float) -> float:
    return round_mean(value)


def mean_text(value: float) -> str:
    return f"{mean(value):.2f}"


def cell_text(cell: Cell | UnitCell, m: int, *, with_n: bool = True) -> str:
    if isinstance(cell, Figure):
        return f"{mean_text(cell.mean)} ({cell.n})" if with_n else mean_text(cell.mean)
    if isinstance(cell, UnitFigure):
        return f"{mean_text(cell.mean)} ({cell.ratees})"
    return _short_reason(cell.reason, m)


def _short_reason(reason: Reason, m: int) -> str:
    return {
        Reason.NO_SCORES: "-",
        Reason.BELOW_MINIMUM: f"<{m}",
        Reason.DIFFERENCING: "x",
        Reason.GROUP_SUPPRESSED: "x",
    }[reason]


def gap_text(gap: Gap | Suppressed) -> str:
    if not isinstance(gap, Gap):
        return ""
    text = f"{mean(gap.gap):+.2f}"
    return f"{text} {flag_label(gap.flag)}" if gap.flag else text


def item_name(instrument: Instrument, code: str, language: str = "id") -> str:
    translate = _en if language == "en" else _
    return translate(instrument.item(code).name)


def expectation_text(value: Expectation | None) -> str:
    return _(value.label) if value is not None else "-"


def predikat_text(item: RateeResults) -> str:
    if item.predikat is None:
        return "-"
    if item.decision:
        return _(item.predikat.label)
    note = _("{predikat} (recommended; the supervisor decides)")
    return note.format(predikat=_(item.predikat.label))


def recommendation_text(item: RateeResults) -> str:
    """The recommended perilaku kerja with its basis, or why there is none."""
    rec = item.recommendation
    if rec is None:
        covered = item.coverage
        if covered is not None and covered.basis is not None:
            return _(
                "- (not enough data: {count} of {total} core values shown, {required} needed)"
            ).format(count=len(covered.values), total=covered.total, required=covered.required)
        return _("- (no scores from others or the supervisor)")
    return _(
        "{rating} (basis: {basis} {mean}, n={n}; {count} of {total} core values: {values})"
    ).format(
        rating=_(rec.perilaku.label),
        basis=group_label(rec.basis).lower(),
        mean=mean_text(rec.mean),
        n=rec.n,
        count=len(rec.values),
        total=rec.total,
        values=" ".join(rec.values),
    )


def comment_lines(item: RateeResults) -> list[str]:
    """The released comments by kind, the attributed ones marked, indented for the table."""
    comments = item.result.comments
    out = []
    for kind in (KEEP, IMPROVE):
        texts = [_("(self) {text}").format(text=t) for t in comments.own.get(kind, ())]
        texts += [
            _("(supervisor) {text}").format(text=t) for t in comments.supervisor.get(kind, ())
        ]
        pool = comments.anonymous.get(kind)
        if isinstance(pool, tuple):
            texts += list(pool)
        elif isinstance(pool, Suppressed):
            texts.append(_("(comments from peers/subordinates not shown: fewer than the minimum)"))
        if texts:
            out.append("  " + _("Comments — {kind}:").format(kind=_(KIND_LABELS[kind])))
            out += [f"    • {' '.join(t.split())}" for t in texts]
    return out


def pattern_lines(patterns: PatternList) -> list[str]:
    """The rater patterns worth an admin's look, one line each."""
    out = [_("Rater patterns worth a look (not a block; for admins only)")]
    if patterns.empty:
        return [*out, "  " + _("none found")]
    for f in patterns.reciprocal:
        line = _(
            "Extreme mutual ratings: {first} ({first_nip}) and {second} ({second_nip}) — {extreme}"
        )
        out.append(
            "  • "
            + line.format(
                first=f.first.name,
                first_nip=f.first.nip,
                second=f.second.name,
                second_nip=f.second.nip,
                extreme=_(EXTREME_LABELS[f.extreme.value]),
            )
        )
    for f in patterns.straight_lining:
        line = _("Identical answers: {name} ({nip}) gave the same answers to {count} colleagues")
        out.append("  • " + line.format(name=f.rater.name, nip=f.rater.nip, count=f.ratees))
    for f in patterns.outliers:
        line = _(
            "Deviating rater: {name} ({nip}) {direction} than the other raters "
            "(z = {z}, {count} colleagues rated)"
        )
        direction = _(DIRECTION_LABELS[f.direction.value])
        out.append(
            "  • "
            + line.format(
                name=f.rater.name,
                nip=f.rater.nip,
                direction=direction,
                z=f"{f.z:+.2f}",
                count=f.ratees,
            )
        )
    return out
