"""Where each published page and data file lives in the public site (``ulasan publish``).

The addresses are printed on posters as QR codes and posted to channels, so they
must never change once a version exists: a unit's folder is its code, a
period's is its name made safe for a URL, both lower case; a period whose safe
name another, older period already has gets its id appended (the older keeps
the plain one). Every version has its own page, ``v<N>.html``; the period's
``index.html`` is its latest version.
"""

from __future__ import annotations

from collections.abc import Iterable

from scheduler.documents.file_names import file_safe

DATA = "data"
SCHEMA = "schema.json"


def unit_slug(code: str) -> str:
    return file_safe(code).lower()


def period_slugs(periods: Iterable[tuple[int, str]]) -> dict[int, str]:
    """``{period id: folder}`` for (id, name) pairs; the older period keeps a shared name."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    for period_id, name in sorted(periods):
        slug = file_safe(name).lower()
        if slug in taken:
            slug = f"{slug}-{period_id}"
        taken.add(slug)
        out[period_id] = slug
    return out


def version_page(unit_code: str, period_slug: str, version: int) -> str:
    return f"{unit_slug(unit_code)}/{period_slug}/v{version}.html"


def latest_page(unit_code: str, period_slug: str) -> str:
    return f"{unit_slug(unit_code)}/{period_slug}/"


def version_data(unit_code: str, period_slug: str, version: int) -> str:
    return f"{DATA}/{unit_slug(unit_code)}/{period_slug}/v{version}.json"


def public_url(base: str, path: str) -> str:
    """``base`` (PUBLIC_BASE_URL) joined with a site path."""
    return base.rstrip("/") + "/" + path
