"""The weekly digest's chart: NRR per unsur, last week beside the week before, as PNG.

Drawn with matplotlib's object API on the Agg backend (no pyplot state, so
drawing in a worker thread is safe); matplotlib and numpy are ~40 MB the bot
needs only while drawing, so they are imported inside `render_chart`. The week
before is drawn only when it had respondents; only last week's bars carry
their values. The title carries last week's IKM (konversi and mutu), so the
picture says the headline on its own; unsur names are wrapped, never cut.
`build_figure` gives the figure (tests read its labels), `render_chart` the PNG.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Any

from bot.core.i18n import Translate, gettext_for
from scheduler.messages.weekly_digest import number, span_text
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from storage.survey_digest import WeekFigures

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LABEL_WIDTH = 26  # characters per line of an unsur's label


def render_chart(unit_name: str, last: WeekFigures, before: WeekFigures, language: str) -> bytes:
    """The chart as PNG bytes. Pure CPU work: call it in a worker thread."""
    figure = build_figure(unit_name, last, before, language)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def build_figure(unit_name: str, last: WeekFigures, before: WeekFigures, language: str) -> Figure:
    """The chart as a matplotlib figure."""
    _ = gettext_for(language)
    codes = list(skm.UNSUR_CODES)
    # Imported here: matplotlib and numpy are ~40 MB the bot needs only while drawing.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 6.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    series = []
    if before.result is not None:
        series.append((before, "#b0b7c3", span_text(before.span, language)))
    if last.result is not None:
        series.append((last, "#1f6fb2", span_text(last.span, language)))
    height = 0.8 / max(len(series), 1)
    for index, (week, colour, label) in enumerate(series):
        # The earlier week sits above the later one in each pair.
        offset = (index - (len(series) - 1) / 2) * height
        _bars(axes, codes, week, (colour, label), offset, height, language, values=week is last)
    _frame(axes, codes, _)
    axes.set_title(chart_title(unit_name, last, language), fontsize=10)
    if series:
        # Below the axes: inside, the legend would cover the last unsur's bars.
        axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(series))
    figure.tight_layout()
    return figure


def chart_title(unit_name: str, last: WeekFigures, language: str) -> str:
    """Two lines: last week's IKM with its mutu (the headline), then the unit."""
    _ = gettext_for(language)
    result = last.result
    if result is None:
        headline = _("IKM: no respondents")
    else:
        headline = _("IKM {value} (mutu {code}, {label}) · {n} respondents").format(
            value=number(result.konversi_rounded, language),
            code=result.mutu.code,
            label=result.mutu.label(language),
            n=result.n,
        )
    unit = "\n".join(textwrap.wrap(_("NRR per unsur: {unit}").format(unit=unit_name), 80))
    return f"{headline}\n{unit}"


def _bars(
    axes: Any,
    codes: list[str],
    week: WeekFigures,
    look: tuple[str, str],
    offset: float,
    height: float,
    language: str,
    *,
    values: bool,
) -> None:
    """One week's bars (colour, legend label), each NRR written beside its bar if ``values``."""
    colour, label = look
    result = week.result
    assert result is not None
    # From 1, the worst answer: the scale has no 0.
    widths = [float(result.nrr[code]) - 1 for code in codes]
    ys = [position + offset for position in range(len(codes))]
    axes.barh(ys, widths, left=1, height=height * 0.95, color=colour, label=label)
    if values:
        for y, code in zip(ys, codes, strict=True):
            exact = result.nrr[code]
            shown = number(skm.round_half_up(exact, 2), language)
            axes.text(float(exact) + 0.03, y, shown, va="center", fontsize=7)


def unsur_label(code: str, _: Translate) -> str:
    """An unsur's tick label, whole, wrapped to short lines."""
    return "\n".join(textwrap.wrap(f"{code} {_(UNSUR_BY_CODE[code].name)}", LABEL_WIDTH))


def _frame(axes: Any, codes: list[str], _: Translate) -> None:
    """Unsur labels, the 1–4 scale and the axis title."""
    axes.set_yticks(range(len(codes)))
    axes.set_yticklabels([unsur_label(code, _) for code in codes], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(1, 4.3)
    axes.set_xlabel(_("NRR (1 = worst, 4 = best)"), fontsize=8)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.set_xticks([1, 2, 3, 4])
