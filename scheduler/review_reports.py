"""Personal 360° reports and team summaries: text, chart, and queueing them at close.

`queue_close_reports` runs inside ``scheduler.cycles.close_cycle``'s
transaction when a cycle closes. It loads the cycle's results once
(`storage.review_results.cycle_report`, which enforces the anonymity rule and
refuses an open cycle) and queues in the outbox, for every ratee with a linked
Telegram account, their report (kind ``review_report``) and, for every direct
supervisor with a linked account, their team summary (kind ``team_summary``),
each in the recipient's language (`TelegramAccount.language`, else the
deployment default). ``/hasil`` (handlers/review_results.py) renders the same
messages with the same functions, so a report looks the same when asked again.

What a report holds (nothing that `aggregate` did not release): the overall
and per group, then per core value "others" vs self with n and the gap, blind
spots and hidden strengths, the recommended perilaku kerja rating (or the
supervisor's decision), the hasil kerja and predikat kinerja when the
supervisor gave hasil kerja, and the released comments. The chart: horizontal
bars per core value, others vs self; a suppressed figure is not drawn ("—" in
its place and a note says why).

Telegram limits: a caption holds 1024 characters, a message 4096. A report
whose text fits in a caption is one photo; otherwise the chart goes with a
short caption and the text follows as one or more messages (split at line
breaks). Dedupe keys are per cycle, recipient and part, so running the job
twice queues nothing new, and `queue_close_reports` returns how many rows it
added.

Charts are drawn with matplotlib's object API on the Agg backend (no pyplot
state, so drawing in a worker thread is safe) and returned as PNG bytes.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Translate, gettext_for
from bot.core.settings import Settings
from scheduler.scoring.review_instrument import Expectation
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
from storage.directory import accounts_by_employee
from storage.models import TelegramAccount
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REPORT
from storage.preferences import language_of
from storage.review_results import (
    RateeResults,
    TeamMember,
    TeamSummary,
    cycle_report,
)

# Before anything imports pyplot (nothing here does: the object API below needs no
# global state): a server has no display.

log = logging.getLogger(__name__)

REPORT_KIND = "review_report"
TEAM_KIND = "team_summary"
MAX_CAPTION = 1024
MAX_TEXT = 4096
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
    return format_decimal(shown, format="0.00", locale="en" if language == "en" else "id")


def signed(value: float, language: str) -> str:
    shown = round_mean(value)
    sign = "+" if shown > 0 else "−" if shown < 0 else "±"
    return sign + number(abs(shown), language)


def figure_text(cell: Cell, _: Translate, language: str, m: int, *, with_n: bool = True) -> str:
    if isinstance(cell, Figure):
        text = number(cell.mean, language)
        return f"{text} (n={cell.n})" if with_n else text
    return _(REASON_TEXT[cell.reason]).format(m=m)


def expectation_text(value: Expectation | None, _: Translate) -> str:
    return _(value.label) if value is not None else "—"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages of at most ``limit`` characters, at line breaks."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than a message (a long comment)
            if current:
                parts.append(current)
                current = ""
            parts.append(line[: limit - 1] + "…")
            line = "…" + line[limit - 1 :]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [part.strip("\n") for part in parts if part.strip()]


# -- the personal report -----------------------------------------------------------------


def _gap_text(gap: Gap | Suppressed, _: Translate, language: str) -> str:
    if not isinstance(gap, Gap):
        return ""
    text = f" ({signed(gap.gap, language)})"
    if gap.flag is not None:
        text += f" — {_(gap.flag.label)}"
    return text


def report_text(results: RateeResults, language: str) -> str:
    """The personal report: short, and only what the anonymity rule released."""
    _ = gettext_for(language)
    result = results.result
    m = result.min_raters
    groups = result.groups
    own = groups[Group.SELF]
    others = groups[Group.OTHERS]
    lines = [
        _("360° feedback: {cycle}").format(cycle=results.cycle.name),
        results.ratee.name,
        "",
    ]
    lines.append(
        _("Overall: others {others} · self {own}").format(
            others=figure_text(others.overall, _, language, m),
            own=figure_text(own.overall, _, language, m, with_n=False),
        )
    )
    by_group = [
        f"{_(group.label)} "
        + figure_text(groups[group].overall, _, language, m, with_n=group in ANONYMOUS_GROUPS)
        for group in GROUP_ORDER
    ]
    lines.append(_("By group: {groups}").format(groups="; ".join(by_group)))
    lines += ["", _("Per core value (others vs self):")]
    for code in result.item_codes:
        name = _(results.instrument.item(code).name)
        other = others.items[code]
        mine = own.items[code]
        other_text = figure_text(other, _, language, m) if isinstance(other, Figure) else "—"
        own_text = (
            figure_text(mine, _, language, m, with_n=False) if isinstance(mine, Figure) else "—"
        )
        gap = _gap_text(result.gaps[code], _, language)
        lines.append(f"• {name}: {other_text} vs {own_text}{gap}")
    if any(
        not isinstance(others.items[c], Figure) or not isinstance(own.items[c], Figure)
        for c in result.item_codes
    ):
        lines.append(
            _(
                "— not shown: no ratings, or too few raters to keep them anonymous (minimum {m})."
            ).format(m=m)
        )
    flagged = {
        flag: [
            _(results.instrument.item(code).name)
            for code in result.item_codes
            if isinstance(g := result.gaps[code], Gap) and g.flag is flag
        ]
        for flag in GapFlag
    }
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

    lines.append("")
    recommendation = results.recommendation
    if recommendation is not None:
        basis = _(recommendation.basis.label)
        lines.append(
            _("Recommended perilaku kerja: {rating} (from {basis} {mean}, n={n})").format(
                rating=_(recommendation.perilaku.label),
                basis=basis.lower(),
                mean=number(recommendation.mean, language),
                n=recommendation.n,
            )
        )
    else:
        lines.append(_("Recommended perilaku kerja: none (too few ratings from others)."))
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

    comments = result.comments
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
            ).format(m=m),
        ]
    lines += [
        "",
        _("n = the number of raters behind a figure. Nobody can see who gave which rating."),
    ]
    return "\n".join(lines)


def chart_caption(results: RateeResults, language: str) -> str:
    _ = gettext_for(language)
    return _("360° feedback: {cycle} — others vs self per core value").format(
        cycle=results.cycle.name
    )


def render_chart(results: RateeResults, language: str) -> bytes | None:
    """Horizontal bars per core value, others vs self; None when there is nothing to draw.

    Suppressed figures are not drawn: "—" stands in their place and the note
    under the chart says why. Pure CPU work: call it in a worker thread.
    """
    _ = gettext_for(language)
    result = results.result
    others = result.groups[Group.OTHERS].items
    own = result.groups[Group.SELF].items
    codes = list(result.item_codes)
    if not any(isinstance(c, Figure) for c in (*others.values(), *own.values())):
        return None
    scale = results.instrument.scale
    names = [_(results.instrument.item(code).name) for code in codes]

    height = 1.2 + 0.55 * len(codes)
    # Imported here: matplotlib and numpy are ~40 MB the bot needs only while drawing.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as ChartFigure

    figure = ChartFigure(figsize=(7.5, height), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bar = 0.38
    series = (
        (others, _(Group.OTHERS.label), "#1f6fb2", -bar / 2),
        (own, _(Group.SELF.label), "#f0a030", bar / 2),
    )
    hidden = False
    for cells, label, colour, offset in series:
        ys, widths = [], []
        for index, code in enumerate(codes):
            cell = cells[code]
            y = index + offset
            if isinstance(cell, Figure):
                ys.append(y)
                widths.append(cell.mean)
                axes.text(
                    cell.mean + 0.03,
                    y,
                    number(cell.mean, language),
                    va="center",
                    fontsize=7,
                )
            else:
                hidden = True
                axes.text(0.05, y, "—", va="center", fontsize=8, color="#666666")
        axes.barh(ys, widths, height=bar, color=colour, label=label)
    axes.set_yticks(range(len(codes)), labels=names, fontsize=8)
    axes.invert_yaxis()  # first core value on top, as in the text
    axes.set_xlim(0, scale.highest + 0.45)
    axes.set_xticks(list(scale.values))
    axes.tick_params(axis="x", labelsize=8)
    for value in scale.values:
        axes.axvline(value, color="#dddddd", linewidth=0.8, zorder=0)
    # Below the plot, so it never hides a bar.
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, fontsize=7, frameon=False)
    axes.set_title(f"{results.ratee.name} — {results.cycle.name}", fontsize=9)
    if hidden:
        note = _("— not shown: no ratings, or too few raters (minimum {m})").format(
            m=result.min_raters
        )
        figure.text(0.01, 0.01, note, fontsize=7, color="#555555")
    figure.tight_layout(rect=(0, 0.05 if hidden else 0, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def report_messages(results: RateeResults, language: str, chart: bytes | None) -> list[OutMessage]:
    """The report as Telegram messages within the caption and message limits."""
    text = report_text(results, language)
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


# -- queueing at close ---------------------------------------------------------------------


async def _queue(
    session: AsyncSession,
    *,
    account: TelegramAccount,
    kind: str,
    key: str,
    messages: Sequence[OutMessage],
    employee_id: int,
    now: datetime,
) -> int:
    queued = 0
    for index, message in enumerate(messages):
        added = await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=kind,
            text=message.text,
            buttons=message.buttons,
            image=message.image,
            dedupe_key=f"{key}:{index}",
            priority=PRIORITY_REPORT,
            employee_id=employee_id,
            now=now,
        )
        queued += int(added)
    return queued


async def queue_close_reports(
    session: AsyncSession, settings: Settings, cycle_id: int, now: datetime
) -> int:
    """Queue every linked ratee's report and every linked supervisor's team summary.

    Runs in the caller's transaction (never commits); refuses an open cycle
    (`storage.review_results.ResultsNotReleased`). Returns how many outbox
    rows were added: 0 when run again.
    """
    min_raters = settings.min_anonymous_raters
    results, teams = await cycle_report(session, cycle_id, min_raters=min_raters)
    people = {r.ratee.id for r in results} | {t.supervisor.id for t in teams}
    accounts = await accounts_by_employee(session, sorted(people))
    queued = 0
    for item in results:
        account = accounts.get(item.ratee.id)
        if account is None:
            continue
        language = language_of(account, settings)
        # Drawing takes tens of milliseconds: keep the event loop free meanwhile.
        chart = await asyncio.to_thread(render_chart, item, language)
        queued += await _queue(
            session,
            account=account,
            kind=REPORT_KIND,
            key=f"{REPORT_KIND}:{cycle_id}:{item.ratee.id}",
            messages=report_messages(item, language, chart),
            employee_id=item.ratee.id,
            now=now,
        )
    for team in teams:
        account = accounts.get(team.supervisor.id)
        if account is None:
            continue
        language = language_of(account, settings)
        queued += await _queue(
            session,
            account=account,
            kind=TEAM_KIND,
            key=f"{TEAM_KIND}:{cycle_id}:{team.supervisor.id}",
            messages=team_messages(team, language, min_raters),
            employee_id=team.supervisor.id,
            now=now,
        )
    log.info("cycle %s closed at %s: %d report messages queued", cycle_id, now, queued)
    return queued


__all__ = [
    "REPORT_KIND",
    "TEAM_CALLBACK",
    "TEAM_KIND",
    "OutMessage",
    "chart_caption",
    "number",
    "queue_close_reports",
    "render_chart",
    "report_messages",
    "report_text",
    "split_text",
    "team_buttons",
    "team_messages",
    "team_text",
]
