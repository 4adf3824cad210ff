"""The trend chart of a published period's report: IKM konversi of the unit's last periods.

A line over the mutu bands (the 25–100 scale, as `ikm_chart`), each point
labelled with its value (decimal comma) and n, the period names below.
Drawn with matplotlib's object API on Agg, imported on use; the same points
give the same PNG bytes (no time is written into it).
"""

from __future__ import annotations

import io

from scheduler.documents.ikm_chart import BANDS
from scheduler.documents.period_view import angka
from scheduler.period_publication import TrendPoint
from scheduler.scoring import skm


def trend_png(points: tuple[TrendPoint, ...], title: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 3.2), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for start, end, colour in BANDS:
        axes.axhspan(start, end, color=colour, zorder=0)
    for (start, end, _colour), mutu in zip(BANDS, skm.MUTU_TABLE, strict=True):
        axes.text(1.005, (start + end) / 2, mutu.code, transform=axes.get_yaxis_transform(),
                  va="center", fontsize=8, color="#555555")  # fmt: skip
    shown = [(i, p) for i, p in enumerate(points) if p.konversi is not None]
    xs = [i for i, _p in shown]
    ys = [float(p.konversi) for _i, p in shown if p.konversi is not None]
    axes.plot(xs, ys, marker="o", color="#1f6fb2", zorder=3)
    for i, p in shown:
        assert p.konversi is not None
        label = f"{angka(p.konversi, 2)}\nn={p.respondents}"
        axes.annotate(label, (i, float(p.konversi)), textcoords="offset points", xytext=(0, 7),
                      ha="center", fontsize=7)  # fmt: skip
    axes.set_xticks(range(len(points)), labels=[p.name for p in points], fontsize=7)
    axes.set_xlim(-0.5, max(len(points) - 0.5, 0.5))
    axes.set_ylim(25, 100)
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylabel("IKM konversi", fontsize=8)
    axes.set_title(title, fontsize=9, loc="left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
