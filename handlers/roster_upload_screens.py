"""What the roster upload shows: pure functions from a preview or a report to text.

Every bad row is named as the admin would find it in their spreadsheet (line
and column, line 1 being the header) in the admin's language; when they do not
all fit one Telegram message, the message shows the first ones and the whole
list comes as a text file (`errors_file`). Nothing here talks to Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from bot.core.i18n import N_, Translate
from scheduler.roster_upload import Preview
from storage.roster import ImportReport, RowError

TEXT_LIMIT = 3800  # Telegram allows 4096 characters; room for the head and the tail
SHOWN_KEYS = 8  # codes or NIPs named per line (added, updated)
KIND_LABELS = {
    "units": N_("Units file"),
    "services": N_("Services file"),
    "employees": N_("Employees file"),
    "skp": N_("SKP file"),
}


def stem(name: str) -> str:
    """A file-name-safe stem of the sent file's name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).stem).strip("-.")[:40] or "roster"


def too_large(size: int, _: Translate) -> str:
    megabytes = f"{size / 1024 / 1024:.1f}"
    return _(
        "This file is too large ({size} MB). A roster file of units, services or employees "
        "is at most 10 MB; save it as CSV or XLSX with one sheet."
    ).format(size=megabytes)


def problem_line(error: RowError, _: Translate) -> str:
    """One bad row as the admin finds it in the spreadsheet."""
    message = error.text(_)
    if error.line is None:
        return message
    if error.column:
        return _("Line {line}, column {column}: {message}").format(
            line=error.line, column=error.column, message=message
        )
    return _("Line {line}: {message}").format(line=error.line, message=message)


def _keys(label: str, keys: Sequence[str], _: Translate) -> str:
    shown = ", ".join(keys[:SHOWN_KEYS])
    if len(keys) > SHOWN_KEYS:
        shown += " " + _("and {count} more").format(count=len(keys) - SHOWN_KEYS)
    return f"{label} {shown}"


def render_preview(preview: Preview, name: str, _: Translate) -> str:
    """The preview: what would change, or every problem (as many as fit)."""
    if preview.kind is None and not preview.errors:
        return unknown_kind(name, _)
    head = _("{kind}: {name}").format(
        kind=_(KIND_LABELS[preview.kind]) if preview.kind else _("File"), name=name
    )
    if preview.errors:
        return _problems(head, preview.errors, _)
    return "\n\n".join([head, *_changes(preview, _)])


def _problems(head: str, errors: Sequence[RowError], _: Translate) -> str:
    lines = [
        head,
        _("{count} problem(s) found; nothing was imported. Fix the file and send it again.").format(
            count=len(errors)
        ),
        "",
    ]
    used = sum(len(line) + 1 for line in lines)
    for index, error in enumerate(errors):
        line = "• " + problem_line(error, _)
        if used + len(line) > TEXT_LIMIT:
            lines.append(
                _("… and {count} more in the attached file.").format(count=len(errors) - index)
            )
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def _changes(preview: Preview, _: Translate) -> list[str]:
    counts = preview.counts
    parts = [
        _("If imported: {added} added, {updated} updated, {unchanged} unchanged.").format(
            added=counts.added, updated=counts.updated, unchanged=counts.unchanged
        )
    ]
    if preview.added:
        parts.append(_keys(_("Added:"), preview.added, _))
    if preview.updated:
        parts.append(_keys(_("Updated:"), preview.updated, _))
    if preview.heads_set:
        parts.append(_keys(_("Head set for:"), preview.heads_set, _))
    if preview.kind == "skp" and counts.deactivated:
        parts.append(
            _(
                "{count} SKP line(s) of the employees and years in this file are no longer "
                "listed: they would be archived, their feedback and evidence kept."
            ).format(count=counts.deactivated)
        )
    parts += [_("Note: {note}").format(note=problem_line(n, _)) for n in preview.notes[:5]]
    parts += _deactivation(preview, _)
    if preview.changes or (preview.with_deactivation and preview.with_deactivation.deactivated):
        parts.append(_("Nothing is written until you press a button below."))
    else:
        parts.append(_("Nothing would change: the roster already matches this file."))
    return parts


def _deactivation(preview: Preview, _: Translate) -> list[str]:
    if preview.kind != "employees":
        return []
    wider = preview.with_deactivation
    if wider is not None:
        if not wider.deactivated:
            return []
        return [
            _(
                "{count} active employee(s) of your units are not in this file. They are "
                "kept unless you choose to deactivate them."
            ).format(count=wider.deactivated)
        ]
    reasons = "; ".join(problem_line(e, _) for e in preview.deactivation_errors[:3])
    return [
        _("Deactivating the employees missing from this file is not possible: {reasons}").format(
            reasons=reasons
        )
    ]


def unknown_kind(name: str, _: Translate) -> str:
    return (
        _(
            "I cannot tell which roster file {name} is. Its first line must name the columns:\n"
            "• units: code, name, parent_code, head_nip\n"
            "• services: code, unit_code, name (optional: free, active)\n"
            "• employees: nip, name, position, unit_code, supervisor_nip (optional: active)\n"
            "Indonesian names work too (kode, nama, kode_induk, nip_kepala, kode_unit, jabatan, "
            "nip_atasan, gratis, aktif)."
        ).format(name=name)
        + "\n"
        + _("• SKP lines: nip, tahun, rencana_hasil_kerja, indikator, target, perspektif")
    )


def errors_overflow(preview: Preview, _: Translate) -> bool:
    """Whether the message could not list every problem (then the file carries them all)."""
    return render_preview(preview, "", _).splitlines()[-1].startswith("…")


def errors_file(preview: Preview, name: str, _: Translate) -> str:
    """Every problem of the file, one per line."""
    lines = [_("Problems in {name}:").format(name=name)]
    lines += [problem_line(error, _) for error in preview.errors]
    return "\n".join(lines) + "\n"


def render_done(report: ImportReport, _: Translate) -> str:
    """After the import: what it did."""
    if report.kind == "skp":
        return (
            _(
                "SKP lines imported: {added} added, {updated} updated, {unchanged} unchanged, "
                "{archived} archived."
            ).format(
                added=len(report.added),
                updated=len(report.updated),
                unchanged=len(report.unchanged),
                archived=len(report.deactivated),
            )
            + "\n"
            + _("The change is recorded in the audit log.")
        )
    text = _(
        "Imported: {added} added, {updated} updated, {unchanged} unchanged, "
        "{deactivated} deactivated."
    ).format(
        added=len(report.added),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        deactivated=len(report.deactivated),
    )
    if report.heads_set:
        text += "\n" + _keys(_("Head set for:"), report.heads_set, _)
    return text + "\n" + _("The change is recorded in the audit log.")
