"""Backups an HR officer can trust: taken while the bot serves citizens, restored on a
new machine with everything in it, refused where restoring would do harm.

The home here always uses its default SQLite file (that is what `ulasan db
backup` copies); PostgreSQL deployments back up with pg_dump, which the command
names (last test).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import cli, register_commands
from bot.core.settings import load_settings
from tests.support.bot_process import BotProcess, Citizen
from tests.support.fakebot import FakeBotApi

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCORES = (4, 3, 4, 3, 4, 3, 4, 3, 4)


def ulasan(home: Path, *args: str, **env: str | None) -> Result:
    register_commands()
    environment: dict[str, str | None] = {
        "ULASAN_HOME": str(home),
        "DATABASE_URL": None,
        "DATA_DIR": None,
        "SECRET_KEY": None,
        "BOT_USERNAME": "UlasanTestBot",
        **env,
    }
    return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)


def one_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def submitted(database: Path) -> int:
    with closing(sqlite3.connect(database)) as connection:
        query = "SELECT count(*) FROM survey_responses WHERE status = 'submitted'"
        return connection.execute(query).fetchone()[0]


def set_up_home(home: Path) -> str:
    """A new installation with the example organisation and its QR posters; the
    payload of the KTP-el counter's code."""
    assert ulasan(home, "db", "upgrade").exit_code == 0
    for kind in ("units", "services", "employees"):
        assert ulasan(home, "import", kind, str(EXAMPLES / f"{kind}.csv")).exit_code == 0
    (home / ".env").write_text("TIMEZONE=Asia/Jakarta\n")
    codes = ulasan(home, "qr", "--service", "KTP-EL", "--format", "json")
    assert codes.exit_code == 0, codes.output
    return json.loads(codes.stdout)[0]["payload"]


async def rate_the_service(citizen: Citizen, payload: str) -> None:
    await citizen.send(f"/start {payload}")
    await citizen.press(label="Mulai")
    for score in SCORES:
        await citizen.press(score)
    for _ in range(6):  # no comment, no profile, no contact
        await citizen.press(label="Lewati")
    assert "Terima kasih" in citizen.user.last.text


async def test_backup_while_the_bot_runs_then_restore_on_a_new_machine(
    tmp_path: Path, fake_api: FakeBotApi
):
    home = tmp_path / "home"
    payload = await asyncio.to_thread(set_up_home, home)
    database = home / "data" / "ulasan.db"
    settings = load_settings(ulasan_home=home)
    bot = BotProcess(
        tmp_path,
        settings,
        fake_api,
        env={"ULASAN_HOME": str(home), "DATABASE_URL": None, "DATA_DIR": None, "SECRET_KEY": None},
    )
    backup = tmp_path / "nightly" / "ulasan-2026-12-06.ulasan-backup"
    await bot.start()
    try:
        await bot.polling()
        await rate_the_service(Citizen(fake_api, fake_api.user(61_001)), payload)
        # The answer is committed, but only in the WAL: a copy of ulasan.db lacks it.
        assert (home / "data" / "ulasan.db-wal").stat().st_size > 0
        shutil.copy(database, tmp_path / "naive-copy.db")
        assert submitted(tmp_path / "naive-copy.db") == 0

        # While the bot runs: a restore and a second bot are refused; a backup works,
        # also while another citizen is in the middle of a survey.
        refused = await asyncio.to_thread(ulasan, home, "db", "restore", str(tmp_path / "x"))
        assert refused.exit_code == 2  # (the file does not even exist: click says so)
        second = await asyncio.to_thread(
            ulasan, home, "run", "--no-migrate", BOT_TOKEN=fake_api.token
        )
        assert second.exit_code == 2
        assert one_line(second).startswith("The bot already runs on this home (pid ")
        other = Citizen(fake_api, fake_api.user(61_002))
        taking, _ = await asyncio.gather(
            asyncio.to_thread(ulasan, home, "db", "backup", str(backup)),
            other.send(f"/start {payload}"),
        )
        assert taking.exit_code == 0, taking.output
        assert "secret key" in taking.stdout
        assert oct(backup.stat().st_mode & 0o777) == "0o600"
        restore_now = await asyncio.to_thread(ulasan, home, "db", "restore", str(backup))
        assert restore_now.exit_code == 2
        assert one_line(restore_now).startswith("The bot is running on this home (pid ")
    finally:
        await bot.stop()
    assert "Traceback" not in bot.log()

    # A new machine: restore into an empty home, and everything is there.
    new_home = tmp_path / "new-machine"
    restored = await asyncio.to_thread(ulasan, new_home, "db", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert submitted(new_home / "data" / "ulasan.db") == 1
    key = (home / "data" / "secret_key").read_text()
    assert (new_home / "data" / "secret_key").read_text() == key
    assert (new_home / ".env").read_text() == "TIMEZONE=Asia/Jakarta\n"
    assert (new_home / "data" / "qr" / "KTP-EL_poster.pdf").is_file()
    report = await asyncio.to_thread(ulasan, new_home, "report", "ikm", "--format", "json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["overall"]["respondents"] == 1
    again = await asyncio.to_thread(ulasan, new_home, "db", "upgrade")
    assert again.exit_code == 0 and "up to date" in again.stdout


def test_restore_refuses_a_backup_of_another_key_unless_told(tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    set_up_home(first)
    backup = tmp_path / "first.ulasan-backup"
    assert ulasan(first, "db", "backup", str(backup)).exit_code == 0
    assert ulasan(second, "db", "upgrade").exit_code == 0
    own_key = (second / "data" / "secret_key").read_text()

    refused = ulasan(second, "db", "restore", str(backup))
    assert refused.exit_code == 2
    assert "another secret key" in one_line(refused) and "--other-key" in refused.stderr
    assert (second / "data" / "secret_key").read_text() == own_key
    assert ulasan(second, "roster", "show").stdout.startswith("The roster is empty")

    told = ulasan(second, "db", "restore", str(backup), "--other-key")
    assert told.exit_code == 0, told.output
    assert (second / "data" / "secret_key").read_text() != own_key
    kept = sorted(p.name for p in (second / "data").iterdir() if "before-restore" in p.name)
    assert [name.split(".before-restore-")[0] for name in kept] == ["secret_key", "ulasan.db"]
    assert "DISDUKCAPIL" in ulasan(second, "roster", "show").stdout

    # SECRET_KEY in the environment would shadow the restored key: refused even if told.
    shadowed = ulasan(
        tmp_path / "third",
        "db",
        "restore",
        str(backup),
        "--other-key",
        SECRET_KEY="a-key-set-by-hand-0123456789",
    )
    assert shadowed.exit_code == 2
    assert one_line(shadowed).startswith("SECRET_KEY is set and is not the key of this backup")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "tampered"])
def test_a_broken_backup_is_one_line_and_changes_nothing(tmp_path: Path, damage: str):
    home = tmp_path / "home"
    set_up_home(home)
    backup = tmp_path / "b.ulasan-backup"
    assert ulasan(home, "db", "backup", str(backup)).exit_code == 0
    data = backup.read_bytes()
    if damage == "truncated":
        backup.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        backup.write_bytes(os.urandom(4096))
    else:
        import io
        import tarfile

        source = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w:gz") as tar:
            for member in source.getmembers():
                content = source.extractfile(member).read()  # type: ignore[union-attr]
                if member.name == "secret_key":
                    content = b"somebody-else-s-key-0123456789\n"
                member.size = len(content)
                tar.addfile(member, io.BytesIO(content))
        backup.write_bytes(out.getvalue())
    before = {p.name: p.read_bytes() for p in (home / "data").iterdir() if p.is_file()}
    result = ulasan(home, "db", "restore", str(backup))
    assert result.exit_code == 1
    line = one_line(result)
    assert line.startswith(str(backup)) and line.endswith("nothing was changed.")
    after = {p.name: p.read_bytes() for p in (home / "data").iterdir() if p.is_file()}
    after.pop("bot.lock")  # the restore held the home's lock while it looked
    assert after == before


def test_backup_never_overwrites_and_needs_a_database(tmp_path: Path):
    home = tmp_path / "home"
    empty = ulasan(home, "db", "backup", str(tmp_path / "b.ulasan-backup"))
    assert empty.exit_code == 2 and one_line(empty).startswith("No database at ")
    set_up_home(home)
    target = tmp_path / "b.ulasan-backup"
    target.write_text("yesterday's")
    result = ulasan(home, "db", "backup", str(target))
    assert result.exit_code == 1 and "exists" in one_line(result)
    assert target.read_text() == "yesterday's"


def test_backup_on_this_database_says_what_it_holds(
    tmp_path: Path, database_url: str, _own_home: Path
):
    env = {"DATABASE_URL": database_url}
    assert ulasan(_own_home, "db", "upgrade", **env).exit_code == 0
    target = tmp_path / "b.ulasan-backup"
    result = ulasan(_own_home, "db", "backup", str(target), **env)
    assert result.exit_code == 0, result.output
    if database_url.startswith("postgresql"):
        # The key and files only; the database itself is pg_dump's job, named here.
        assert "secret key" in result.stdout and "database (revision" not in result.stdout
        assert "pg_dump --format=custom" in result.stdout
        restored = ulasan(tmp_path / "new", "db", "restore", str(target), **env)
        assert restored.exit_code == 0, restored.output
        assert "pg_restore" in restored.stdout
    else:
        assert "database (revision" in result.stdout
