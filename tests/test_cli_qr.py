"""``ulasan qr``: QR codes and A5 posters for the citizen survey, with stable payloads."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from PIL import Image, ImageChops

from bot.cli import qr
from bot.cli.main import cli, register_commands
from bot.core.links import PAYLOAD
from scheduler.documents import qr_poster
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from tests.support.citizen import OFFICER_NIP, QR, seed_roster
from tests.support.fakebot import FakeBotApi

register_commands()

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A migrated, seeded database in an empty working folder (no .env around)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/qr.db"

    async def prepare() -> None:
        await upgrade(url)
        engine = create_engine(url)
        await seed_roster(session_factory(engine))
        await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.chdir(tmp_path)
    return {
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key-0123456789",
        "BOT_USERNAME": "UlasanKotaBot",
        "BOT_TOKEN": "",
        "LOG_LEVEL": "WARNING",
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["qr", *args], env=env, catch_exceptions=False)


def as_json(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_lists_every_active_service_and_writes_valid_files(
    workdir: dict[str, str], tmp_path: Path
):
    rows = as_json(run(workdir, "--format", "json"))
    assert [r["code"] for r in rows] == ["KK", "KTP"]  # not the inactive one
    for row in rows:
        assert set(row) == {
            "code",
            "name",
            "unit_code",
            "employee_nip",
            "payload",
            "link",
            "qr_png",
            "poster_png",
            "poster_pdf",
            "unit_posters_pdf",
        }
        assert row["unit_code"] == "DUKCAPIL" and row["employee_nip"] is None
        assert PAYLOAD.match(row["payload"]) and row["payload"].startswith("s_")
        assert row["link"] == f"https://t.me/UlasanKotaBot?start={row['payload']}"
        # Default folder: DATA_DIR/qr.
        assert Path(row["qr_png"]).parent == tmp_path / "data" / "qr"
        with Image.open(row["qr_png"]) as qr:
            assert qr.format == "PNG" and qr.width == qr.height
            # The file is exactly the QR code of the link.
            expected = qr_poster.qr_image(row["link"])
            assert ImageChops.difference(qr.convert("RGB"), expected).getbbox() is None
        with Image.open(row["poster_png"]) as poster:
            assert poster.format == "PNG" and poster.size == (874, 1240)
        pdf = Path(row["poster_pdf"]).read_bytes()
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", pdf)
        assert box is not None  # A5 is 419.5 x 595.3 points
        assert abs(float(box.group(1)) - 419.5) < 1 and abs(float(box.group(2)) - 595.3) < 1
    # The entry seeded earlier keeps its payload (posters already printed stay valid).
    assert next(r for r in rows if r["code"] == "KTP")["payload"] == QR


def test_payloads_are_stable_across_runs(workdir: dict[str, str]):
    first = as_json(run(workdir, "--format", "json"))
    second = as_json(run(workdir, "--format", "json"))
    assert [r["payload"] for r in first] == [r["payload"] for r in second]
    officer = as_json(
        run(workdir, "--employee", OFFICER_NIP, "--service", "KK", "--format", "json")
    )
    again = as_json(run(workdir, "--employee", OFFICER_NIP, "--service", "KK", "--format", "json"))
    assert officer[0]["payload"] == again[0]["payload"]
    assert officer[0]["payload"] != first[0]["payload"]
    assert officer[0]["employee_nip"] == OFFICER_NIP
    assert OFFICER_NIP in Path(officer[0]["qr_png"]).name


def test_filters_and_table_output(workdir: dict[str, str], tmp_path: Path):
    out = tmp_path / "posters"
    result = run(workdir, "--unit", "DUKCAPIL", "--service", "KTP", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "KTP" in result.output and QR in result.output
    assert "1 QR code(s)" in result.output and "0 new, 1 reused" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "KTP_poster.pdf",
        "KTP_poster.png",
        "KTP_qr.png",
    ]
    rows = as_json(run(workdir, "--employee", OFFICER_NIP, "--format", "json"))
    assert [r["code"] for r in rows] == ["KK", "KTP"]  # the officer's unit


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "NOPE"], "unknown unit 'NOPE'"),
        (["--service", "NOPE"], "unknown service 'NOPE'"),
        (["--service", "OLD"], "service 'OLD' is not active"),
        (["--employee", "123"], "unknown employee NIP '123'"),
        (["--unit", "DINKES"], "no active services"),
    ],
)
def test_bad_arguments_say_so_in_one_line(workdir: dict[str, str], args: list[str], message: str):
    result = run(workdir, *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_a_bot_username_exits_2(workdir: dict[str, str]):
    result = run({**workdir, "BOT_USERNAME": ""}, "--format", "json")
    assert result.exit_code == 2
    assert "BOT_USERNAME" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not Path(workdir["DATA_DIR"], "qr").exists()


def test_help():
    result = CliRunner().invoke(cli, ["qr", "--help"])
    assert result.exit_code == 0
    for option in ("--unit", "--service", "--employee", "--out", "--format"):
        assert option in result.output


async def test_username_from_get_me(tmp_path: Path, fake_api: FakeBotApi):
    """Without BOT_USERNAME the command asks the Bot API (getMe) with the token."""
    url = f"sqlite+aiosqlite:///{tmp_path}/qr.db"
    await upgrade(url)
    engine = create_engine(url)
    await seed_roster(session_factory(engine))
    await engine.dispose()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key-0123456789",
        "BOT_USERNAME": "",
        "BOT_TOKEN": fake_api.token,
        "TELEGRAM_BASE_URL": fake_api.base_url,
    }
    script = "from bot.cli.main import main; main()"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        "qr",
        "--service",
        "KTP",
        "--format",
        "json",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    rows = json.loads(stdout)
    assert rows[0]["link"] == f"https://t.me/UlasanTestBot?start={QR}"
    assert any(call.method == "getMe" for call in fake_api.calls)


def test_registered_with_the_other_commands():
    register_commands()
    assert cli.commands["qr"] is qr.qr_command


def test_one_pdf_per_unit_names_the_pemda_and_the_logo_is_checked(
    workdir: dict[str, str], tmp_path: Path
):
    import re as regex

    logo = tmp_path / "home" / "logo.png"
    logo.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (200, 120), "red").save(logo)
    env = {**workdir, "PEMDA_NAME": "Pemerintah Kota Harapan", "POSTER_LOGO": "logo.png"}
    rows = as_json(run(env, "--format", "json"))
    (unit_pdf,) = {row["unit_posters_pdf"] for row in rows}
    assert Path(unit_pdf).name == "DUKCAPIL_posters.pdf"
    data = Path(unit_pdf).read_bytes()
    assert data.startswith(b"%PDF")
    assert len(regex.findall(rb"/Type\s*/Page\b", data)) == len(rows) == 2
    # The band carries the logo (red) at its left; the rest of the band is blue.
    with Image.open(rows[0]["poster_png"]) as picture:
        assert picture.convert("RGB").getpixel((60, 85))[0] > 200
        assert picture.convert("RGB").getpixel((800, 10)) == qr_poster.BAND
    table = run(env)
    assert "every poster of a unit in one PDF: DUKCAPIL_posters.pdf" in table.stdout

    broken = {**env, "POSTER_LOGO": "missing.png"}
    result = run(broken)
    assert result.exit_code == 2
    assert "POSTER_LOGO: cannot read" in result.output and "Traceback" not in result.output
