"""The personal 360° report and the supervisor's team summary as Telegram messages.

The same functions serve the reports queued when a cycle closes
(``scheduler/cycles.py``) and ``/hasil`` (``handlers/review_results.py``), so a
report looks the same when asked again.

What a report holds (nothing that `aggregate` did not release): the overall
and per group, then per core value "others" vs self with n and the gap, blind
spots and hidden strengths, the recommended perilaku kerja rating (or the
supervisor's decision), the hasil kerja and predikat kinerja when the
supervisor gave hasil kerja, and the released comments. `report_text` is a
short dispatcher over one function per section.

Telegram limits: a caption holds 1024 characters, a message 4096. A report
whose text fits in a caption is one photo with its chart
(``scheduler/documents/review_chart.py``); otherwise the chart goes with a
short caption and the text follows as one or more messages (split at line
breaks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal

from bot.core.clock import babel_locale
from bot.core.i18n import N_, Translate, gettext_for
from scheduler.messages.limits import split_text
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
from scheduler.scoring.review_recommendation import Coverage
from storage.outbox import MAX_CAPTION
from storage.review_results import RateeResults, TeamMember, TeamSummary

# Callback data of the team summary's button (answered by handlers/review_results.py).
TEAM_CALLBACK = "rs:t:"  # rs:t:<cycle id>

ANONYMOUS_GROUPS = (Group.PEERS, Group.SUBORDINATES)
GROUP_ORDER = (Group.SUPERVISOR, Group.PEERS, Group.SUBORDINATES)

REASON_TEXT = {
    Reason.NO_SCORES: N_("no ratings"),
    Reason.BELOW_MINIMUM: N_("not shown (fewer than {m} raters)"),
    Reason.DIFFERENCING: N_("not shown (it would reveal a smaller group)"),
    Reason.GROUP_SUPPRESSED: N_("not shown"),
}
COMMENT_TITLES = {
    KEEP: N_("What to keep doing"),
    IMPROVE: N_("What to improve"),
}


@dataclass(frozen=True)
class OutMessage:
    """One Telegram message: text (the caption when there is an image), image, buttons."""

    text: str
    image: bytes | None = None
    buttons: Sequence[Sequence[dict[str, str]]] | None = None


# -- formatting -----------------------------------------------------------------------


def number(value: float, language: str) -> str:
    """A mean as every report prints it: half-up to two decimals, the locale's comma."""
    shown = Decimal(repr(round_mean(value)))
    return format_decimal(shown, format="0.00", locale=babel_locale(language))


def signed(value: float, language: str) -> str:
    shown = round_mean(value)
    sign = "+" if shown > 0 else "−" if shown < 0 else "±"
    return sign + number(abs(shown), language)


def figure_text(cell: Cell, _: Translate, language: str, m: int, *, with_n: bool = True) -> str:
    if isinstance(cell, Figure):
        text = number(cell.mean, language)
        return f"{text} (n={cell.n})" if with_n else text
    return _(REASON_TEXT[cell.reason]).format(m=m)


# -- the personal report -----------------------------------------------------------------


def _gap_text(gap: Gap | Suppressed, _: Translate, language: str) -> str:
    if not isinstance(gap, Gap):
        return ""
    text = f" ({signed(gap.gap, language)})"
    if gap.flag is not None:
        text += f" — {_(gap.flag.label)}"
    return text


Section = Callable[[RateeResults, Translate, str], list[str]]


def report_text(
    results: RateeResults,
    language: str,
    citizens: Sequence[str] = (),
    development: Sequence[str] = (),
) -> str:
    """The personal report: short, and only what the anonymity rule released; with
    ``citizens`` (lines about the officer-tagged citizen answers of the cycle's dates,
    `scheduler.messages.feedback_cards.citizens_lines`) and ``development`` (the previous
    development plan beside each focus value's change, `scheduler.development.progress`)
    before the footer."""
    _ = gettext_for(language)
    sections: tuple[Section, ...] = (_headline, _core_values, _gap_flags, _ratings, _comments)
    lines = [line for section in sections for line in section(results, _, language)]
    if development:
        lines += ["", *development]
    if citizens:
        lines += ["", *citizens]
    return "\n".join(lines + _footer(results, _, language))


def _headline(results: RateeResults, _: Translate, language: str) -> list[str]:
    """Cycle, person, the overall figure (others vs self) and the figure per group."""
    result = results.result
    m = result.min_raters
    groups = result.groups
    by_group = [
        f"{_(group.label)} "
        + figure_text(groups[group].overall, _, language, m, with_n=group in ANONYMOUS_GROUPS)
        for group in GROUP_ORDER
    ]
    return [
        _("360° feedback: {cycle}").format(cycle=results.cycle.name),
        results.ratee.name,
        "",
        _("Overall: others {others} · self {own}").format(
            others=figure_text(groups[Group.OTHERS].overall, _, language, m),
            own=figure_text(groups[Group.SELF].overall, _, language, m, with_n=False),
        ),
        _("By group: {groups}").format(groups="; ".join(by_group)),
    ]


def _core_values(results: RateeResults, _: Translate, language: str) -> list[str]:
    """One line per core value, others vs self and the gap; a note when any is not shown."""
    result = results.result
    m = result.min_raters
    others = result.groups[Group.OTHERS].items
    own = result.groups[Group.SELF].items
    lines = ["", _("Per core value (others vs self):")]
    for code in result.item_codes:
        name = _(results.instrument.item(code).name)
        other, mine = others[code], own[code]
        other_text = figure_text(other, _, language, m) if isinstance(other, Figure) else "—"
        own_text = (
            figure_text(mine, _, language, m, with_n=False) if isinstance(mine, Figure) else "—"
        )
        gap = _gap_text(result.gaps[code], _, language)
        lines.append(f"• {name}: {other_text} vs {own_text}{gap}")
    if any(
        not isinstance(others[c], Figure) or not isinstance(own[c], Figure)
        for c in result.item_codes
    ):
        lines.append(
            _(
                "— not shown: no ratings, or too few raters to keep them anonymous (minimum {m})."
            ).format(m=m)
        )
    return lines


def _gap_flags(results: RateeResults, _: Translate, language: str) -> list[str]:
    """Blind spots and hidden strengths, by core value name."""
    result = results.result
    flagged = {
        flag: [
            _(results.instrument.item(code).name)
            for code in result.item_codes
            if isinstance(g := result.gaps[code], Gap) and g.flag is flag
        ]
        for flag in GapFlag
    }
    lines = []
    if flagged[GapFlag.BLIND_SPOT]:
        lines.append(
            _("Blind spots (you rate yourself higher than others do): {values}").format(
                values=", ".join(flagged[GapFlag.BLIND_SPOT])
            )
        )
    if flagged[GapFlag.HIDDEN_STRENGTH]:
        lines.append(
            _("Hidden strengths (others rate you higher than you do): {values}").format(
                values=", ".join(flagged[GapFlag.HIDDEN_STRENGTH])
            )
        )
    return lines


def _ratings(results: RateeResults, _: Translate, language: str) -> list[str]:
    """Perilaku kerja (recommended or decided), hasil kerja and the predikat."""
    lines = [""]
    lines += recommendation_lines(results, _, language)
    if results.decision is not None:
        lines.append(
            _("Perilaku kerja decided by your supervisor: {rating}").format(
                rating=_(results.decision.decided.label)
            )
        )
    if results.hasil_kerja is not None:
        lines.append(
            _("Hasil kerja (from your supervisor): {rating}").format(
                rating=_(results.hasil_kerja.label)
            )
        )
        if results.predikat is not None:
            template = (
                _("Predikat kinerja: {predikat}")
                if results.decision is not None
                else _("Predikat kinerja (recommended; your supervisor decides): {predikat}")
            )
            lines.append(template.format(predikat=_(results.predikat.label)))
    return lines


def recommendation_lines(results: RateeResults, _: Translate, language: str) -> list[str]:
    """The recommended perilaku kerja and the core values it rests on, or why there is
    none (too few values survive anonymity: "belum cukup data")."""
    rec = results.recommendation
    if rec is not None:
        names = ", ".join(_(results.instrument.item(code).name) for code in rec.values)
        return [
            _("Recommended perilaku kerja: {rating} (from {basis} {mean}, n={n})").format(
                rating=_(rec.perilaku.label),
                basis=_(rec.basis.label).lower(),
                mean=number(rec.mean, language),
                n=rec.n,
            ),
            _("It rests on {count} of {total} core values: {values}.").format(
                count=len(rec.values), total=rec.total, values=names
            ),
        ]
    covered = results.coverage
    if covered is not None and covered.basis is not None:
        return [not_enough_text(covered, _)]
    return [_("Recommended perilaku kerja: none (too few ratings from others).")]


def not_enough_text(covered: Coverage, _: Translate) -> str:
    return _(
        "Recommended perilaku kerja: not enough data yet. Only {count} of {total} core "
        "values have figures that may be shown; a recommendation (and a predikat) needs "
        "at least {required}."
    ).format(count=len(covered.values), total=covered.total, required=covered.required)


def _comments(results: RateeResults, _: Translate, language: str) -> list[str]:
    """The released comments, what to keep doing and what to improve."""
    comments = results.result.comments
    lines: list[str] = []
    for kind in (KEEP, IMPROVE):
        texts: list[str] = []
        texts += [_("You: {text}").format(text=t) for t in comments.own.get(kind, ())]
        texts += [_("Supervisor: {text}").format(text=t) for t in comments.supervisor.get(kind, ())]
        pool = comments.anonymous.get(kind)
        if isinstance(pool, tuple):
            texts += list(pool)
        if texts:
            lines += ["", _(COMMENT_TITLES[kind]) + ":"]
            lines += [f"• {text}" for text in texts]
    if any(isinstance(v, Suppressed) for v in comments.anonymous.values()):
        lines += [
            "",
            _(
                "Comments from colleagues are shown only when at least {m} of them wrote one."
            ).format(m=results.result.min_raters),
        ]
    return lines


def _footer(results: RateeResults, _: Translate, language: str) -> list[str]:
    return [
        "",
        _("n = the number of raters behind a figure. Nobody can see who gave which rating."),
    ]


def chart_caption(results: RateeResults, language: str) -> str:
    _ = gettext_for(language)
    return _("360° feedback: {cycle} — others vs self per core value").format(
        cycle=results.cycle.name
    )


def report_messages(
    results: RateeResults,
    language: str,
    chart: bytes | None,
    citizens: Sequence[str] = (),
    development: Sequence[str] = (),
) -> list[OutMessage]:
    """The report as Telegram messages within the caption and message limits."""
    text = report_text(results, language, citizens, development)
    if chart is not None and len(text) <= MAX_CAPTION:
        return [OutMessage(text, chart)]
    messages = [OutMessage(chart_caption(results, language), chart)] if chart else []
    return messages + [OutMessage(part) for part in split_text(text)]


# -- the team summary --------------------------------------------------------------------


def _member_lines(member: TeamMember, _: Translate, language: str, m: int) -> list[str]:
    lines = [f"• {member.person.name}"]
    if member.overall is not None:
        group, figure = member.overall
        headline = f"{_(group.label)} {figure_text(figure, _, language, m)}"
    else:
        headline = _("no overall figure (too few ratings)")
    if member.decided is not None:
        perilaku = _("perilaku kerja (decided): {rating}").format(rating=_(member.decided.label))
    elif member.recommended is not None:
        perilaku = _("perilaku kerja (recommended): {rating}").format(
            rating=_(member.recommended.label)
        )
        if member.coverage is not None:
            perilaku += " " + _("(on {count} of {total} core values)").format(
                count=len(member.coverage.values), total=member.coverage.total
            )
    elif member.coverage is not None and member.coverage.basis is not None:
        perilaku = _("perilaku kerja: not enough data ({count} of {total} core values)").format(
            count=len(member.coverage.values), total=member.coverage.total
        )
    else:
        perilaku = _("perilaku kerja: no recommendation")
    lines.append(f"  {headline} · {perilaku}")
    hasil = (
        _("hasil kerja: {rating}").format(rating=_(member.hasil_kerja.label))
        if member.hasil_kerja is not None
        else _("hasil kerja: not given")
    )
    predikat = (
        _("predikat: {predikat}").format(predikat=_(member.predikat.label))
        if member.predikat is not None
        else _("predikat: —")
    )
    lines.append(f"  {hasil} · {predikat}")
    lines.append(
        "  "
        + _("reviews received {received}/{received_total} · given {given}/{given_total}").format(
            received=member.received.submitted,
            received_total=member.received.total,
            given=member.given.submitted,
            given_total=member.given.total,
        )
    )
    return lines


def team_text(team: TeamSummary, language: str, min_raters: int) -> str:
    _ = gettext_for(language)
    received, given = team.received, team.given
    lines = [
        _("Team summary: {cycle}").format(cycle=team.cycle.name),
        _("Team members: {count}").format(count=len(team.members))
        + " · "
        + _(
            "reviews about them submitted {received}/{received_total}, "
            "reviews they gave {given}/{given_total}"
        ).format(
            received=received.submitted,
            received_total=received.total,
            given=given.submitted,
            given_total=given.total,
        ),
        "",
    ]
    for member in team.members:
        lines += _member_lines(member, _, language, min_raters)
    lines += [
        "",
        _(
            "Overall figures come from all raters but the person themselves when at least "
            "{m} colleagues rated, else from your own rating. Individual answers are never "
            "shown. The predikat follows the recommended perilaku kerja until you decide it."
        ).format(m=min_raters),
    ]
    return "\n".join(lines)


def team_buttons(team: TeamSummary, language: str) -> list[list[dict[str, str]]]:
    _ = gettext_for(language)
    return [
        [
            {
                "text": _("Decide perilaku kerja ratings"),
                "callback_data": f"{TEAM_CALLBACK}{team.cycle.id}",
            }
        ]
    ]


def team_messages(team: TeamSummary, language: str, min_raters: int) -> list[OutMessage]:
    parts = split_text(team_text(team, language, min_raters))
    buttons = team_buttons(team, language)
    return [
        OutMessage(part, buttons=buttons if index == len(parts) - 1 else None)
        for index, part in enumerate(parts)
    ]
