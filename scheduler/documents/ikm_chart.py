"""The chart of a unit's IKM on request (``/ikm``): IKM konversi per sub-unit and per service.

Horizontal bars on the regulation's 25–100 scale with the mutu bands behind
them (D below 65, C to 76.60, B to 88.30, A above), each bar labelled with its
value, mutu and respondents; a line without respondents says so instead of a
bar. The title says the unit's IKM, mutu and respondents, then the unit and
the period, so the picture stands on its own when forwarded. Drawn with
matplotlib's object API on Agg (safe in a worker thread), imported on use.
"""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from bot.core.clock import babel_locale
from bot.core.i18n import Translate, gettext_for
from scheduler.ikm_views import Line, UnitIkm
from scheduler.messages.weekly_digest import number
from scheduler.scoring import skm

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BANDS = (  # (from, to, colour) of the mutu bands, on the konversi scale
    (25.0, 65.0, "#fbe3e1"),
    (65.0, 76.61, "#fdf1d8"),
    (76.61, 88.31, "#e6f2e1"),
    (88.31, 100.0, "#d5ecf7"),
)
LABEL_WIDTH = 30


def period_text(ikm: UnitIkm, language: str) -> str:
    locale = babel_locale(language)
    return f"{format_date(ikm.first, 'd MMM', locale=locale)} – " + format_date(
        ikm.last, "d MMM y", locale=locale
    )


def headline(line: Line, language: str) -> str:
    """ "IKM 82,21 (mutu B, Baik) · 42 respondents", or that nobody answered."""
    _ = gettext_for(language)
    if line.result is None:
        return _("IKM: no respondents")
    return _("IKM {value} (mutu {code}, {label}) · {n} respondents").format(
        value=number(line.result.konversi_rounded, language),
        code=line.result.mutu.code,
        label=line.result.mutu.label(language),
        n=line.n,
    )


def render_chart(ikm: UnitIkm, language: str) -> bytes:
    """The chart as PNG bytes. Pure CPU work: call it in a worker thread."""
    figure = build_figure(ikm, language)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def build_figure(ikm: UnitIkm, language: str) -> Figure:
    _ = gettext_for(language)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    parts = ((_("Per sub-unit"), ikm.sub_units), (_("Per service"), ikm.services))
    panels = [(title, lines) for title, lines in parts if lines]
    heights = [max(len(lines), 1) for _title, lines in panels] or [1]
    figure = Figure(figsize=(8.0, 1.8 + 0.5 * sum(heights) + 0.6 * len(panels)), dpi=100)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(max(len(panels), 1), 1, height_ratios=heights)
    for index, (title, lines) in enumerate(panels):
        _panel(figure.add_subplot(grid[index]), title, lines, language, _)
    unit = "\n".join(textwrap.wrap(f"{ikm.name} — {period_text(ikm, language)}", 80))
    figure.suptitle(f"{headline(ikm.overall, language)}\n{unit}", fontsize=10)
    figure.tight_layout()
    return figure


def _panel(axes: Any, title: str, lines: tuple[Line, ...], language: str, _: Translate) -> None:
    for start, end, colour in BANDS:
        axes.axvspan(start, end, color=colour, zorder=0)
    for index, line in enumerate(lines):
        if line.result is None:
            axes.text(26, index, _("no respondents"), va="center", fontsize=7, color="#666666")
            continue
        value = float(line.result.konversi)
        axes.barh(index, value - 25, left=25, height=0.6, color="#1f6fb2", zorder=2)
        rounded = number(line.result.konversi_rounded, language)
        shown = f"{rounded} ({line.result.mutu.code}) · n={line.n}"
        if value < 84:
            axes.text(value + 1, index, shown, va="center", fontsize=7, zorder=3)
        else:  # no room on the right: inside the bar's end, in white
            axes.text(
                value - 1,
                index,
                shown,
                va="center",
                ha="right",
                fontsize=7,
                color="white",
                zorder=3,
            )
    labels = ["\n".join(textwrap.wrap(f"{line.code} {line.name}", LABEL_WIDTH)) for line in lines]
    axes.set_yticks(range(len(lines)), labels=labels, fontsize=7)
    axes.set_ylim(len(lines) - 0.5, -0.5)  # first line on top, every line inside
    axes.set_xlim(25, 100)
    ticks = [Decimal("25"), Decimal("65"), Decimal("76.61"), Decimal("88.31"), Decimal("100")]
    axes.set_xticks([float(t) for t in ticks], labels=[number(t, language) for t in ticks])
    axes.tick_params(axis="x", labelsize=7)
    # The mutu letter of each band, just above the plot.
    for (start, end, _colour), mutu in zip(BANDS, skm.MUTU_TABLE, strict=True):
        axes.text(
            (start + end) / 2,
            1.01,
            mutu.code,
            transform=axes.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            color="#555555",
        )
    axes.set_title(title, fontsize=9, loc="left", pad=14)
