"""``ulasan preview charts --out DIR``: every chart the bot sends, drawn from sample data.

For looking at the pictures before anyone receives them (after changing a
chart, a font or a translation): one PNG per chart and language,
``<chart>-<language>.png``, drawn by the same functions the bot uses, from
`scheduler.documents.chart_samples`. Needs no database and no settings.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import fail


@click.group("preview")
def preview_group() -> None:
    """Preview what the bot sends, from sample data (no database needed)."""


@preview_group.command("charts")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the PNG files (created if missing).",
)
@click.option(
    "--language",
    "languages",
    type=click.Choice(["id", "en"]),
    multiple=True,
    help="Only this language (repeat for both; default both).",
)
def charts_command(out: Path, languages: tuple[str, ...]) -> None:
    """Write every chart the bot sends as <chart>-<language>.png into --out."""
    from scheduler.documents.chart_samples import previews

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out: cannot create {out}: {exc.strerror or exc}")
    written = 0
    for preview in previews():
        for language in languages or ("id", "en"):
            picture = preview.draw(language)
            if picture is None:
                continue
            path = out / f"{preview.stem}-{language}.png"
            try:
                path.write_bytes(picture)
            except OSError as exc:
                fail(f"--out: cannot write {path}: {exc.strerror or exc}")
            click.echo(str(path))
            written += 1
    click.echo(f"{written} chart(s) written to {out}.")
