"""``ulasan publish --out DIR``: the public site of every approved SKM period version.

Reads the approved versions only (`scheduler.period_publication.all_editions`)
and writes the static site of `scheduler.documents.public_site` into DIR. Each
file is replaced atomically (written beside itself, then renamed), so a web
server serving DIR never shows half a page; files an earlier run wrote and
this one does not (listed in ``DIR/.ulasan-publish.json``) are removed, and
nothing else in DIR is touched. Running it again after an approval or a
correction refreshes the site; with nothing new it rewrites the same bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from bot.cli.common import fail, get_settings, run_in_transaction

MANIFEST = ".ulasan-publish.json"


def write_site(out: Path, files: dict[str, bytes]) -> tuple[int, int, int]:
    """Write ``files`` under ``out``; (written, unchanged, removed)."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    before: list[str] = json.loads(manifest.read_text("utf-8")) if manifest.is_file() else []
    written = unchanged = removed = 0
    for relative, content in sorted(files.items()):
        path = out / relative
        if path.is_file() and path.read_bytes() == content:
            unchanged += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        temporary.write_bytes(content)
        temporary.replace(path)
        written += 1
    for relative in sorted(set(before) - set(files)):
        stale = out / relative
        if stale.is_file():
            stale.unlink()
            removed += 1
    manifest.write_text(json.dumps(sorted(files), indent=0) + "\n", "utf-8")
    return written, unchanged, removed


@click.command("publish")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder a web server serves (created when missing).",
)
def publish_command(out: Path) -> None:
    """Write the public site of every approved SKM period version into --out.

    Pages per unit, period and version (IKM, mutu, n, per service, the nine
    unsur, the trend), an index, and the same figures as JSON open data with
    their schema. No comment is ever published. Run it again (e.g. from cron
    or after each approval) to refresh the folder.
    """
    from scheduler.documents.public_site import site_files
    from scheduler.period_publication import all_editions

    settings = get_settings()
    editions = run_in_transaction(settings, lambda session: all_editions(session, settings))
    files = site_files(editions, settings.pemda_name)
    try:
        written, unchanged, removed = write_site(out, files)
    except OSError as exc:
        fail(f"--out: cannot write {out}: {exc.strerror or exc}")
    pages = sum(1 for name in files if name.endswith(".html") and "/v" in name)
    click.echo(
        f"Published {len(editions)} version(s) ({pages} page(s)) to {out}: "
        f"{written} file(s) written, {unchanged} unchanged, {removed} removed."
    )
    if not settings.public_base_url:
        click.echo("Note: PUBLIC_BASE_URL is not set; posters and channel posts link nowhere.")
