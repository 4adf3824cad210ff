"""A roster file sent to the bot: kept, checked and previewed, then imported on confirmation.

The rules are the CLI's (`storage.roster`: ``ulasan import``; `storage.skp`:
``ulasan import skp`` for an SKP file, reported in the same shape by `skp_report`),
with the scope of the admin who sent it (`storage.roster_scope`). The flow:

1. `keep` stores the bytes under ``DATA_DIR/uploads/<sha256>.<ext>``: the
   confirmation names the file by its hash, so what is imported is exactly
   what was previewed, even after a restart.
2. `preview` runs the import in a transaction that is rolled back: the same
   checks, the same counts (added, updated, unchanged, deactivated) as the real
   run, and every bad row. For an employees file it also counts the active
   employees of the admin's units that the file leaves out, and whether
   deactivating them is possible.
3. `apply` (in the confirming press's transaction) imports the kept file for
   real and refuses (`Changed`) when the counts are no longer what the preview
   showed, e.g. another admin imported meanwhile: the caller rolls back and
   shows a fresh preview.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage import roster, skp
from storage.db import SessionFactory
from storage.roster import ImportReport, RosterInvalid, RowError
from storage.roster_files import detect_kind

KINDS = ("units", "services", "employees", "skp")
SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt")
MAX_BYTES = 10 * 1024 * 1024  # a roster of 10,000 staff is about 1 MB as XLSX
HASH = re.compile(r"^[0-9a-f]{64}$")


class Changed(Exception):
    """The import would now do something else than the preview showed; nothing written."""


@dataclass(frozen=True)
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    @classmethod
    def of(cls, report: ImportReport) -> Counts:
        return cls(
            len(report.added), len(report.updated), len(report.unchanged), len(report.deactivated)
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
        }


@dataclass(frozen=True)
class Preview:
    """What importing the kept file would do, or why it cannot be imported."""

    sha256: str
    kind: str | None  # None: the header names no roster file
    counts: Counts = Counts()
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    heads_set: tuple[str, ...] = ()
    notes: tuple[RowError, ...] = ()
    errors: tuple[RowError, ...] = ()
    # Employees only: deactivating the ones the file leaves out (None: not possible).
    with_deactivation: Counts | None = None
    deactivation_errors: tuple[RowError, ...] = field(default=())

    @property
    def importable(self) -> bool:
        return self.kind is not None and not self.errors

    @property
    def changes(self) -> bool:
        """Whether importing writes anything (for SKP lines, archiving one does)."""
        archives = self.kind == "skp" and self.counts.deactivated
        return bool(self.counts.added or self.counts.updated or self.heads_set or archives)


def suffix_of(file_name: str) -> str:
    """The kept file's suffix: the sent name's when known, else ".csv"."""
    suffix = Path(file_name).suffix.lower()
    return suffix if suffix in SUFFIXES else ".csv"


def keep(uploads: Path, content: bytes, file_name: str) -> tuple[str, Path]:
    """Store the bytes under their SHA-256 (idempotent); (hash, path)."""
    digest = hashlib.sha256(content).hexdigest()
    uploads.mkdir(parents=True, exist_ok=True)
    path = uploads / f"{digest}{suffix_of(file_name)}"
    if not path.exists():
        temporary = path.with_suffix(path.suffix + ".part")
        temporary.write_bytes(content)
        temporary.replace(path)
    return digest, path


def kept_file(uploads: Path, digest: str, suffix: str) -> Path | None:
    """The kept file of this hash, if it is still there and still has that hash."""
    if not HASH.match(digest) or suffix not in SUFFIXES:
        return None
    path = uploads / f"{digest}{suffix}"
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        return None
    return path


def skp_report(done: skp.SkpImport) -> ImportReport:
    """An SKP import in the roster's shape: restored lines count as updated, archived
    lines as "deactivated" (the preview and the confirmation bind to these counts)."""
    return ImportReport(
        "skp",
        done.file,
        added=list(done.added_keys),
        updated=list(done.updated_keys),
        unchanged=list(done.unchanged_keys),
        deactivated=list(done.archived_keys),
    )


def _importer(
    kind: str, path: Path, actor: str, managed: frozenset[int] | None, deactivate: bool
) -> Callable[[AsyncSession], Awaitable[ImportReport]]:
    if kind == "skp":

        async def skp_lines(session: AsyncSession) -> ImportReport:
            done = await skp.import_skp(session, path, actor=actor, now=utcnow(), managed=managed)
            return skp_report(done)

        return skp_lines
    functions: dict[str, Any] = {
        "units": roster.import_units,
        "services": roster.import_services,
        "employees": roster.import_employees,
    }
    extra = {"deactivate_missing": True} if deactivate else {}
    return lambda session: functions[kind](session, path, actor=actor, managed=managed, **extra)


class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report


async def _dry_run(
    sessions: SessionFactory, work: Callable[[AsyncSession], Awaitable[ImportReport]]
) -> ImportReport:
    """The import's report, with everything it wrote rolled back."""
    try:
        async with sessions() as session, session.begin():
            raise _DryRun(await work(session))
    except _DryRun as done:
        return done.report


async def preview(
    sessions: SessionFactory,
    path: Path,
    digest: str,
    *,
    actor: str,
    managed: frozenset[int] | None,
) -> Preview:
    """Check the kept file and say what importing it would do (nothing is written)."""
    try:
        kind = detect_kind(path)
    except RosterInvalid as exc:
        return Preview(digest, None, errors=tuple(exc.errors))
    if kind is None:
        return Preview(digest, None)
    try:
        report = await _dry_run(sessions, _importer(kind, path, actor, managed, False))
    except RosterInvalid as exc:
        return Preview(digest, kind, errors=tuple(exc.errors))
    result = Preview(
        digest,
        kind,
        Counts.of(report),
        tuple(report.added),
        tuple(report.updated),
        tuple(report.heads_set),
        tuple(report.notes),
    )
    if kind != "employees":
        return result
    try:
        wider = await _dry_run(sessions, _importer(kind, path, actor, managed, True))
    except RosterInvalid as exc:
        return _with(result, None, tuple(exc.errors))
    return _with(result, Counts.of(wider), ())


def _with(result: Preview, counts: Counts | None, errors: tuple[RowError, ...]) -> Preview:
    return Preview(
        result.sha256,
        result.kind,
        result.counts,
        result.added,
        result.updated,
        result.heads_set,
        result.notes,
        result.errors,
        counts,
        errors,
    )


async def apply(
    session: AsyncSession,
    path: Path,
    kind: str,
    *,
    actor: str,
    managed: frozenset[int] | None,
    deactivate: bool,
    expected: dict[str, int],
) -> ImportReport:
    """Import the kept file in ``session``'s transaction; `Changed` (the caller rolls back)
    when the counts differ from ``expected``, what the preview showed; `RosterInvalid`
    when the file no longer passes its checks."""
    if kind not in KINDS:
        raise Changed(f"unknown kind {kind!r}")
    report = await _importer(kind, path, actor, managed, deactivate)(session)
    if Counts.of(report).as_dict() != expected:
        raise Changed(f"counts {Counts.of(report).as_dict()} differ from {expected}")
    return report
