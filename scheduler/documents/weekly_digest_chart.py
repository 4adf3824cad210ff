"""The weekly digest's chart: NRR per unsur, last week beside the week before, as PNG.

Drawn with matplotlib's object API on the Agg backend (no pyplot state, so
drawing in a worker thread is safe); matplotlib and numpy are ~40 MB the bot
needs only while drawing, so they are imported inside `render_chart`. The week
before is drawn only when it had respondents; only last week's bars carry
their values.
"""

from __future__ import annotations

import io
from typing import Any

from bot.core.i18n import Translate, gettext_for
from scheduler.messages.limits import shorten
from scheduler.messages.weekly_digest import number, span_text
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from storage.survey_digest import WeekFigures


def render_chart(unit_name: str, last: WeekFigures, before: WeekFigures, language: str) -> bytes:
    """The chart as PNG bytes. Pure CPU work: call it in a worker thread."""
    _ = gettext_for(language)
    codes = list(skm.UNSUR_CODES)
    # Imported here: matplotlib and numpy are ~40 MB the bot needs only while drawing.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 5.2), dpi=100)
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
    _frame(axes, codes, unit_name, _)
    if series:
        # Below the axes: inside, the legend would cover the last unsur's bars.
        axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(series))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


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
    widths = [float(result.nrr[code]) for code in codes]
    ys = [position + offset for position in range(len(codes))]
    axes.barh(ys, widths, height=height * 0.95, color=colour, label=label)
    if values:
        for y, code in zip(ys, codes, strict=True):
            exact = result.nrr[code]
            shown = number(skm.round_half_up(exact, 2), language)
            axes.text(float(exact) + 0.03, y, shown, va="center", fontsize=7)


def _frame(axes: Any, codes: list[str], unit_name: str, _: Translate) -> None:
    """Unsur labels, the 1–4 scale, the axis title and the chart title."""
    labels = [f"{code} {_(UNSUR_BY_CODE[code].name)}" for code in codes]
    axes.set_yticks(range(len(codes)))
    axes.set_yticklabels([shorten(label, 38) for label in labels], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(1, 4.3)
    axes.set_xlabel(_("NRR (1 = worst, 4 = best)"), fontsize=8)
    axes.set_title(shorten(_("NRR per unsur: {unit}").format(unit=unit_name), 70), fontsize=10)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.set_xticks([1, 2, 3, 4])
