"""The public site of published SKM periods (``ulasan publish --out DIR``): HTML, CSS, JSON.

A static folder any web server can serve, readable on a phone, with no script:

- ``index.html``: every unit with its approved periods (the latest version's
  IKM konversi, mutu, n), linking to each period's page;
- ``<unit>/<period>/v<N>.html``: one page per version (IKM, mutu, n and the
  sample, each service with n and "sampel belum memenuhi" below the minimum,
  the nine unsur, the trend, what a correction changed, links to the other
  versions, and "Kami mendengar, kami bertindak": the unit's follow-up plan for
  the period with each line's status, dated by the plan's last change — the one
  live part of a page, since the plan moves after approval);
  ``<unit>/<period>/index.html`` is the latest version;
- ``data/<unit>/<period>/v<N>.json``: the same figures as open data
  (`open_data`), ``data/index.json`` listing them, ``data/schema.json`` their
  documented JSON Schema;
- ``style.css``.

The addresses are `site_paths`'s, the same that posters print as QR codes.
No comment, comment count, profile or levy signal is ever written. Nothing
carries the time of generation, so publishing the same versions again writes
the same bytes. Words and numbers come from `period_view`, as in the report.
"""

from __future__ import annotations

from typing import Any

from scheduler.documents import open_data, report_texts, site_paths
from scheduler.documents import period_view as view
from scheduler.documents.period_poster import bars
from scheduler.period_publication import Edition

ROOT_FROM_PAGE = "../../"


def _data_path(edition: Edition) -> str:
    period_slug = edition.page_path.split("/")[1]
    return site_paths.version_data(edition.unit_code, period_slug, edition.version)


def _page_values(edition: Edition, versions: list[Edition]) -> dict[str, Any]:
    figures = edition.figures
    sample = figures["sample"]
    latest = versions[-1].version
    return {
        "pemda": edition.pemda_name,
        "unit_name": edition.unit_name,
        "period_name": edition.period_name,
        "period": view.period_label(edition),
        "version": edition.version,
        "version_label": view.version_label(edition),
        "changes": view.change_lines(edition),
        "early": view.early_label(edition),
        "headline": view.headline(figures["overall"]),
        "respondents": figures["overall"]["respondents"],
        "sample": view.sample_verdict(sample)
        if sample is None or sample["sufficient"]
        else f"minimum {sample['minimum']} dari populasi {sample['population']}",
        "sample_short": bool(sample and not sample["sufficient"]),
        "services": view.service_rows(figures),
        "bars": bars(figures),
        "trend": view.trend_rows(edition.trend).rows,
        "plan": view.live_plan(edition),
        "newer": latest if latest != edition.version else None,
        "newer_href": f"v{latest}.html",
        "older": [
            (v.version, f"v{v.version}.html") for v in versions if v.version != edition.version
        ],
        "data_href": ROOT_FROM_PAGE + _data_path(edition),
    }


def _index_values(groups: dict[tuple[str, int], list[Edition]]) -> list[dict[str, Any]]:
    units: dict[str, dict[str, Any]] = {}
    for versions in groups.values():
        latest = versions[-1]
        shown = view.headline(latest.figures["overall"])
        unit = units.setdefault(
            latest.unit_code,
            {
                "code": latest.unit_code,
                "slug": site_paths.unit_slug(latest.unit_code),
                "name": latest.unit_name,
                "rows": [],
            },
        )
        unit["rows"].append(
            {
                "period": latest.period_name,
                "href": latest.page_path.rsplit("/", 1)[0] + "/",
                "konversi": shown["konversi"] if shown else "-",
                "mutu": f"{shown['mutu']} ({shown['mutu_label']})" if shown else "-",
                "n": latest.figures["overall"]["respondents"],
                "version": latest.version,
                "last": latest.last,
            }
        )
    for unit in units.values():
        unit["rows"].sort(key=lambda r: r["last"], reverse=True)  # the newest period first
    return [units[code] for code in sorted(units)]


def site_files(editions: list[Edition], pemda: str) -> dict[str, bytes]:
    """Every file of the site by its path, from every approved version."""
    env = report_texts.environment()
    groups: dict[tuple[str, int], list[Edition]] = {}
    for edition in editions:
        groups.setdefault((edition.unit_code, edition.period_id), []).append(edition)
    files: dict[str, bytes] = {"style.css": report_texts.packaged("site.css").encode()}
    page = env.get_template("site_page.html")
    listing = []
    for versions in groups.values():
        versions.sort(key=lambda e: e.version)
        for edition in versions:
            html = page.render(p=_page_values(edition, versions), root=ROOT_FROM_PAGE).encode()
            files[edition.page_path] = html
            if edition is versions[-1]:
                files[edition.page_path.rsplit("/", 1)[0] + "/index.html"] = html
            data = open_data.version_json(edition)
            data_path = _data_path(edition)
            files[data_path] = open_data.dumps(data)
            listing.append(_listing(edition, data_path, versions[-1].version))
    index = env.get_template("site_index.html").render(
        units=_index_values(groups), pemda=pemda, root=""
    )
    files["index.html"] = index.encode()
    files[f"{site_paths.DATA}/index.json"] = open_data.dumps(
        {"dataset": open_data.DATASET, "schema": site_paths.SCHEMA, "versions": listing}
    )
    files[f"{site_paths.DATA}/{site_paths.SCHEMA}"] = open_data.schema_text().encode()
    return files


def _listing(edition: Edition, data_path: str, latest: int) -> dict[str, Any]:
    return {
        "unit": edition.unit_code,
        "period": edition.period_name,
        "version": edition.version,
        "latest": edition.version == latest,
        "page": edition.page_path,
        "data": data_path,
    }
