"""What a published period's documents say, in words and numbers, computed once for all forms.

The report (HTML for the PDF, and DOCX), the poster and the public page take
their tables and sentences from here, so each says the same thing in the same
words. The documents are Indonesian, in the regulation's terms (the office files
them and posts them at the counter); numbers use the decimal comma, at the
precision of the snapshot (IKM and NRR to 4 decimals, IKM konversi to 2), every
value recomputed from the snapshot's integer sums (`period_snapshot.group_result`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.clock import format_day
from bot.core.i18n import gettext_for
from scheduler.documents import period_snapshot as snap
from scheduler.documents.ikm_labels import profile_label, unsur_name
from scheduler.period_publication import Edition, TrendPoint
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import PROFILE_TITLES, UNSUR
from scheduler.scoring.skm_periods import classify
from storage.ikm_report import PROFILE_FIELDS

_ = gettext_for("id")
ROMAN = ("I", "II", "III", "IV")
NO_PLAN = (
    "Belum ada rencana tindak lanjut yang dicatat untuk periode ini. Rencana disusun dari "
    "unsur dengan nilai terendah dan dicatat bersama penanggung jawab dan waktunya."
)
NO_FORUM = "Tanggal Forum Konsultasi Publik yang membahas rencana ini belum dicatat."
NO_FOLLOWUP = "Belum ada laporan tindak lanjut rencana periode sebelumnya yang dicatat."
PLAN_HEADERS = ["No", "Unsur prioritas", "Program/kegiatan", "Waktu (TW)", "Penanggung jawab"]


def angka(value: Decimal | Fraction, places: int) -> str:
    """A number with the decimal comma, half-up to ``places`` decimals: ``87,04``."""
    return f"{skm.round_half_up(value, places):.{places}f}".replace(".", ",")


def percent(part: int, whole: int) -> str:
    return angka(Fraction(100 * part, whole), 2) + "%" if whole else "-"


def tanggal(day: date) -> str:
    return format_day(day, "id")


def waktu(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_day(local.date(), 'id')} pukul {local:%H.%M} ({timezone})"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # right-aligned columns


def period_label(edition: Edition) -> str:
    kind = classify(edition.first, edition.last)
    span = f"{tanggal(edition.first)} – {tanggal(edition.last)}"
    if kind.kind == "quarter":
        return f"Triwulan {ROMAN[kind.number - 1]} {kind.year} ({span})"
    if kind.kind == "semester":
        return f"Semester {ROMAN[kind.number - 1]} {kind.year} ({span})"
    if kind.kind == "year":
        return f"Tahun {kind.year} ({span})"
    return span


def version_label(edition: Edition) -> str:
    text = f"Versi {edition.version}"
    if edition.version > 1:
        text += f" (koreksi atas versi {edition.version - 1})"
    text += f", disetujui {waktu(edition.published_at, edition.timezone)}"
    return text + f"; data per {waktu(edition.as_of, edition.timezone)}"


def early_label(edition: Edition) -> str | None:
    if not edition.early:
        return None
    return (
        f"Disetujui lebih awal, sebelum periode berakhir pada {tanggal(edition.last)}: "
        "angka ini belum mencakup seluruh periode."
    )


def headline(group: dict[str, Any]) -> dict[str, str] | None:
    """IKM (1–4), IKM konversi, mutu and its label of a snapshot group; None when n = 0."""
    result = snap.group_result(group)
    if result is None:
        return None
    return {
        "ikm": angka(result.ikm, 4),
        "konversi": angka(result.konversi_rounded, 2),
        "mutu": result.mutu.code,
        "mutu_label": result.mutu.label_id,
    }


def sample_verdict(sample: dict[str, Any] | None) -> str:
    if sample is None:
        return "jumlah populasi belum diisi"
    if sample["sufficient"]:
        return "sampel memenuhi"
    return "sampel belum memenuhi"


def sample_table(figures: dict[str, Any]) -> Table:
    sample = figures["sample"]
    n = str(figures["overall"]["respondents"])
    if sample is None:
        rows = [["-", "-", n, sample_verdict(None)]]
    else:
        rows = [[str(sample["population"]), str(sample["minimum"]), n, sample_verdict(sample)]]
    headers = ["Populasi", "Sampel minimum (Krejcie–Morgan)", "Responden", "Keterangan"]
    return Table(headers, rows, frozenset({0, 1, 2}))


def schedule_table(edition: Edition) -> Table:
    rows = [
        [
            "Pengumpulan data (survei di loket melalui Telegram)",
            f"{tanggal(edition.first)} – {tanggal(edition.last)}",
            str(edition.working_days),
        ]
    ]
    if edition.cut_at is not None:
        rows.append(["Penutupan dan pengolahan data", waktu(edition.cut_at, edition.timezone), "-"])
    rows.append(
        [f"Persetujuan versi {edition.version}", waktu(edition.published_at, edition.timezone), "-"]
    )
    return Table(["Kegiatan", "Waktu", "Hari kerja"], rows, frozenset({2}))


def nrr_table(group: dict[str, Any]) -> Table:
    result = snap.group_result(group)
    rows = []
    for code in skm.UNSUR_CODES:
        if result is None:
            rows.append([code, unsur_name(code), "0", "-", "-"])
            continue
        rows.append(
            [
                code,
                unsur_name(code),
                str(result.sums[code]),
                angka(result.nrr[code], 4),
                angka(result.nrr_weighted[code], 4),
            ]
        )
    headers = ["Kode", "Unsur pelayanan", "Jumlah nilai", "NRR", "NRR tertimbang"]
    return Table(headers, rows, frozenset({2, 3, 4}))


def service_rows(figures: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for service in figures["services"]:
        shown = headline(service)
        out.append(
            {
                "code": service["code"],
                "name": service["name"],
                "n": str(service["respondents"]),
                "konversi": shown["konversi"] if shown else "-",
                "mutu": f"{shown['mutu']} ({shown['mutu_label']})" if shown else "-",
                "mutu_code": shown["mutu"] if shown else "-",
                "sample": sample_verdict(service["sample"]),
                "short": bool(service["sample"] and not service["sample"]["sufficient"]),
            }
        )
    return out


def service_table(figures: dict[str, Any]) -> Table:
    rows = [
        [s["code"], s["name"], s["n"], s["konversi"], s["mutu"], s["sample"]]
        for s in service_rows(figures)
    ]
    headers = ["Kode", "Layanan", "Responden", "IKM konversi", "Mutu", "Sampel"]
    return Table(headers, rows, frozenset({2, 3}))


def profile_tables(group: dict[str, Any]) -> list[tuple[str, Table]]:
    n = int(group["respondents"])
    out = []
    for name in PROFILE_FIELDS:
        counts: dict[str, int] = group["profile"][name]
        rows = [
            [_profile_value(name, key), str(count), percent(count, n)]
            for key, count in counts.items()
        ]
        out.append((_(PROFILE_TITLES[name]), Table(["", "Jumlah", "Persentase"], rows, {1, 2})))
    return out


def _profile_value(name: str, key: str) -> str:
    return profile_label(name, None if key == "not_answered" else key)


def ranked_unsur(figures: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(the three strongest, the snapshot's three weakest) unsur of the unit, each as
    "U7 Perilaku pelaksana (NRR 3,0000)"."""
    result = snap.group_result(figures["overall"])
    if result is None:
        return [], []

    def line(code: str) -> str:
        return f"{code} {unsur_name(code)} (NRR {angka(result.nrr[code], 4)})"

    order = sorted(skm.UNSUR_CODES, key=lambda c: (-result.nrr[c], c))
    return [line(c) for c in order[:3]], [line(w["code"]) for w in figures["weakest_three"]]


def trend_rows(points: tuple[TrendPoint, ...]) -> Table:
    rows = [
        [
            p.name,
            str(p.version),
            str(p.respondents),
            angka(p.ikm, 4) if p.ikm is not None else "-",
            angka(p.konversi, 2) if p.konversi is not None else "-",
            p.mutu or "-",
        ]
        for p in points
    ]
    headers = ["Periode", "Versi", "Responden", "IKM", "IKM konversi", "Mutu"]
    return Table(headers, rows, frozenset({1, 2, 3, 4}))


def plan_table(edition: Edition) -> Table:
    rows = [
        [
            str(i),
            f"{line.unsur} {unsur_name(line.unsur)}",
            line.activity or "-",
            line.quarter,
            line.responsible,
        ]
        for i, line in enumerate(edition.plan, start=1)
    ]
    return Table(PLAN_HEADERS, rows, frozenset({0}))


STATUS_WORDS = {
    "belum_mulai": "belum dimulai",
    "berjalan": "sedang berjalan",
    "selesai": "selesai",
    "batal": "dibatalkan",
}


def plan_status(status: str, verified: bool) -> str:
    """A line's status as the public reads it: ``selesai, diverifikasi kepala unit``."""
    words = STATUS_WORDS.get(status, status)
    return words + ", diverifikasi kepala unit" if verified else words


def live_plan(edition: Edition) -> dict[str, Any] | None:
    """The public page's "Kami mendengar, kami bertindak": the unit's plan for the period as it
    stands (each line's status), dated by its last change; None without a plan."""
    if edition.plan_as_of is None:
        return None
    local = edition.plan_as_of.astimezone(ZoneInfo(edition.timezone)).date()
    return {
        "as_of": tanggal(local),
        "forum": tanggal(edition.forum_date) if edition.forum_date else None,
        "rows": [
            {
                "code": line.unsur,
                "unsur": f"{line.unsur} {unsur_name(line.unsur)}",
                "activity": line.activity or "-",
                "when": line.quarter,
                "status": plan_status(line.status, line.verified),
                "done": line.status == "selesai",
            }
            for line in edition.plan
        ],
    }


def followup_lines(edition: Edition) -> list[str]:
    """Annex: the previous plan's lines, each with its status and its unsur's NRR then and now."""
    if not edition.previous_followup:
        return [NO_FOLLOWUP]
    out = [f"Rencana tindak lanjut periode {edition.previous_plan_period}:"]
    for line in edition.previous_followup:
        status = plan_status(line.status, line.verified)
        before = angka(line.before, 4) if line.before is not None else "-"
        after = angka(line.after, 4) if line.after is not None else "-"
        out.append(
            f"{line.unsur} {unsur_name(line.unsur)}: {line.activity or '-'} ({status}); "
            f"NRR {before} → {after}"
        )
    return out


def forum_sentence(edition: Edition) -> str:
    if edition.forum_date is None:
        return NO_FORUM
    return (
        "Rencana tindak lanjut ini telah dibahas bersama perwakilan pengguna layanan dalam "
        f"Forum Konsultasi Publik pada {tanggal(edition.forum_date)}."
    )


def tabulation_table(figures: dict[str, Any]) -> Table:
    """Annex: the sum of scores per unsur, per service and for the unit (n in the header)."""
    groups = [(s["code"], s) for s in figures["services"]] + [("Unit", figures["overall"])]
    headers = ["Unsur"] + [f"{code} (n={g['respondents']})" for code, g in groups]
    rows = [[code] + [str(g["sums"][code]) for _code, g in groups] for code in skm.UNSUR_CODES]
    return Table(headers, rows, frozenset(range(1, len(headers))))


def questionnaire() -> list[tuple[str, str, list[str]]]:
    """Annex: (code and unsur, question, the four answers from 1 to 4)."""
    return [
        (
            f"{u.code} {_(u.name)}",
            _(u.question),
            [f"{i}. {_(o)}" for i, o in enumerate(u.options, 1)],
        )
        for u in UNSUR
    ]


def _konversi_of(value: float | None) -> str:
    return "-" if value is None else angka(Decimal(str(value)), 2)


def change_lines(edition: Edition) -> list[str]:
    """What a correction changed against the version before (none for version 1)."""
    return [
        f"Perubahan dari versi {c['from_version']}: {c['entered']} jawaban masuk, "
        f"{c['left']} keluar; responden {c['respondents'][0]} → {c['respondents'][1]}; "
        f"IKM konversi {_konversi_of(c['konversi'][0])} → {_konversi_of(c['konversi'][1])}"
        for c in edition.changes
    ]


def text_values(edition: Edition) -> dict[str, Any]:
    """The values a report text (`report_texts`) may use."""
    shown = headline(edition.figures["overall"])
    strongest, weakest = ranked_unsur(edition.figures)
    return {
        "unit_name": edition.unit_name,
        "unit_code": edition.unit_code,
        "pemda_name": edition.pemda_name,
        "period_name": edition.period_name,
        "period": period_label(edition),
        "version": edition.version,
        "respondents": edition.figures["overall"]["respondents"],
        "ikm": shown["ikm"] if shown else "-",
        "ikm_konversi": shown["konversi"] if shown else "-",
        "mutu": shown["mutu"] if shown else "-",
        "mutu_label": shown["mutu_label"] if shown else "-",
        "weakest": "; ".join(weakest),
        "strongest": "; ".join(strongest),
    }
