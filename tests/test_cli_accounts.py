"""``ulasan link-codes`` as a real subprocess: output formats, the bot username, failures.

Each command runs with cwd set to the test's own folder (settings also read a
``.env`` from the working directory) and only the environment given here. The
subprocess is started with asyncio so the fake Bot API server (for getMe) keeps
answering on the test's event loop meanwhile.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.settings import load_settings
from storage import accounts, link_codes
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import AuditLog, Employee, LinkCode, Unit
from tests.support.fakebot import FakeBotApi

SECRET = "cli-test-secret-0123456789"
NIPS = ("198501012010012001", "199002022015031002", "199103032019032003")
SETTING_NAMES = (
    "BOT_TOKEN",
    "BOT_USERNAME",
    "TELEGRAM_BASE_URL",
    "DATABASE_URL",
    "DATA_DIR",
    "SECRET_KEY",
    "LINK_CODE_TTL_DAYS",
)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


class Ulasan:
    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.database_url = database_url
        self.env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
        self.env.update(
            DATABASE_URL=database_url,
            DATA_DIR=str(folder / "data"),
            SECRET_KEY=SECRET,
            BOT_USERNAME="UlasanTestBot",
        )

    async def __call__(self, *args: str, **env: str | None) -> Done:
        environment = dict(self.env)
        for key, value in env.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from bot.cli.main import main; main()",
            *args,
            cwd=self.folder,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
        return Done(process.returncode or 0, stdout.decode(), stderr.decode())


@pytest.fixture
async def sessions(migrated: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def ulasan(tmp_path: Path, migrated: str, sessions: SessionFactory) -> Ulasan:
    async with sessions.begin() as session:
        dinas = Unit(code="DISDUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil")
        other = Unit(code="DINKES", name="Dinas Kesehatan")
        session.add_all([dinas, other])
        await session.flush()
        session.add_all(
            [
                Employee(nip=NIPS[0], name="Ani Lestari", position="Kepala", unit_id=dinas.id),
                Employee(nip=NIPS[1], name="Budi Santoso", position="Staf", unit_id=dinas.id),
                Employee(nip=NIPS[2], name="Citra Dewi", position="Perawat", unit_id=other.id),
            ]
        )
    return Ulasan(tmp_path, migrated)


async def issued_count(sessions: SessionFactory) -> tuple[int, int]:
    async with sessions() as session:
        codes = await session.scalar(select(func.count()).select_from(LinkCode))
        audits = await session.scalar(select(func.count()).select_from(AuditLog))
    return int(codes or 0), int(audits or 0)


async def test_json_codes_link_when_opened(ulasan: Ulasan, sessions: SessionFactory):
    done = await ulasan("link-codes", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)  # stdout is only the data
    # Ordered by unit code, then name: what HR hands out unit by unit.
    assert [row["nip"] for row in rows] == [NIPS[2], NIPS[0], NIPS[1]]
    for row in rows:
        assert set(row) == {"nip", "name", "unit_code", "unit_name", "code", "link", "expires_at"}
        assert row["link"] == f"https://t.me/UlasanTestBot?start=link_{row['code']}"
    budi = rows[2]
    assert budi["name"] == "Budi Santoso" and budi["unit_code"] == "DISDUKCAPIL"
    assert "shown only this once" in done.stderr and "expire on" in done.stderr
    assert "WIB" in done.stderr

    policy = link_codes.LinkPolicy.from_settings(
        load_settings(_env_file=None, secret_key=SECRET, database_url=ulasan.database_url)
    )
    async with sessions.begin() as session:
        result = await accounts.redeem_link_code(
            session, policy, code=budi["code"], telegram_user_id=4242, language="id"
        )
    assert result.outcome is accounts.Outcome.LINKED
    assert result.employee is not None and result.employee.nip == NIPS[1]
    async with sessions() as session:
        actors = set(
            await session.scalars(
                select(AuditLog.actor).where(AuditLog.action == link_codes.ACTION_ISSUE)
            )
        )
    assert len(actors) == 1 and actors.pop().startswith("cli:")

    # Budi is linked, the others hold valid codes: a plain run issues nothing.
    again = await ulasan("link-codes", "--format", "json")
    assert json.loads(again.stdout) == []
    renewed = await ulasan("link-codes", "--renew", "--unit", "DISDUKCAPIL", "--format", "json")
    assert [row["nip"] for row in json.loads(renewed.stdout)] == [NIPS[0], NIPS[1]]


async def test_csv_and_table(ulasan: Ulasan):
    done = await ulasan("link-codes", "--unit", "DINKES", "--format", "csv")
    assert done.returncode == 0, done.stderr
    [row] = list(csv.DictReader(io.StringIO(done.stdout)))
    assert (row["nip"], row["name"], row["unit_code"]) == (NIPS[2], "Citra Dewi", "DINKES")
    assert row["link"].endswith("?start=link_" + row["code"])
    assert "1 code(s) issued" in done.stderr

    table = await ulasan("link-codes", "--unit", "DISDUKCAPIL")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NIP", "name", "unit", "code", "link"]
    assert NIPS[0] in lines[1] and "Ani Lestari" in lines[1] and "https://t.me/" in lines[1]
    assert "shown only this once" in table.stdout


async def test_a_second_run_issues_nothing_and_voids_nothing(
    ulasan: Ulasan, sessions: SessionFactory
):
    first = json.loads((await ulasan("link-codes", "--format", "json")).stdout)
    done = await ulasan("link-codes", "--unit", "DINKES", "--format", "json")
    # Citra holds a valid code: nothing new, and her slip still works.
    assert json.loads(done.stdout) == []
    assert "no codes issued" in done.stderr and "link-codes status" in done.stderr
    async with sessions() as session:
        revoked = await session.scalar(
            select(func.count()).select_from(LinkCode).where(LinkCode.revoked_at.is_not(None))
        )
    assert revoked == 0 and len(first) == 3


async def test_one_lost_slip_renews_one_code(ulasan: Ulasan, sessions: SessionFactory):
    await ulasan("link-codes", "--format", "json")
    done = await ulasan("link-codes", "--nip", NIPS[1], "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [row["nip"] for row in json.loads(done.stdout)] == [NIPS[1]]
    assert "Earlier unused codes of these employees no longer work" in done.stderr
    async with sessions() as session:
        revoked = await session.scalar(
            select(func.count()).select_from(LinkCode).where(LinkCode.revoked_at.is_not(None))
        )
    assert revoked == 1
    wrong = await ulasan("link-codes", "--nip", "123")
    assert wrong.returncode == 1 and "employee NIP '123' is not in the roster" in wrong.stderr
    both = await ulasan("link-codes", "--nip", NIPS[1], "--renew")
    assert both.returncode == 1 and "exclude each other" in both.stderr


async def test_status_lists_holders_and_issues_nothing(ulasan: Ulasan, sessions: SessionFactory):
    await ulasan("link-codes", "--unit", "DISDUKCAPIL", "--format", "json")
    before = await issued_count(sessions)
    done = await ulasan("link-codes", "status", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {row["nip"]: row for row in json.loads(done.stdout)}
    assert rows[NIPS[0]]["code_expires_at"] and not rows[NIPS[0]]["linked"]
    assert rows[NIPS[2]]["code_expires_at"] is None
    table = await ulasan("link-codes", "status", "--unit", "DISDUKCAPIL")
    assert table.returncode == 0, table.stderr
    assert "2 active employee(s): 0 linked, 2 holding a valid code, 0 with neither" in table.stdout
    assert await issued_count(sessions) == before
    wrong = await ulasan("link-codes", "status", "--unit", "NOPE")
    assert wrong.returncode == 1 and "unknown unit code 'NOPE'" in wrong.stderr
    misplaced = await ulasan("link-codes", "--unit", "DINKES", "status")
    assert misplaced.returncode == 1 and "after the subcommand" in misplaced.stderr


async def test_xlsx_keeps_the_nip_as_text(ulasan: Ulasan):
    from openpyxl import load_workbook

    out = ulasan.folder / "kode.xlsx"
    done = await ulasan("link-codes", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[0] == str(out)
    sheet = load_workbook(out).active
    assert [cell.value for cell in sheet[1]] == [
        "NIP",
        "Nama",
        "Kode unit",
        "Unit",
        "Kode",
        "Tautan",
        "Berlaku sampai",
    ]
    nip = sheet["A2"]
    assert nip.value == NIPS[2] and nip.data_type == "s" and nip.number_format == "@"
    assert sheet["F2"].value.startswith("https://t.me/UlasanTestBot?start=link_")
    status = await ulasan("link-codes", "status", "--format", "xlsx")
    assert status.returncode == 0, status.stderr
    path = Path(status.stdout.strip())
    assert path.parent == ulasan.folder / "data" / "exports"
    rows = list(load_workbook(path).active.iter_rows(min_row=2, values_only=True))
    assert {row[0] for row in rows} == set(NIPS) and all(row[4] == "belum tertaut" for row in rows)


async def test_unknown_unit_issues_nothing(ulasan: Ulasan, sessions: SessionFactory):
    done = await ulasan("link-codes", "--unit", "NOPE")
    assert done.returncode == 1
    assert "unknown unit code 'NOPE'" in done.stderr and "Traceback" not in done.stderr
    assert await issued_count(sessions) == (0, 0)


async def test_username_from_get_me(ulasan: Ulasan, fake_api: FakeBotApi):
    done = await ulasan(
        "link-codes",
        "--format",
        "json",
        BOT_USERNAME=None,
        BOT_TOKEN=fake_api.token,
        TELEGRAM_BASE_URL=fake_api.base_url,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["link"].startswith("https://t.me/UlasanTestBot?start=link_")
    assert [call.method for call in fake_api.calls] == ["getMe"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("token", [None, "123456:TEST-TOKEN-0123456789abcdefghijklmn"])
async def test_no_username_means_exit_2_and_nothing_issued(
    ulasan: Ulasan, sessions: SessionFactory, token: str | None
):
    done = await ulasan(
        "link-codes",
        BOT_USERNAME=None,
        BOT_TOKEN=token,
        TELEGRAM_BASE_URL=f"http://127.0.0.1:{_closed_port()}/bot",
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "BOT_USERNAME" in lines[0], done.stderr
    assert done.stdout == ""
    assert await issued_count(sessions) == (0, 0)


async def test_help(ulasan: Ulasan):
    done = await ulasan("link-codes", "--help")
    assert done.returncode == 0
    for option in ("--unit", "--renew", "--format"):
        assert option in done.stdout


async def test_slips_are_written_with_the_codes_or_nothing_is_issued(
    ulasan: Ulasan, sessions: SessionFactory
):
    import re

    blocker = ulasan.folder / "file"
    blocker.write_text("x")
    refused = await ulasan("link-codes", "--slips", str(blocker / "slips.pdf"))
    assert refused.returncode == 1 and "--slips: cannot" in refused.stderr
    assert "nothing issued" in refused.stderr and "Traceback" not in refused.stderr
    assert await issued_count(sessions) == (0, 0)

    slips = ulasan.folder / "cetak" / "slips.pdf"
    done = await ulasan("link-codes", "--slips", str(slips), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 3
    data = slips.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    assert f"3 slip(s) on 1 page(s): {slips}" in done.stderr
