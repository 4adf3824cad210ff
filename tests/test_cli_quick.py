"""Quick commands stay quick: what ``ulasan --help`` and ``ulasan report ikm`` import.

Issue 22 wants both to answer in under half a second as a person waits. Their time is
almost all Python importing modules, so this guards the cause rather than the clock
(speed is measured in BENCHMARKS.md, never here): the commands run as the operator
runs them, in a fresh interpreter with ``-X importtime``, and must not import the
libraries that only other commands need (the bot's Telegram stack, Alembic, the
document and chart libraries), nor the modules of the other commands. Babel compiles
a catalog only when the compiled-catalog cache misses (bot/core/i18n.py), so report
ikm runs twice: the second run, with the cache warm, must not import Babel. The
settings are pydantic-settings again (the house prefers the library); --help reads
no settings and imports no pydantic. The root group loads a command's module only when the command
is named (bot/cli/main.py), and its table of names must agree with the commands.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from bot.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]

# Top-level packages the quick commands must not import (each costs tens of ms or more).
HEAVY = {
    "telegram",
    "httpx",
    "aiohttp",
    "apscheduler.schedulers",
    "alembic",
    "mako",
    "pygments",
    "openpyxl",
    "weasyprint",
    "PIL",
    "numpy",
    "matplotlib",
    "qrcode",
    "segno",
    "jinja2",
    "docx",
    "pypdf",
    "babel",
}
# And the database stack, for --help.
DATABASE = {"sqlalchemy", "aiosqlite", "asyncpg", "pydantic", "pydantic_settings"}


def imported(*args: str, env: dict[str, str]) -> tuple[set[str], str]:
    """The modules ``ulasan ARGS`` imports (from ``-X importtime``), and its stdout."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", done.stderr, re.M))
    assert "bot.cli.main" in names  # the trace was read
    return names, done.stdout


def offending(names: set[str], forbidden: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


def other_commands(names: set[str], allowed: set[str]) -> list[str]:
    return sorted(n for n in names if n.startswith("bot.cli.") and n not in allowed)


@pytest.fixture(scope="module")
def example_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated SQLite home with the example organisation's units and services."""
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if "ULASAN" not in k}
    env.update(
        ULASAN_HOME=str(home),
        DATA_DIR="data",
        DATABASE_URL=f"sqlite+aiosqlite:///{home}/data/ulasan.db",
        SECRET_KEY="",
        BOT_TOKEN="",
        # The compiled catalogs' cache of this test alone, so the first run starts cold.
        XDG_CACHE_HOME=str(home / "cache"),
    )
    for args in (
        ("db", "upgrade"),
        ("import", "units", "examples/units.csv"),
        ("import", "services", "examples/services.csv"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    return env


def test_report_ikm_imports_only_what_it_needs(example_home: dict[str, str]) -> None:
    args = ("report", "ikm", "--unit", "CAPIL", "--from", "2025-01-01", "--to", "2025-12-31")
    cold, _ = imported(*args, env=example_home)
    assert "babel" in cold  # the cache was empty: Babel compiled the catalogs
    assert list((Path(example_home["XDG_CACHE_HOME"]) / "ulasan" / "catalogs").glob("*.mo"))
    names, out = imported(*args, env=example_home)
    assert "AKTA-LAHIR" in out and "Responden (n) : 0" in out  # the report was made
    assert {"sqlalchemy", "storage.ikm_report", "bot.core.i18n", "pydantic_settings"} <= names
    assert offending(names, HEAVY) == []
    assert (
        other_commands(
            names,
            {
                "bot.cli.main",
                "bot.cli.common",
                "bot.cli.progress",
                "bot.cli.home_check",
                "bot.cli.report_ikm",
                "bot.cli.report_review",
                "bot.cli.report_participation",
                "bot.cli.report_development",
            },
        )
        == []
    )


def test_help_imports_no_database_stack(example_home: dict[str, str]) -> None:
    names, out = imported("--help", env=example_home)
    assert "report" in out and "cycle" in out
    assert offending(names, HEAVY | DATABASE) == []


def test_every_lazily_named_command_is_the_command_of_that_name() -> None:
    cli_main.register_commands()
    assert sorted(cli_main.cli.commands) == sorted(cli_main.COMMANDS)
    for name, spec in cli_main.COMMANDS.items():
        command = cli_main.load(spec)
        assert isinstance(command, click.Command)
        assert command.name == name
        assert cli_main.cli.commands[name] is command
    report = cli_main.cli.commands["report"]
    assert isinstance(report, click.Group)
    assert sorted(report.commands) == ["development", "ikm", "participation", "review"]


def test_short_commands_put_off_full_collections_and_the_bot_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    monkeypatch.setattr(sys, "argv", ["ulasan", "--version"])
    try:
        with pytest.raises(SystemExit):
            cli_main.main()
        assert gc.get_threshold() == (*cli_main.GC_THRESHOLD[:2], 1000)
        cli_main.register_commands()
        done = CliRunner().invoke(
            cli_main.cli,
            ["run"],
            env={"ULASAN_HOME": str(tmp_path), "BOT_TOKEN": "", "DATABASE_URL": ""},
        )
        assert done.exit_code == 2  # no token: it stops before serving
        assert gc.get_threshold() == cli_main.GC_THRESHOLD
    finally:
        gc.set_threshold(*cli_main.GC_THRESHOLD)
