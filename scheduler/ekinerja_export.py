"""The e-Kinerja export: a period's SKP lines and core values with the feedback given.

BKN's e-Kinerja has no API: integration means files whose columns match the
regulation's evaluation form (PermenPANRB 6/2022's annex) and text ready to
paste. Per employee with a card in the period, one row per SKP line of the
period's year (aspek *Hasil Kerja*) and one per core value (aspek *Perilaku
Kerja*), in the form's Indonesian columns (`COLUMNS`):

- *Realisasi berdasarkan bukti dukung*: the employee's ``/capaian``
  achievements on that SKP line in the period, and the card's supervisor's
  ``/catat`` notes tied to that line or value;
- *Umpan balik berkelanjutan berdasarkan bukti dukung*: the feedback lines,
  each with its rating (Di atas / Sesuai / Di bawah ekspektasi);
- *Ekspektasi khusus pimpinan*: the supervisor's ``/ekspektasi`` for that
  line or value in the period's year;
- *Bukti dukung*: what the card showed as evidence — citizens' U6/U7 with n
  (Berorientasi Pelayanan, only from ``FEEDBACK_MIN_CITIZENS`` answers),
  praise, the last closed 360° figure per value as released;
- the recommended perilaku rating, always labelled "rekomendasi untuk
  Pejabat Penilai Kinerja" (never a rating, never written anywhere official).

The same rows make each subordinate's ready-to-paste text block
(`text_block`). The texts are the regulation's Indonesian, as in the form.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.feedback_cards import card_content
from scheduler.messages.limits import shorten
from scheduler.messages.review_reports import figure_text, number
from scheduler.scoring import skm
from scheduler.scoring.review_instrument import Expectation
from scheduler.scoring.review_math import Figure, Group
from scheduler.scoring.shipped_instruments import BERAKHLAK_ITEMS
from storage import ekinerja, feedback_cards
from storage.directory import accounts_by_employee
from storage.outbox import MAX_TEXT, enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.performance_models import (
    Achievement,
    FeedbackCard,
    FeedbackEntry,
    PerformanceExpectation,
    PerformanceNote,
    SkpLine,
)
from storage.preferences import language_of

KIND = "ekinerja_block"
IKM = "ikm"  # the evidence key of a head's unit IKM
HASIL, PERILAKU = "Hasil Kerja", "Perilaku Kerja"
RECOMMENDATION = "rekomendasi untuk Pejabat Penilai Kinerja"
COLUMNS = (
    "NIP",
    "Nama",
    "Unit",
    "Periode",
    "NIP Pejabat Penilai Kinerja",
    "Pejabat Penilai Kinerja",
    "Aspek",
    "Perspektif",
    "Rencana Hasil Kerja / Perilaku Kerja",
    "Indikator",
    "Target",
    "Realisasi berdasarkan bukti dukung",
    "Umpan balik berkelanjutan berdasarkan bukti dukung",
    "Ekspektasi khusus pimpinan",
    "Bukti dukung",
    "Dialog kinerja",
    f"Rekomendasi perilaku kerja ({RECOMMENDATION})",
)
_ID = gettext_for("id")


@dataclass
class Row:
    values: dict[str, str] = field(default_factory=dict)

    def cells(self) -> list[str]:
        return [self.values.get(column, "") for column in COLUMNS]


def _feedback(entries: list[FeedbackEntry]) -> str:
    return "; ".join(f"{Expectation(e.rating).label_id}: {e.text}" for e in entries)


def _achievements(items: list[Achievement]) -> str:
    kinds = {"photo": "foto", "document": "dokumen"}
    return "; ".join(
        f"Capaian: {item.caption} ({item.link or kinds.get(item.kind, item.kind)})"
        for item in items
    )


def _expected(items: list[PerformanceExpectation]) -> str:
    return "; ".join(item.text for item in items)


def _realisasi(achieved: str, noted: str) -> str:
    return "; ".join(part for part in (achieved, noted) if part)


def _notes(notes: list[PerformanceNote], tz: tzinfo) -> str:
    parts = []
    for note in notes:
        day = note.created_at.astimezone(tz).date().isoformat()
        body = note.text or ""
        if note.photo_file_id:
            body = f"(foto) {body}".strip()
        parts.append(f"{day}: {body}")
    return "; ".join(parts)


async def _evidence(
    session: AsyncSession, settings: Settings, card: FeedbackCard
) -> dict[str, str]:
    """Core value code → the evidence text of its row; "" → the recommendation; `IKM` →
    the IKM of the units a head heads (also on their SKP lines that name the IKM)."""
    content = await card_content(session, settings, card)
    out: dict[str, str] = {}
    citizens = content.citizens
    if citizens.u6 is not None and citizens.u7 is not None:
        u6 = number(float(skm.round_half_up(citizens.u6, 2)), "id")
        u7 = number(float(skm.round_half_up(citizens.u7, 2)), "id")
        out["B1"] = (
            f"Warga (kode QR petugas): n={citizens.n}, U6 {u6}, U7 {u7}; pujian {content.praise}"
        )
    elif citizens.n:
        out["B1"] = (
            f"Warga (kode QR petugas): n={citizens.n} "
            f"(di bawah minimum {citizens.minimum}); pujian {content.praise}"
        )
    units = [
        f"IKM {u.code}: {number(float(u.result.konversi_rounded), 'id')} "
        f"(mutu {u.result.mutu.code}), n={u.n}"
        for u in content.units
        if u.result is not None
    ]
    if units:  # a unit head: the SKM is the public's formal evidence (kinerja.md)
        out[IKM] = "; ".join(units)
        out["B1"] = f"{out['B1']}; {out[IKM]}" if "B1" in out else out[IKM]
    results = content.review
    if results is not None:
        others = results.result.groups[Group.OTHERS].items
        for code in results.result.item_codes:
            cell = others[code]
            if isinstance(cell, Figure):
                shown = figure_text(cell, _ID, "id", results.result.min_raters)
                line = f"360° {results.cycle.name} (penilai lain): {shown}"
                out[code] = f"{out[code]}; {line}" if code in out else line
        rec = results.recommendation
        out[""] = (
            f"{rec.perilaku.label_id} ({RECOMMENDATION}; 360° {results.cycle.name})"
            if rec is not None
            else f"belum cukup data ({RECOMMENDATION})"
        )
    return out


def _base(card: FeedbackCard, tz: tzinfo) -> dict[str, str]:
    employee, supervisor = card.employee, card.supervisor
    return {
        "NIP": employee.nip,
        "Nama": employee.name,
        "Unit": employee.unit.name,
        "Periode": card.period,
        "NIP Pejabat Penilai Kinerja": supervisor.nip,
        "Pejabat Penilai Kinerja": supervisor.name,
        "Dialog kinerja": card.discussed_at.astimezone(tz).date().isoformat()
        if card.discussed_at
        else "",
    }


async def period_rows(
    session: AsyncSession,
    settings: Settings,
    period: str,
    unit_id: int | None = None,
    supervisor_id: int | None = None,
) -> list[tuple[FeedbackCard, list[Row]]]:
    """Each card of the period (of a unit's tree, or held by one supervisor) with its rows:
    SKP lines first, then the core values."""
    tz = settings.tz
    load = await ekinerja.load_period(session, period, int(period[:4]), unit_id, supervisor_id)
    out = []
    for card in load.cards:
        base = _base(card, tz)
        entries = load.entries.get(card.id, [])
        notes = load.notes.get(card.id, [])
        evidence = await _evidence(session, settings, card)
        recommended = evidence.get("", "")
        achieved = load.achievements.get(card.employee_id, [])
        expected = load.expectations.get(card.employee_id, [])
        rows = [
            _line_row(base, line, entries, notes, tz, achieved, expected, evidence.get(IKM, ""))
            for line in load.lines.get(card.employee_id, [])
        ]
        for item in BERAKHLAK_ITEMS:
            values = dict(base)
            values.update(
                {
                    "Aspek": PERILAKU,
                    "Rencana Hasil Kerja / Perilaku Kerja": f"{item.code} {_ID(item.name)}",
                    "Indikator": " · ".join(_ID(i) for i in item.indicators),
                    "Realisasi berdasarkan bukti dukung": _notes(
                        [n for n in notes if n.value_code == item.code], tz
                    ),
                    "Umpan balik berkelanjutan berdasarkan bukti dukung": _feedback(
                        [e for e in entries if e.value_code == item.code]
                    ),
                    "Ekspektasi khusus pimpinan": _expected(
                        [x for x in expected if x.value_code == item.code]
                    ),
                    "Bukti dukung": evidence.get(item.code, ""),
                    COLUMNS[-1]: recommended,
                }
            )
            rows.append(Row(values))
        out.append((card, rows))
    return out


def _line_row(
    base: dict[str, str],
    line: SkpLine,
    entries: list[FeedbackEntry],
    notes: list[PerformanceNote],
    tz: tzinfo,
    achieved: list[Achievement],
    expected: list[PerformanceExpectation],
    ikm: str = "",
) -> Row:
    values = dict(base)
    mine = [n for n in notes if n.skp_line_id == line.id]
    done = [a for a in achieved if a.skp_line_id == line.id]
    values.update(
        {
            "Aspek": HASIL,
            "Perspektif": line.perspective,
            "Rencana Hasil Kerja / Perilaku Kerja": line.plan
            + (" (diarsipkan)" if line.archived_at else ""),
            "Indikator": line.indicator,
            "Target": line.target,
            "Realisasi berdasarkan bukti dukung": _realisasi(_achievements(done), _notes(mine, tz)),
            "Umpan balik berkelanjutan berdasarkan bukti dukung": _feedback(
                [e for e in entries if e.skp_line_id == line.id]
            ),
            "Ekspektasi khusus pimpinan": _expected(
                [x for x in expected if x.skp_line_id == line.id]
            ),
            "Bukti dukung": ", ".join(
                part
                for part in (
                    f"{len(done)} capaian dengan bukti" if done else "",
                    f"{len(mine)} catatan atasan" if mine else "",
                    ikm if "ikm" in f"{line.plan} {line.indicator}".lower() else "",
                )
                if part
            ),
        }
    )
    return Row(values)


def text_block(card: FeedbackCard, rows: list[Row]) -> str:
    """A subordinate's period as text to paste into e-Kinerja: only what has content."""
    lines = [
        f"Umpan balik berkelanjutan — {card.employee.name} (NIP {card.employee.nip}), "
        f"periode {card.period}"
    ]
    for aspect in (HASIL, PERILAKU):
        shown = [r for r in rows if r.values["Aspek"] == aspect and _has_content(r)]
        if not shown:
            continue
        lines += ["", f"[{aspect}]"]
        for row in shown:
            v = row.values
            lines.append(f"• {v['Rencana Hasil Kerja / Perilaku Kerja']}")
            for column in COLUMNS[11:15]:
                if v.get(column):
                    lines.append(f"  {column}: {v[column]}")
    recommended = rows[-1].values.get(COLUMNS[-1], "") if rows else ""
    if recommended:
        lines += ["", f"Rekomendasi perilaku kerja: {recommended}"]
    if rows and rows[0].values.get("Dialog kinerja"):
        lines.append(f"Dialog kinerja: {rows[0].values['Dialog kinerja']}")
    return "\n".join(lines)


def _has_content(row: Row) -> bool:
    return any(row.values.get(column) for column in COLUMNS[11:15])


async def queue_blocks(
    session: AsyncSession,
    settings: Settings,
    cards: list[tuple[FeedbackCard, list[Row]]],
    now: datetime,
    request: str = "",
) -> int:
    """Send each card's supervisor the subordinate's text block; how many.

    Once per card and content (a later run sends a block again only when it
    changed); ``request`` names a supervisor's own request (``/ekinerja``), which
    gets every block again, once per request."""
    accounts = await accounts_by_employee(session, [card.supervisor_id for card, _rows in cards])
    queued = 0
    for card, rows in cards:
        account = accounts.get(card.supervisor_id)
        if account is None:
            continue
        _ = gettext_for(language_of(account, settings))
        intro = _(
            "Text for e-Kinerja, ready to paste (the recommendation is only a recommendation):"
        )
        block = text_block(card, rows)
        digest = hashlib.sha256(block.encode()).hexdigest()[:16]
        queued += await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=KIND,
            text=shorten(f"{intro}\n\n{block}", MAX_TEXT),
            dedupe_key=f"ekinerja:{card.token}:{digest}{request}",
            priority=PRIORITY_NOTICE,
            employee_id=card.supervisor_id,
            now=now,
        )
    return queued


async def send_own_blocks(
    session: AsyncSession,
    settings: Settings,
    *,
    supervisor_id: int,
    period: str,
    request: str,
    actor: str,
    now: datetime,
) -> int:
    """A supervisor asked (``/ekinerja``): queue them the text block of every card they hold
    in ``period``, each an audited view of that card; how many cards (0: none held)."""
    cards = await period_rows(session, settings, period, supervisor_id=supervisor_id)
    for card, _rows in cards:
        feedback_cards.audit_view(session, actor, card, "e-Kinerja text in /ekinerja", now)
    await queue_blocks(session, settings, cards, now, request)
    return len(cards)
