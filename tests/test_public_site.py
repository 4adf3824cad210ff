"""The public site (``ulasan publish --out DIR``): a page per unit, period and version, an
index, and the same figures as open data valid against their documented schema; loaded from
disk in the distribution's headless Chromium at phone and desktop widths, the figures read
from the rendered page. No comment is ever published."""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bot.core.clock import ManualClock
from tests.support.period_world import Cli, PeriodWorld, at, in_db, seed_period_world
from tests.support.publication_world import (
    COMMENT,
    Published,
    ikm_text,
    konversi_text,
    plan,
    publish_world,
    snapshot,
)
from tests.support.render_checks import browser


@pytest.fixture
def ulasan(migrated: str, tmp_path: Path) -> Cli:
    cli = Cli(migrated, tmp_path, ManualClock(at(2025, 10, 1)))
    cli.env["PUBLIC_BASE_URL"] = "https://skm.harapankota.go.id/"
    cli.env["PEMDA_NAME"] = "Pemerintah Kota Harapan"
    return cli


@pytest.fixture
def world(migrated: str) -> PeriodWorld:
    return in_db(migrated, seed_period_world)


@pytest.fixture
def published(ulasan: Cli, migrated: str, world: PeriodWorld) -> Published:
    return publish_world(ulasan, migrated, world)


def slug(name: str) -> str:
    return name.replace(" ", "-").lower()


def test_publish_writes_pages_and_open_data_with_the_approved_figures(
    ulasan: Cli, published: Published, tmp_path: Path
):
    site = tmp_path / "site"
    said = ulasan.ok("publish", "--out", str(site))
    assert f"Published {len(published.versions)} version(s)" in said
    schema = json.loads((site / "data" / "schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    listed = json.loads((site / "data" / "index.json").read_text("utf-8"))["versions"]
    assert sorted((v["period"], v["unit"], v["version"]) for v in listed) == published.versions
    for item in listed:
        data = json.loads((site / item["data"]).read_text("utf-8"))
        validator.validate(data)
        figures = snapshot(ulasan, item["period"], item["unit"], item["version"])
        for key in ("respondents", "sums", "nrr", "ikm", "konversi", "mutu"):
            assert data["overall"][key] == figures["overall"][key], (item, key)
        assert [s["respondents"] for s in data["services"]] == [
            s["respondents"] for s in figures["services"]
        ]
        page = (site / item["page"]).read_text("utf-8")
        if figures["overall"]["respondents"]:
            assert f'data-figure="konversi">{konversi_text(figures["overall"])}<' in page
            assert f'data-figure="ikm">{ikm_text(figures["overall"])}<' in page
    # TW I of Disdukcapil: version 2 is the period's page, version 1 says there is a newer one.
    folder = site / "dukcapil" / slug("TW I 2026")
    assert (folder / "index.html").read_bytes() == (folder / "v2.html").read_bytes()
    assert 'Versi terbaru: <a href="v2.html">versi 2</a>' in (folder / "v1.html").read_text()
    # KTP's population is 3 and TW I has fewer KTP respondents: said on the page.
    assert "sampel belum memenuhi" in (folder / "v2.html").read_text()
    everything = b"".join(p.read_bytes() for p in site.rglob("*") if p.is_file())
    assert COMMENT.encode() not in everything and b'"comments"' not in everything
    again = ulasan.ok("publish", "--out", str(site))
    assert "0 file(s) written" in again and "0 removed" in again  # the same bytes


def test_the_page_shows_the_live_follow_up_plan_dated_by_its_last_change(
    ulasan: Cli, published: Published, world: PeriodWorld, migrated: str, tmp_path: Path
):
    """ "Kami mendengar, kami bertindak": the plan of the period with each line's status, as of
    its last change; a unit without a plan says so; nothing changes when the plan did not."""
    from storage import periods, rtl
    from storage.db import SessionFactory
    from storage.rtl_models import DONE

    plan(migrated, "TW I 2026", world.unit_id, world.head_id,
         [("U7", "Pelatihan layanan prima"), ("U3", "Standar waktu di loket")],
         forum="2026-07-10")  # fmt: skip
    site = tmp_path / "site"
    ulasan.ok("publish", "--out", str(site))
    page = (site / "dukcapil" / slug("TW I 2026") / "index.html").read_text("utf-8")
    assert "Kami mendengar, kami bertindak" in page
    assert "keadaan per <span data-plan-as-of>3 Juli 2026</span>" in page
    assert "Forum Konsultasi Publik 10 Juli 2026" in page
    assert (
        "<td>U7 Perilaku pelaksana</td><td>Pelatihan layanan prima</td><td>TW III 2026</td>" in page
    )
    assert page.count('data-figure="status">belum dimulai<') == 2
    # Both versions of the period show the same live plan.
    v1 = (site / "dukcapil" / slug("TW I 2026") / "v1.html").read_text("utf-8")
    assert "Pelatihan layanan prima" in v1
    other = (site / "perpus" / slug("TW II 2026") / "v1.html").read_text("utf-8")
    assert "Rencana tindak lanjut periode ini belum dicatat." in other

    async def finish(sessions: SessionFactory) -> None:
        async with sessions.begin() as session:
            period = await periods.period_named(session, "TW I 2026")
            first = (await rtl.plan_lines(session, world.unit_id, period.id))[0]
            await rtl.set_status(
                session, first.id, DONE, reason=None, actor="o", now=at(2026, 8, 20)
            )
            assert await rtl.verify(session, first.id, actor="head", now=at(2026, 8, 21))

    in_db(migrated, finish)
    said = ulasan.ok("publish", "--out", str(site))
    assert "0 removed" in said and "0 file(s) written" not in said
    page = (site / "dukcapil" / slug("TW I 2026") / "index.html").read_text("utf-8")
    assert "keadaan per <span data-plan-as-of>21 Agustus 2026</span>" in page
    assert 'data-figure="status">✓ selesai, diverifikasi kepala unit<' in page
    assert page.count('data-figure="status">belum dimulai<') == 1
    assert "0 file(s) written" in ulasan.ok("publish", "--out", str(site))


def test_the_poster_qr_and_the_site_agree_on_the_address(
    ulasan: Cli, published: Published, tmp_path: Path
):
    from scheduler.documents.site_paths import period_slugs

    slugs = period_slugs([(1, "TW I 2026"), (2, "TW I/2026"), (3, "tw i 2026")])
    assert slugs == {1: "tw-i-2026", 2: "tw-i-2026-2", 3: "tw-i-2026-3"}
    ulasan.ok("publish", "--out", str(tmp_path / "site"))
    page = tmp_path / "site" / "perpus" / slug("TW II 2026") / "v1.html"
    assert page.is_file()


class Figures(HTMLParser):
    """Text of every element with a ``data-figure``, with the row's data-* it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str], str, str]] = []
        self._row: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "tr":
            self._row = {k: v for k, v in values.items() if k.startswith("data-")}
        if "data-figure" in values:
            self._open = values["data-figure"]

    def handle_data(self, data: str) -> None:
        if self._open is not None and data.strip():
            self.found.append((dict(self._row), self._open, data.strip()))
            self._open = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = {}


def chromium(*args: str) -> str:
    done = subprocess.run(
        [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def rendered(page: Path, width: int, height: int, shot: Path) -> list[tuple[dict, str, str]]:
    url = page.as_uri()
    chromium(f"--window-size={width},{height}", f"--screenshot={shot}", url)
    assert shot.is_file() and shot.stat().st_size > 5000
    parser = Figures()
    parser.feed(chromium(f"--window-size={width},{height}", "--dump-dom", url))
    return parser.found


@pytest.mark.render
def test_the_site_in_a_real_browser_at_phone_and_desktop_widths(
    ulasan: Cli, published: Published, world: PeriodWorld, migrated: str, tmp_path: Path
):
    plan(migrated, "TW I 2026", world.unit_id, world.head_id, [("U7", "Pelatihan layanan prima")])
    site = tmp_path / "site"
    ulasan.ok("publish", "--out", str(site))
    shots = tmp_path / "screenshots"
    shots.mkdir()
    v1, v2 = (snapshot(ulasan, "TW I 2026", "DUKCAPIL", v) for v in (1, 2))
    folder = site / "dukcapil" / slug("TW I 2026")
    for width, height, label in ((390, 1600, "phone"), (1280, 1400, "desktop")):
        for page, figures in ((folder / "v1.html", v1), (folder / "index.html", v2)):
            found = rendered(
                page, width, height, shots / f"{label}-{page.parent.name}-{page.stem}.png"
            )
            top = {name: text for row, name, text in found if not row}
            assert top["konversi"] == konversi_text(figures["overall"]), (label, page)
            assert top["ikm"] == ikm_text(figures["overall"])
            assert top["respondents"] == str(figures["overall"]["respondents"])
            nrr = {row["data-unsur"]: text for row, name, text in found if name == "nrr"}
            assert nrr == {
                code: f"{value:.4f}".replace(".", ",")
                for code, value in figures["overall"]["nrr"].items()
            }
            services = {
                row["data-service"]: text
                for row, name, text in found
                if name == "respondents" and "data-service" in row
            }
            assert services == {s["code"]: str(s["respondents"]) for s in figures["services"]}
            plan_rows = {row["data-plan"]: text for row, name, text in found if name == "status"}
            assert plan_rows == {"U7": "belum dimulai"}, (label, page)
        index = rendered(site / "index.html", width, height, shots / f"{label}-site-index.png")
        shown = {
            (row["data-unit"], row["data-period"]): text
            for row, name, text in index
            if name == "konversi"
        }
        assert shown[("DUKCAPIL", "TW I 2026")] == konversi_text(v2["overall"])
    print(f"\nscreenshots: {shots}")
