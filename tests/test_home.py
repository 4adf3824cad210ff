"""One home: an operator runs commands from any folder and always meets the same
database and key; a command never quietly creates a second key or an empty database.

Each test has its own home (ULASAN_HOME, see conftest) and its own database
(SQLite file, or a fresh PostgreSQL database under `make test-pg`). The working
folder is moved somewhere else on purpose: nothing may land there.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import cli, register_commands
from storage.key_check import check_value, inspect_database

OTHER_KEY = "another-secret-key-0123456789"


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def ulasan(database_url: str, *args: str, **env: str) -> Result:
    register_commands()
    environment = {"DATABASE_URL": database_url, "DATA_DIR": None, "SECRET_KEY": None, **env}
    return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)


def one_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def state(database_url: str):
    return asyncio.run(inspect_database(database_url))


def test_first_upgrade_creates_the_database_and_its_key_in_the_home(
    database_url: str, _own_home: Path, elsewhere: Path
):
    result = ulasan(database_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    key_file = _own_home / "data" / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    recorded = state(database_url).check_value
    assert recorded == check_value(key_file.read_text().strip().encode())
    # Again, from another folder: the same home, key and database; nothing new.
    again = ulasan(database_url, "db", "upgrade")
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output
    assert state(database_url).check_value == recorded
    assert list(elsewhere.iterdir()) == []


def test_a_command_never_creates_a_database(database_url: str, _own_home: Path, elsewhere: Path):
    result = ulasan(database_url, "roster", "show")
    assert result.exit_code == 2
    assert one_line(result).startswith("No database at ")
    assert "`ulasan db upgrade`" in result.stderr
    assert not state(database_url).exists
    assert not (_own_home / "data" / "secret_key").exists()
    assert list(elsewhere.iterdir()) == []


def test_a_key_without_its_database_stops_the_upgrade(
    database_url: str, _own_home: Path, elsewhere: Path
):
    (_own_home / "data").mkdir(parents=True)
    (_own_home / "data" / "secret_key").write_text("the-key-of-a-lost-database-0123\n")
    result = ulasan(database_url, "db", "upgrade")
    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith(f"A secret key exists ({_own_home / 'data' / 'secret_key'})")
    assert "ulasan db restore FILE" in line
    assert "--new-database" in line
    assert not state(database_url).exists
    # On purpose: a new, empty database with the existing key.
    result = ulasan(database_url, "db", "upgrade", "--new-database")
    assert result.exit_code == 0, result.output
    assert state(database_url).check_value == check_value(b"the-key-of-a-lost-database-0123")


def test_a_key_that_does_not_match_stops_every_command(database_url: str, elsewhere: Path):
    assert ulasan(database_url, "db", "upgrade").exit_code == 0
    for command in (("roster", "show"), ("db", "upgrade"), ("job", "list"), ("run",)):
        result = ulasan(database_url, *command, SECRET_KEY=OTHER_KEY, BOT_TOKEN="1:" + "A" * 35)
        assert result.exit_code == 2, (command, result.output)
        assert one_line(result).startswith("The secret key (SECRET_KEY) is not the key of")


def test_a_database_whose_key_is_gone_stops(database_url: str, _own_home: Path, elsewhere: Path):
    assert ulasan(database_url, "db", "upgrade").exit_code == 0
    (_own_home / "data" / "secret_key").unlink()
    for command in (("roster", "show"), ("db", "upgrade")):
        result = ulasan(database_url, *command)
        assert result.exit_code == 2
        assert "exists but its secret key does not" in one_line(result)
    assert not (_own_home / "data" / "secret_key").exists()


def test_a_database_from_before_the_key_check_records_the_key_in_use(
    migrated: str, elsewhere: Path
):
    # Migrated without the CLI (as before this check existed): nothing recorded yet.
    assert state(migrated).check_value is None
    assert ulasan(migrated, "roster", "show", SECRET_KEY=OTHER_KEY).exit_code == 0
    assert state(migrated).check_value is None  # reading commands record nothing
    assert ulasan(migrated, "db", "upgrade", SECRET_KEY=OTHER_KEY).exit_code == 0
    assert state(migrated).check_value == check_value(OTHER_KEY.encode())


def test_relative_paths_resolve_against_the_home(tmp_path: Path, _own_home: Path, elsewhere: Path):
    result = ulasan("sqlite+aiosqlite:///./db/relative.db", "db", "upgrade", DATA_DIR="state")
    assert result.exit_code == 0, result.output
    assert (_own_home / "db" / "relative.db").is_file()
    assert (_own_home / "state" / "secret_key").is_file()
    assert list(elsewhere.iterdir()) == []


def test_reports_without_out_land_in_the_homes_exports(
    database_url: str, _own_home: Path, elsewhere: Path
):
    assert ulasan(database_url, "db", "upgrade").exit_code == 0
    result = ulasan(database_url, "report", "ikm", "--format", "xlsx", "--to", "2026-06-30")
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert written.parent == _own_home / "data" / "exports"
    assert written.is_file()
    assert list(elsewhere.iterdir()) == []
