"""``ulasan cycle …`` through click's CliRunner on the real command tree.

Settings come from the environment given to the runner (DATABASE_URL, DATA_DIR,
SECRET_KEY), with the working directory moved to the test's folder so no
``.env`` is read. The roster is seeded with the models (tests/support/review_roster.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bot.cli.main import cli, register_commands
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.outbox_models import OutboxMessage
from storage.review_models import ReviewAssignment, ReviewCycle
from tests.support.review_roster import NIPS, seed_roster

Run = Callable[..., Result]
DEADLINE = (date.today() + timedelta(days=30)).isoformat()


async def _seed(url: str) -> None:
    await upgrade(url)
    engine = create_engine(url)
    try:
        await seed_roster(session_factory(engine))
    finally:
        await engine.dispose()


async def _count(url: str, model: type) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


def count(url: str, model: type) -> int:
    return asyncio.run(_count(url, model))


@pytest.fixture
def run(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.chdir(tmp_path)
    register_commands()
    env = {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
        "DEFAULT_LANGUAGE": "id",
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["cycle", *args], env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def seeded(run: Run, database_url: str) -> Run:
    asyncio.run(_seed(database_url))
    return run


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_help_everywhere(run: Run):
    for command in ([], ["open"], ["assign"], ["unassign"], ["status"], ["close"], ["list"]):
        result = run(*command, "--help")
        assert result.exit_code == 0, result.stderr
        assert "Usage:" in result.stdout
    assert "--max-peers" in run("open", "--help").stdout
    assert "peer|subordinate|supervisor" in run("assign", "--help").stdout


def test_open_status_close_list(seeded: Run, database_url: str):
    opened = seeded("open", "Semester II", "--deadline", DEADLINE)
    assert opened.exit_code == 0, opened.stderr
    assert (
        f'Opened cycle "Semester II" for all units, deadline {DEADLINE}: 7 employee(s), '
        "25 review(s), 7 rater(s)." in opened.stdout
    )
    assert "Opening messages queued: 3." in opened.stdout
    assert "4 rater(s) have no linked Telegram account" in opened.stdout
    assert opened.stdout.count("note: ") == 2  # the two people without a supervisor
    assert count(database_url, OutboxMessage) == 3

    listed = seeded("list")
    assert listed.exit_code == 0
    assert "Semester II" in listed.stdout and "0/25 (0%)" in listed.stdout

    table = seeded("status", "Semester II")
    assert table.exit_code == 0, table.stderr
    out = table.stdout
    assert "Cycle: Semester II (open)" in out
    assert "Reviews: 25; submitted 0 (0%), in progress 0, pending 25" in out
    for section in ("By relation group", "By unit (the rater's unit)", "By rater"):
        assert section in out
    assert "Raters with no linked Telegram account (4):" in out
    assert NIPS["A2"] in out.split("Raters with no linked")[1]

    as_json = seeded("status", "Semester II", "--format", "json")
    data = json.loads(as_json.stdout)
    assert data["version"] == 1 and data["cycle"]["status"] == "open"
    assert data["totals"] == {"total": 25, "submitted": 0, "in_progress": 0, "pending": 25}
    assert data["by_relation"]["peer"]["total"] == 8
    assert {u["unit"] for u in data["by_unit"]} == {
        "DINAS",
        "BIDANG-A",
        "BIDANG-B",
        "SEKSI-A1",
        "OTHER",
    }
    assert len(data["by_rater"]) == 7 and len(data["unlinked_raters"]) == 4
    # Completion only: nothing in the status names whom a rater rates.
    assert "ratee" not in as_json.stdout

    closed = seeded("close", "Semester II")
    assert closed.exit_code == 0, closed.stderr
    assert 'Closed cycle "Semester II": 0/25 (0%) reviews submitted;' in closed.stdout
    assert "closed" in seeded("list").stdout
    again = one_line_error(seeded("close", "Semester II"))
    assert again == "Error: The cycle “Semester II” is closed; nothing can be changed any more."
    one_line_error(
        seeded(
            "assign",
            "Semester II",
            "--rater",
            NIPS["H"],
            "--ratee",
            NIPS["O"],
            "--relation",
            "peer",
        )
    )
    one_line_error(seeded("unassign", "Semester II", "--rater", NIPS["A1"], "--ratee", NIPS["A2"]))


def test_assign_and_unassign(seeded: Run, database_url: str):
    assert seeded("open", "C1", "--deadline", DEADLINE, "--no-self").exit_code == 0
    assert count(database_url, ReviewAssignment) == 18
    added = seeded(
        "assign", "C1", "--rater", NIPS["H"], "--ratee", NIPS["O"], "--relation", "supervisor"
    )
    assert added.exit_code == 0, added.stderr
    assert "rates" in added.stdout and "the rater was notified" in added.stdout
    twice = one_line_error(
        seeded("assign", "C1", "--rater", NIPS["H"], "--ratee", NIPS["O"], "--relation", "peer")
    )
    assert "already assigned" in twice
    removed = seeded("unassign", "C1", "--rater", NIPS["H"], "--ratee", NIPS["O"])
    assert removed.exit_code == 0 and "no longer rates" in removed.stdout
    assert count(database_url, ReviewAssignment) == 18
    missing = one_line_error(seeded("unassign", "C1", "--rater", NIPS["H"], "--ratee", NIPS["O"]))
    assert "is not assigned" in missing
    unknown = one_line_error(
        seeded("assign", "C1", "--rater", "1", "--ratee", NIPS["O"], "--relation", "peer")
    )
    assert unknown == "Error: There is no employee with NIP 1."
    bad = one_line_error(
        seeded("assign", "C1", "--rater", NIPS["H"], "--ratee", NIPS["O"], "--relation", "self")
    )
    assert "--relation" in bad


def test_user_errors_are_one_line_with_exit_code_1(seeded: Run, database_url: str):
    cases = {
        ("open", "X", "--deadline", "31-01-2030"): "is not a date; use YYYY-MM-DD",
        ("open", "X", "--deadline", "2030-02-30"): "is not a valid date",
        ("open", "X", "--deadline", "2001-01-01"): "is in the past",
        ("open", "X"): "Missing option '--deadline'",
        ("open", "X", "--deadline", DEADLINE, "--max-peers", "many"): "--max-peers",
        ("open", "X", "--deadline", DEADLINE, "--unit", "NOPE"): "no unit with code NOPE",
        ("status", "Nope"): "There is no cycle named “Nope”.",
        ("status", "Nope", "--format", "xml"): "--format",
        ("close", "Nope"): "no cycle named",
        ("nope",): "No such command",
    }
    for args, expected in cases.items():
        line = one_line_error(seeded(*args))
        assert expected in line, (args, line)
    assert count(database_url, ReviewCycle) == 0
    assert seeded("open", "U", "--deadline", DEADLINE, "--unit", "bidang-a").exit_code == 0
    twice = one_line_error(seeded("open", "U", "--deadline", DEADLINE))
    assert twice == "Error: A cycle named “U” already exists; choose another name."


def test_empty_list_and_unmigrated_database(run: Run, database_url: str):
    result = run("list")
    assert result.exit_code == 2 and "ulasan db upgrade" in result.stderr
    asyncio.run(upgrade(database_url))
    result = run("list")
    assert result.exit_code == 0 and "No cycles yet" in result.stdout
