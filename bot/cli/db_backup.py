"""``ulasan db backup FILE`` and ``ulasan db restore FILE``: a home in one file and back.

A backup holds the database (SQLite's online backup API: consistent while the
bot runs), the secret key, the home's ``.env`` and DATA_DIR's other files
(storage/backup.py). On PostgreSQL it holds the key and the files, and the
command prints the ``pg_dump`` line for the database itself.

A restore refuses while the bot runs on the home (it holds the lock file,
bot/run_lock.py) and refuses a backup made with another secret key than the
home's unless told (``--other-key``): that key is what makes citizens'
pseudonyms and link codes match. What it replaces is kept beside it
(``….before-restore-<time>``), never deleted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import clock, fail, get_settings

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from storage.backup import Bundle


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write the database, the secret key, .env and the home's files to FILE (mode 0600)."""
    from storage.backup import BackupError, write_bundle

    settings = get_settings()
    target = file.expanduser().resolve()
    if target.exists():
        fail(f"{target} exists; give the backup a new name (e.g. with the date).")
    with tempfile.TemporaryDirectory(dir=target.parent if target.parent.is_dir() else None) as t:
        try:
            manifest, members = _collect(settings, Path(t))
            size = write_bundle(target, manifest, members)
        except BackupError as exc:
            fail(f"db backup: {exc}")
    files = len(manifest.files())
    what = f"database (revision {manifest.revision})" if manifest.database == "sqlite" else ""
    click.echo(
        f"Backup written to {target} ({_size(size)}, mode 0600): "
        f"{what + ', ' if what else ''}secret key, {files} file(s). Keep a copy off this server."
    )
    if manifest.database != "sqlite":
        click.echo(_pg_dump_line(settings))


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


def _collect(settings: Settings, scratch: Path) -> tuple[object, dict[str, Path]]:
    from storage.backup import DATABASE, ENV, FILES, KEY, data_files, new_manifest, snapshot_sqlite
    from storage.key_check import check_value

    members: dict[str, Path] = {}
    revision = None
    database = settings.sqlite_path
    if database is not None:
        revision = snapshot_sqlite(database, scratch / DATABASE, settings.sqlite_busy_timeout_ms)
        members[DATABASE] = scratch / DATABASE
    key = scratch / KEY
    key.write_text(settings.secret_bytes().decode() + "\n", encoding="utf-8")
    members[KEY] = key
    if settings.env_file.is_file():
        members[ENV] = settings.env_file
    skip = [settings.secret_key_file, settings.data_dir / "bot.lock"]
    if database is not None:
        skip += [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    for path in data_files(settings.data_dir, skip):
        members[FILES + path.relative_to(settings.data_dir).as_posix()] = path
    kind = "sqlite" if database is not None else "postgresql"
    manifest = new_manifest(kind, revision, check_value(settings.secret_bytes()), clock().now())
    return manifest, members


def _pg_dump_line(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    return (
        "DATABASE_URL is PostgreSQL: this file holds the key and the files; back up the "
        f"database itself with: pg_dump --format=custom --file=ulasan-$(date +%F).dump "
        f"--host={url.host or 'localhost'} --port={url.port or 5432} "
        f"--username={url.username or 'ulasan'} {url.database or 'ulasan'}"
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--other-key",
    is_flag=True,
    help="Restore even though the backup was made with another secret key than this home's.",
)
def restore_command(file: Path, other_key: bool) -> None:
    """Put a backup made by `ulasan db backup` back into the home (the bot must be stopped)."""
    from bot import run_lock
    from storage.backup import BackupError, read_bundle

    settings = get_settings(verify_database=False)
    try:
        with run_lock.hold(settings.data_dir, "ulasan db restore"):
            with tempfile.TemporaryDirectory(dir=settings.data_dir) as scratch:
                try:
                    bundle = read_bundle(file, Path(scratch))
                except BackupError as exc:
                    fail(f"{file}: {exc}; nothing was changed.")
                _check_key(settings, bundle, other_key)
                lines = _put_back(settings, bundle)
    except run_lock.Locked as exc:
        fail(f"The bot is running on this home ({exc}): stop it first, then restore.", 2)
    manifest = bundle.manifest
    click.echo(f"Restored {file} (made {manifest.created_at}) into {settings.home}:")
    for line in lines:
        click.echo(f"  {line}")
    click.echo("Start the bot again; it applies any newer migrations first.")


def _check_key(settings: Settings, bundle: Bundle, other_key: bool) -> None:
    from bot.cli.home_check import key_source

    current = settings.secret_key.get_secret_value() if settings.secret_key else None
    if current is None or current == bundle.key():
        return
    if key_source(settings) == "SECRET_KEY":
        fail(
            "SECRET_KEY is set and is not the key of this backup: remove SECRET_KEY from the "
            "environment and .env (the restored DATA_DIR/secret_key is used) or set it to "
            "the backup's key; nothing was changed.",
            2,
        )
    if not other_key:
        fail(
            f"This backup was made with another secret key than this home's "
            f"({settings.secret_key_file}): restoring replaces the key and the database. "
            "If that is what you want, add --other-key; nothing was changed.",
            2,
        )


def _put_back(settings: Settings, bundle: Bundle) -> list[str]:
    """Move what is there aside, then put the backup's database, key, .env and files."""
    from storage.backup import DATABASE, ENV, FILES, KEY

    stamp = clock().now().strftime("%Y%m%dT%H%M%SZ")
    lines = []
    database = settings.sqlite_path
    if bundle.has(DATABASE) and database is not None:
        kept = _aside(database, stamp, (database, Path(f"{database}-wal"), Path(f"{database}-shm")))
        _install(bundle.path(DATABASE), database)
        lines.append(f"database (revision {bundle.manifest.revision}) → {database}{kept}")
    elif not bundle.has(DATABASE):
        lines.append("database: not in this backup (PostgreSQL): restore it with pg_restore")
    else:
        lines.append("database: this backup holds SQLite but DATABASE_URL is PostgreSQL; skipped")
    key_file = settings.secret_key_file
    kept = _aside(key_file, stamp, (key_file,)) if _differs(key_file, bundle.path(KEY)) else ""
    _install(bundle.path(KEY), key_file)
    lines.append(f"secret key → {key_file}{kept}")
    if bundle.has(ENV):
        lines.append(_put_env(settings, bundle.path(ENV)))
    for name in bundle.manifest.files():
        _install(bundle.path(name), settings.data_dir / name.removeprefix(FILES))
    lines.append(f"{len(bundle.manifest.files())} file(s) → {settings.data_dir}")
    return lines


def _put_env(settings: Settings, source: Path) -> str:
    target = settings.env_file
    if not target.exists():
        _install(source, target)
        return f"settings → {target}"
    if not _differs(target, source):
        return f"settings: {target} is the same"
    beside = target.with_name(".env.from-backup")
    _install(source, beside)
    return f"settings: {target} kept; the backup's are in {beside} to compare"


def _differs(current: Path, new: Path) -> bool:
    return not current.exists() or current.read_bytes() != new.read_bytes()


def _aside(path: Path, stamp: str, files: tuple[Path, ...]) -> str:
    """Rename ``files`` (a database with its -wal and -shm) to ….before-restore-<stamp>."""
    moved = False
    for item in files:
        if item.exists():
            item.rename(item.with_name(f"{item.name}.before-restore-{stamp}"))
            moved = True
    return f" (the previous one kept as {path.name}.before-restore-{stamp})" if moved else ""


def _install(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` (mode 0600) under a temporary name, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out, source.open("rb") as data:
        shutil.copyfileobj(data, out)
    os.replace(partial, target)
