"""Backups of a home: the SQLite database, its secret key, the settings and the files.

Copying ``ulasan.db`` is not a backup: in WAL mode the newest commits sit in
``ulasan.db-wal`` until a checkpoint, and a copy taken while the bot writes can
be torn. `snapshot_sqlite` uses SQLite's online backup API instead: one step,
under a read transaction, so the copy is the consistent state of one moment,
WAL included, while the bot goes on writing (readers never block a WAL writer).

A backup file (``*.ulasan-backup``) is a gzip-compressed tar, created with mode
0600 (it holds the key and citizens' data), written under a temporary name and
renamed when complete, so a crash never leaves a half backup under the real name:

    manifest.json     format, when, database kind and revision, the key's check
                      value, and the SHA-256 of every other member
    database.sqlite   the snapshot (SQLite only; PostgreSQL has pg_dump)
    secret_key        the key in use
    env               the home's .env, if there is one
    files/…           everything else in DATA_DIR (QR codes, exports …)

`read_bundle` refuses anything else: unknown or unsafe member names, links,
a missing manifest, a checksum that does not match.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.sqlite"
KEY = "secret_key"
ENV = "env"
FILES = "files/"
SUFFIX = ".ulasan-backup"


class BackupError(Exception):
    """A backup cannot be written or read; the message is one line."""


@dataclass
class Manifest:
    created_at: str
    database: str  # "sqlite" or "postgresql"
    revision: str | None
    key_check: str
    checksums: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT

    def files(self) -> list[str]:
        return sorted(name for name in self.checksums if name.startswith(FILES))


@dataclass
class Bundle:
    """A backup read into a folder: the manifest and where each member was put."""

    manifest: Manifest
    folder: Path

    def path(self, member: str) -> Path:
        return self.folder / member

    def has(self, member: str) -> bool:
        return member in self.manifest.checksums

    def key(self) -> str:
        return self.path(KEY).read_text(encoding="utf-8").strip()


def snapshot_sqlite(source: Path, target: Path, busy_timeout_ms: int) -> str | None:
    """Copy the live database ``source`` to ``target`` with the online backup API; check
    the copy and return its migration revision."""
    uri = f"file:{source}?mode=ro"
    try:
        with (
            _closing(sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000)) as live,
            _closing(sqlite3.connect(target)) as copy,
        ):
            live.backup(copy)  # pages=-1: all in one step, one consistent moment
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the database {source}: {exc}") from None
    if verdict != "ok":
        raise BackupError(f"the database {source} is damaged: {verdict}")
    return revision[0] if revision else None


def data_files(data_dir: Path, skip: Iterable[Path]) -> list[Path]:
    """The files of DATA_DIR a backup carries: all but ``skip`` and earlier backups."""
    skipped = {path.resolve() for path in skip}
    if not data_dir.is_dir():
        return []
    found = []
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.resolve() in skipped:
            continue
        if path.name.endswith((SUFFIX, SUFFIX + ".partial", ".restoring")):
            continue  # earlier backups and unfinished copies
        if ".before-restore-" in path.name:
            continue  # what a restore moved aside stays on this machine only
        found.append(path)
    return found


def write_bundle(
    target: Path,
    manifest: Manifest,
    members: dict[str, Path],
) -> int:
    """Write the backup to ``target`` (mode 0600, atomically); ``members`` maps member
    names to files. Returns its size in bytes."""
    for name, source in members.items():
        manifest.checksums[name] = _sha256(source)
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest.__dict__, indent=2).encode())
            for name, source in members.items():
                tar.add(source, arcname=name, recursive=False, filter=_private)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target.stat().st_size


def read_bundle(path: Path, folder: Path) -> Bundle:
    """Check and unpack the backup ``path`` into ``folder``."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member)
            manifest = _manifest(tar)
            names = {m.name for m in members} - {MANIFEST}
            if names != set(manifest.checksums):
                raise BackupError("its contents do not match its manifest")
            for member in members:
                if member.name != MANIFEST:
                    _extract(tar, member, folder)
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError) as exc:
        raise BackupError(f"not a readable backup ({exc.__class__.__name__}: {exc})") from None
    for name, digest in manifest.checksums.items():
        if _sha256(folder / name) != digest:
            raise BackupError(f"{name} is damaged (checksum mismatch)")
    if KEY not in manifest.checksums:
        raise BackupError("it holds no secret key")
    return Bundle(manifest, folder)


def new_manifest(database: str, revision: str | None, key_check: str, now: datetime) -> Manifest:
    return Manifest(
        created_at=now.isoformat(timespec="seconds"),
        database=database,
        revision=revision,
        key_check=key_check,
    )


# -- helpers --------------------------------------------------------------------------


class _closing:
    """sqlite3 connections as context managers that close (theirs only commit)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_exc: object) -> None:
        self.connection.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _check_member(member: tarfile.TarInfo) -> None:
    name = PurePosixPath(member.name)
    if not member.isfile():
        raise BackupError(f"unexpected entry {member.name!r}")
    if name.is_absolute() or ".." in name.parts:
        raise BackupError(f"unsafe entry {member.name!r}")
    if member.name not in (MANIFEST, DATABASE, KEY, ENV) and not member.name.startswith(FILES):
        raise BackupError(f"unknown entry {member.name!r}")


def _manifest(tar: tarfile.TarFile) -> Manifest:
    handle = tar.extractfile(MANIFEST)
    if handle is None:
        raise BackupError("it has no manifest")
    data = json.loads(handle.read().decode("utf-8"))
    if data.get("format") != FORMAT:
        raise BackupError(f"format {data.get('format')!r} is not one this version reads")
    return Manifest(**data)


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, folder: Path) -> None:
    target = folder / member.name
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    if source is None:
        raise BackupError(f"cannot read {member.name!r}")
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        while block := source.read(1 << 20):
            out.write(block)
