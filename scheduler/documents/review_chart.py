"""The chart of a personal 360° report: horizontal bars per core value, others vs self, as PNG.

Drawn with matplotlib's object API on the Agg backend (no pyplot state, so
drawing in a worker thread is safe). matplotlib and numpy are ~40 MB the bot
needs only while drawing, so they are imported inside `render_chart`.
Suppressed figures are not drawn: "—" stands in their place and the note
under the chart says why.

The value axis is the instrument's scale: it starts at its lowest level (1, not
0, so a bar's length is the distance from the worst answer) and each tick names
its level (*Di bawah / Sesuai / Di atas ekspektasi*), so the picture explains
itself without the text beside it. `build_figure` gives the figure (tests read
its axes), `render_chart` the PNG.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Any

from bot.core.i18n import Translate, gettext_for
from scheduler.messages.review_reports import number
from scheduler.scoring.review_math import Cell, Figure, Group
from storage.review_results import RateeResults

if TYPE_CHECKING:
    from matplotlib.figure import Figure as ChartFigure

BAR = 0.38  # the height of one bar; the two series of a core value sit side by side


def render_chart(results: RateeResults, language: str) -> bytes | None:
    """The report's chart as PNG; None when there is nothing to draw. Pure CPU work: call
    it in a worker thread."""
    figure = build_figure(results, language)
    if figure is None:
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def build_figure(results: RateeResults, language: str) -> ChartFigure | None:
    """The chart as a matplotlib figure; None when there is nothing to draw."""
    _ = gettext_for(language)
    result = results.result
    others = result.groups[Group.OTHERS].items
    own = result.groups[Group.SELF].items
    if not any(isinstance(c, Figure) for c in (*others.values(), *own.values())):
        return None
    codes = list(result.item_codes)
    # Imported here: matplotlib and numpy are ~40 MB the bot needs only while drawing.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as ChartFigure

    figure = ChartFigure(figsize=(7.5, 1.7 + 0.55 * len(codes)), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    series = (
        (others, _(Group.OTHERS.label), "#1f6fb2", -BAR / 2),
        (own, _(Group.SELF.label), "#f0a030", BAR / 2),
    )
    hidden = False
    base = results.instrument.scale.lowest
    for cells, label, colour, offset in series:
        hidden = _bars(axes, codes, cells, (label, colour), offset, base, language) or hidden
    _frame(axes, results, codes, _)
    if hidden:
        note = _("— not shown: no ratings, or too few raters (minimum {m})").format(
            m=result.min_raters
        )
        figure.text(0.01, 0.01, note, fontsize=7, color="#555555")
    figure.tight_layout(rect=(0, 0.05 if hidden else 0, 1, 1))
    return figure


def _bars(
    axes: Any,
    codes: list[str],
    cells: dict[str, Cell],
    look: tuple[str, str],
    offset: float,
    base: int,
    language: str,
) -> bool:
    """One series of bars (legend label, colour) from the scale's lowest level ``base``,
    with their values; True when a figure was not shown."""
    label, colour = look
    hidden = False
    ys, widths = [], []
    for index, code in enumerate(codes):
        cell = cells[code]
        y = index + offset
        if isinstance(cell, Figure):
            ys.append(y)
            widths.append(cell.mean - base)
            axes.text(cell.mean + 0.03, y, number(cell.mean, language), va="center", fontsize=7)
        else:
            hidden = True
            axes.text(base + 0.05, y, "—", va="center", fontsize=8, color="#666666")
    axes.barh(ys, widths, left=base, height=BAR, color=colour, label=label)
    return hidden


def level_label(value: int, label: str) -> str:
    """A tick of the value axis: the number and its level, wrapped to short lines."""
    return f"{value}\n" + "\n".join(textwrap.wrap(label, 14))


def _frame(axes: Any, results: RateeResults, codes: list[str], _: Translate) -> None:
    """Core value names, the instrument's scale, the legend and the title."""
    scale = results.instrument.scale
    names = [_(results.instrument.item(code).name) for code in codes]
    axes.set_yticks(range(len(codes)), labels=names, fontsize=8)
    axes.invert_yaxis()  # first core value on top, as in the text
    axes.set_xlim(scale.lowest, scale.highest + 0.45)
    axes.set_xticks(
        list(scale.values),
        labels=[level_label(level.value, _(level.label)) for level in scale.levels],
    )
    axes.tick_params(axis="x", labelsize=7)
    for value in scale.values:
        axes.axvline(value, color="#dddddd", linewidth=0.8, zorder=0)
    # Below the plot, so it never hides a bar.
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7, frameon=False)
    axes.set_title(f"{results.ratee.name} — {results.cycle.name}", fontsize=9)
