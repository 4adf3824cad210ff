"""The documents of a published SKM period (``ulasan period report``): the Laporan Pelaksanaan
SKM as DOCX and PDF and the A4 poster, each read back as a person would (python-docx, the
PDF's text with pypdf, the poster's PNG), showing the approved version's IKM to the last
digit, and the same text every time they are made."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from PIL import Image
from pypdf import PdfReader

from bot.core.clock import ManualClock
from tests.support.period_world import Cli, PeriodWorld, at, in_db, seed_period_world
from tests.support.publication_world import (
    Published,
    ikm_text,
    konversi_text,
    plan,
    publish_world,
    snapshot,
)


@pytest.fixture
def ulasan(migrated: str, tmp_path: Path) -> Cli:
    return Cli(migrated, tmp_path, ManualClock(at(2025, 10, 1)))


@pytest.fixture
def published(ulasan: Cli, migrated: str) -> Published:
    world: PeriodWorld = in_db(migrated, seed_period_world)
    return publish_world(ulasan, migrated, world)


def pdf_text(path: Path) -> str:
    """The PDF's text with every run of white space as one space (lines wrap anywhere)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def docx_text(path: Path) -> str:
    document = Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def report(ulasan: Cli, out: Path, name: str, unit: str, fmt: str, version: int | None = None):
    args = ["period", "report", name, "--unit", unit, "--format", fmt, "--out", str(out)]
    if version is not None:
        args += ["--version", str(version)]
    return ulasan.ok(*args)


CHECKED = (
    ("TW I 2026", "DUKCAPIL", 1),
    ("TW I 2026", "DUKCAPIL", 2),
    ("TW II 2026", "DUKCAPIL", 1),
    ("TW I 2026", "PERPUS", 1),
)


@pytest.mark.render
def test_the_report_pdf_and_the_poster_show_the_approved_ikm_and_never_change(
    ulasan: Cli, published: Published, tmp_path: Path
):
    assert ("TW I 2026", "DUKCAPIL", 2) in published.versions
    for name, unit, version in CHECKED:
        figures = snapshot(ulasan, name, unit, version)
        konversi, ikm = konversi_text(figures["overall"]), ikm_text(figures["overall"])
        pdf = tmp_path / f"{unit}-{version}-{name}.pdf"
        said = report(ulasan, pdf, name, unit, "pdf", version)
        assert f"version {version}: IKM konversi {konversi}" in said
        text = pdf_text(pdf)
        assert f"IKM {konversi}" in text and f"Nilai IKM unit: {ikm}" in text, (name, unit)
        assert f"Versi {version}" in text
        for heading in ("BAB I Pendahuluan", "BAB II Pengumpulan Data", "BAB III Hasil",
                        "BAB IV Analisis", "BAB V Kesimpulan", "Lampiran 1 Kuesioner"):  # fmt: skip
            assert heading in text
        again = tmp_path / "again.pdf"
        report(ulasan, again, name, unit, "pdf", version)
        assert again.read_bytes() == pdf.read_bytes()  # the version's time, not today's

        poster = tmp_path / f"poster-{unit}-{version}.pdf"
        report(ulasan, poster, name, unit, "poster", version)
        poster_text = pdf_text(poster)
        assert konversi in poster_text and f"Periode {name}" in poster_text
        png = Image.open(poster.with_suffix(".png"))
        assert png.format == "PNG" and abs(png.height / png.width - 297 / 210) < 0.01
    print(f"\nposter PNG: {poster.with_suffix('.png')}")


@pytest.mark.render
def test_a_version_2_says_what_it_corrects_and_the_trend_keeps_its_moment(
    ulasan: Cli, published: Published, tmp_path: Path
):
    v1, v2 = (snapshot(ulasan, "TW I 2026", "DUKCAPIL", v) for v in (1, 2))
    assert v1["overall"]["respondents"] == v2["overall"]["respondents"] + 1
    report(ulasan, tmp_path / "v2.pdf", "TW I 2026", "DUKCAPIL", "pdf")  # the latest: 2
    text = pdf_text(tmp_path / "v2.pdf")
    assert "Versi 2 (koreksi atas versi 1)" in text
    assert "responden 4 → 3" in text
    assert f"{konversi_text(v1['overall'])} → {konversi_text(v2['overall'])}" in text
    # TW II was approved before TW I's correction: its trend still shows TW I's version 1.
    report(ulasan, tmp_path / "tw2.pdf", "TW II 2026", "DUKCAPIL", "pdf")
    trend = pdf_text(tmp_path / "tw2.pdf").split("4.3 Tren nilai SKM")[1]
    assert f"TW I 2026 1 {v1['overall']['respondents']}" in trend
    assert "TW IV 2025 1" in trend


def test_the_docx_reads_back_with_the_same_figures_every_time(
    ulasan: Cli, published: Published, tmp_path: Path
):
    for name, unit, version in CHECKED:
        figures = snapshot(ulasan, name, unit, version)
        out = tmp_path / f"{unit}-{version}.docx"
        report(ulasan, out, name, unit, "docx", version)
        text = docx_text(out)
        assert f"IKM {konversi_text(figures['overall'])}" in text
        assert f"Nilai IKM unit: {ikm_text(figures['overall'])}" in text
        for heading in ("BAB I Pendahuluan", "4.2 Rencana tindak lanjut", "Lampiran 2"):
            assert heading in text
        for column in ("No", "Unsur prioritas", "Program/kegiatan", "Penanggung jawab"):
            assert column in text  # the plan's headings, before any plan exists
        again = tmp_path / "again.docx"
        report(ulasan, again, name, unit, "docx", version)
        assert docx_text(again) == text
        created = Document(str(out)).core_properties.created
        assert created is not None and created.year == 2026 and created.month in (4, 7)


def test_an_office_overrides_a_text_from_its_home_and_a_broken_one_is_one_line(
    ulasan: Cli, published: Published, tmp_path: Path
):
    home = tmp_path / "home"
    (home / "templates").mkdir(parents=True)
    ulasan.env["ULASAN_HOME"] = str(home)
    (home / "templates" / "laporan_kesimpulan.txt").write_text(
        "Kesimpulan kantor: IKM {{ unit_name }} {{ ikm_konversi }} ({{ mutu }}).\n", "utf-8"
    )
    (home / "templates" / "laporan_dasar_hukum.txt").write_text(
        "# kantor\nPeraturan Wali Kota Harapan Nomor 7 Tahun 2025\n", "utf-8"
    )
    out = tmp_path / "kantor.docx"
    report(ulasan, out, "TW I 2026", "PERPUS", "docx")
    text = docx_text(out)
    konversi = konversi_text(snapshot(ulasan, "TW I 2026", "PERPUS", 1)["overall"])
    assert f"Kesimpulan kantor: IKM Dinas Perpustakaan {konversi} (" in text
    assert "Peraturan Wali Kota Harapan Nomor 7 Tahun 2025" in text
    assert "Peraturan Pemerintah Nomor 96 Tahun 2012" not in text
    (home / "templates" / "laporan_kesimpulan.txt").write_text("IKM {{ nilai }}\n", "utf-8")
    broken = ulasan("period", "report", "TW I 2026", "--unit", "PERPUS", "--format", "docx")
    assert broken.exit_code == 1
    assert "laporan_kesimpulan.txt" in broken.stderr and "nilai" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1


def test_documents_come_only_from_an_approved_version(ulasan: Cli, published: Published):
    ulasan.ok("period", "open", "TW III 2026", "--from", "2026-07-01", "--to", "2026-09-30")
    refusals = (
        (("TW III 2026", "--unit", "DUKCAPIL"), "is not approved for DUKCAPIL yet"),
        (("TW I 2026", "--unit", "DUKCAPIL", "--version", "3"), "has no version 3"),
        (("TW I 2026", "--unit", "NOPE"), "unknown unit code"),
        (("Nope", "--unit", "DUKCAPIL"), "Nope"),
    )
    for args, message in refusals:
        done = ulasan("period", "report", *args, "--format", "docx")
        assert done.exit_code == 1 and message in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1


def test_the_follow_up_plan_fills_the_report_and_last_periods_plan_its_annex(
    ulasan: Cli, migrated: str, tmp_path: Path
):
    world: PeriodWorld = in_db(migrated, seed_period_world)
    publish_world(ulasan, migrated, world)
    plan(migrated, "TW I 2026", world.unit_id, world.head_id,
         [("U7", "Pelatihan layanan prima untuk petugas loket")], forum="2026-07-10")  # fmt: skip
    out = tmp_path / "tw1.docx"
    report(ulasan, out, "TW I 2026", "DUKCAPIL", "docx")
    text = docx_text(out)
    assert "Pelatihan layanan prima untuk petugas loket" in text
    assert "U7 Perilaku pelaksana" in text and "TW III 2026" in text
    assert "Forum Konsultasi Publik pada 10 Juli 2026" in text
    assert "Belum ada rencana tindak lanjut" not in text
    # The next period's report carries the plan's outcome in its annex.
    out = tmp_path / "tw2.docx"
    report(ulasan, out, "TW II 2026", "DUKCAPIL", "docx")
    text = docx_text(out)
    assert "Rencana tindak lanjut periode TW I 2026:" in text
    tw1, tw2 = (
        snapshot(ulasan, n, "DUKCAPIL", v) for n, v in (("TW I 2026", 2), ("TW II 2026", 1))
    )
    before, after = (f"{s['overall']['nrr']['U7']:.4f}".replace(".", ",") for s in (tw1, tw2))
    assert (
        f"U7 Perilaku pelaksana: Pelatihan layanan prima untuk petugas loket (belum dimulai); "
        f"NRR {before} → {after}" in text
    )
