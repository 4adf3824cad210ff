"""Charts that explain themselves, and ``ulasan preview charts`` that draws every one of them.

The 360° chart's value axis starts at the scale's lowest level and names each
level; the digest chart keeps every unsur's name whole and says the IKM in its
title. The figures are read back from matplotlib (labels, limits, bars), the
preview's files as PNG images.
"""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from bot.cli.main import cli, register_commands
from bot.core.i18n import gettext_for
from scheduler.documents import chart_samples, review_chart, weekly_digest_chart
from scheduler.scoring import skm
from scheduler.scoring.shipped_instruments import BERAKHLAK_5
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE

register_commands()


def _bars(axes) -> list:
    return [patch for patch in axes.patches if patch.get_width() > 0]


def test_the_360_axis_starts_at_1_and_names_the_levels():
    figure = review_chart.build_figure(chart_samples.ratee_results(), "id")
    assert figure is not None
    axes = figure.axes[0]
    assert axes.get_xlim()[0] == 1
    ticks = [label.get_text().replace("\n", " ") for label in axes.get_xticklabels()]
    assert ticks == ["1 Di bawah ekspektasi", "2 Sesuai ekspektasi", "3 Di atas ekspektasi"]
    bars = _bars(axes)
    assert bars and all(bar.get_x() == 1 for bar in bars)
    # A bar ends at its mean: 1 + width.
    means = sorted(round(bar.get_x() + bar.get_width(), 6) for bar in bars)
    assert all(1 <= mean <= 3 for mean in means)


def test_the_360_axis_in_english_and_on_a_five_level_scale():
    english = review_chart.build_figure(chart_samples.ratee_results(), "en")
    ticks = [t.get_text().replace("\n", " ") for t in english.axes[0].get_xticklabels()]
    assert ticks[0] == "1 Below expectations" and ticks[2] == "3 Above expectations"
    five = review_chart.build_figure(chart_samples.ratee_results(BERAKHLAK_5), "id")
    axes = five.axes[0]
    assert axes.get_xlim()[0] == 1
    ticks = [t.get_text().replace("\n", " ") for t in axes.get_xticklabels()]
    assert ticks[0] == "1 Jauh di bawah ekspektasi" and ticks[-1] == "5 Jauh di atas ekspektasi"


def test_suppressed_figures_are_marked_and_explained():
    figure = review_chart.build_figure(chart_samples.ratee_results(few_peers=True), "id")
    texts = [t.get_text() for t in figure.axes[0].texts] + [t.get_text() for t in figure.texts]
    assert "—" in texts
    assert any("minimal 3" in text or "minimum 3" in text for text in texts), texts


def test_the_digest_chart_keeps_every_label_whole_and_titles_the_ikm():
    last, before = chart_samples.digest_weeks()
    figure = weekly_digest_chart.build_figure(chart_samples.UNIT_NAME, last, before, "id")
    axes = figure.axes[0]
    _ = gettext_for("id")
    labels = [label.get_text().replace("\n", " ") for label in axes.get_yticklabels()]
    assert labels == [f"{code} {_(UNSUR_BY_CODE[code].name)}" for code in skm.UNSUR_CODES]
    assert not any("…" in label for label in labels)
    assert labels[7] == "U8 Penanganan pengaduan, saran dan masukan"
    result = last.result
    assert result is not None
    title = axes.get_title()
    konversi = f"{result.konversi_rounded:.2f}".replace(".", ",")
    assert title.splitlines()[0] == (
        f"IKM {konversi} (mutu {result.mutu.code}, {result.mutu.label_id}) · 42 responden"
    )
    assert chart_samples.UNIT_NAME in title.replace("\n", " ")
    assert axes.get_xlim()[0] == 1
    assert all(bar.get_x() == 1 for bar in _bars(axes))


def test_the_digest_title_without_respondents():
    _last, before = chart_samples.digest_weeks()
    empty = chart_samples.digest_weeks()[0].__class__(before.span)
    title = weekly_digest_chart.chart_title("Unit", empty, "en")
    assert title.splitlines()[0] == "IKM: no respondents"


def test_preview_writes_every_chart_in_both_languages(tmp_path: Path):
    out = tmp_path / "charts"
    result = CliRunner().invoke(cli, ["preview", "charts", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in out.iterdir())
    stems = [preview.stem for preview in chart_samples.previews()]
    assert names == sorted(f"{stem}-{lang}.png" for stem in stems for lang in ("id", "en"))
    assert {"review-360", "weekly-digest"} <= set(stems)
    for path in out.iterdir():
        with Image.open(io.BytesIO(path.read_bytes())) as picture:
            picture.verify()
            assert picture.format == "PNG"
    assert result.output.strip().endswith(f"{len(names)} chart(s) written to {out}.")


def test_preview_one_language_and_a_folder_that_cannot_be_made(tmp_path: Path):
    out = tmp_path / "id-only"
    result = CliRunner().invoke(cli, ["preview", "charts", "--out", str(out), "--language", "id"])
    assert result.exit_code == 0, result.output
    assert all(path.name.endswith("-id.png") for path in out.iterdir())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli, ["preview", "charts", "--out", str(blocker / "sub")])
    assert result.exit_code == 1
    assert "cannot create" in result.output and "Traceback" not in result.output
