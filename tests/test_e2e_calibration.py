"""Rater calibration before the first review of a cycle, end to end.

The real Application runs against the fake Bot API over HTTP, with CALIBRATION=offer (the
default of a deployment; tests/support/app.py turns it off for the other scenarios) or
required. The world is tests/support/rating_world.py. BKPSDM reads completion per OPD with
``ulasan cycle calibration``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.app import BotApplication
from bot.cli.main import cli, register_commands
from bot.core.settings import Settings
from scheduler.scoring.calibration_vignettes import set_for
from scheduler.scoring.shipped_instruments import BERAKHLAK_3
from storage.calibration_models import CalibrationRun
from storage.db import SessionFactory
from storage.review_models import ReviewAssignment
from tests.support.app import ADMIN_ID, make_settings
from tests.support.fakebot import FakeBotApi
from tests.support.rating_world import ANI_TG, BUDI_TG, HEAD_TG, Seeded, seed_review

LEVELS = ("Di bawah ekspektasi", "Sesuai ekspektasi", "Di atas ekspektasi")


@pytest.fixture
def mode() -> str:
    return "offer"


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi, mode: str) -> Settings:
    return make_settings(
        tmp_path,
        migrated,
        telegram_base_url=fake_api.base_url,
        calibration=mode,
        ulasan_home=tmp_path / "home",
    )


@pytest.fixture
async def seeded(sessions: SessionFactory) -> Seeded:
    return await seed_review(sessions)


async def run_of(sessions: SessionFactory, rater_id: int) -> CalibrationRun | None:
    async with sessions() as session:
        return await session.scalar(
            select(CalibrationRun).where(CalibrationRun.rater_id == rater_id)
        )


async def test_three_situations_with_the_reference_then_the_review(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    await ani.send("/nilai")
    await ani.press("Budi Santoso")
    intro = ani.last
    assert "Sebelum menilai: 3 situasi singkat" in intro.text
    assert "BKPSDM dapat menggantinya" in intro.text  # marked as example content
    assert intro.button_texts() == ["Mulai", "Lewati, langsung menilai"]
    await ani.press("Mulai")
    picks = (2, 3, 3)  # the second differs from the reference (di bawah)
    shipped = set_for(BERAKHLAK_3, 1, None)
    assert shipped is not None and shipped.example
    for index, (vignette, pick) in enumerate(zip(shipped.vignettes, picks, strict=True)):
        screen = ani.last
        assert f"Situasi {index + 1}/3" in screen.text
        assert screen.button_texts() == list(LEVELS)
        await ani.press(LEVELS[pick - 1])
        feedback = ani.last.text
        assert f"Jawaban acuan: {LEVELS[vignette.reference - 1]}" in feedback
        assert "Alasan:" in feedback
        if index == 1:
            # A double tap on the old level buttons records nothing more.
            reply = await ani.press_data(f"kb:{seeded.cycle_id}:a:1:1:{seeded.tokens['ani>budi']}")
            assert reply.alerts
        await ani.press("Berikutnya")
    assert "Kalibrasi selesai: 2 dari 3 jawaban sama" in ani.last.text
    run = await run_of(sessions, seeded.ani_id)
    assert run is not None and (run.status, run.answers) == ("completed", "2,3,3")
    assert (run.instrument, run.version) == ("berakhlak3", 1)
    await ani.press("Mulai menilai")
    assert "Nilai dasar 1/7" in ani.last.text  # the review itself
    # The next review of the cycle opens directly.
    await ani.send("/nilai")
    await ani.press("Citra Dewi")
    assert "Nilai dasar 1/7" in ani.last.text


async def test_skip_is_recorded_and_bkpsdm_sees_completion_per_opd(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    seeded: Seeded,
):
    budi = fake_api.user(BUDI_TG)
    await budi.send("/nilai")
    await budi.press("Ani Lestari")
    await budi.press("Lewati, langsung menilai")
    assert "Dilewati" in budi.last.text
    await budi.press("Mulai menilai")
    assert "Nilai dasar 1/7" in budi.last.text
    run = await run_of(sessions, seeded.budi_id)
    assert run is not None and run.status == "skipped"
    # A forged or malformed press changes nothing.
    for data in (f"kb:{seeded.cycle_id}:s:nottherealtoken", "kb:1:zz"):
        reply = await budi.press_data(data)
        assert reply.alerts and "tidak berlaku" in reply.alerts[0]
    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "SECRET_KEY": "test-secret-key-0123456789",
    }

    def run(*args: str):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    result = await asyncio.to_thread(
        run, "cycle", "calibration", "Triwulan I 2026", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["opd"] == [
        {"opd": "DUKCAPIL", "raters": 3, "completed": 0, "skipped": 1, "percent": 0}
    ]
    table = await asyncio.to_thread(run, "cycle", "calibration", "Triwulan I 2026")
    assert "DUKCAPIL" in table.output and "Budi" not in table.output


@pytest.mark.parametrize("mode", ["required"])
async def test_required_calibration_is_a_gate(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    head = fake_api.user(HEAD_TG)
    await head.send("/nilai")
    await head.press("Ani Lestari")
    assert head.last.button_texts() == ["Mulai"]
    token = seeded.tokens["head>ani"]
    reply = await head.press_data(f"kb:{seeded.cycle_id}:x:{token}")
    assert reply.alerts
    reply = await head.press_data(f"rv:{token}:open")
    assert "Sebelum menilai" in head.last.text
    async with sessions() as session:
        opened = await session.scalar(
            select(ReviewAssignment.status).where(ReviewAssignment.token == token)
        )
    assert opened == "pending"  # nothing of the review was started


def own_set(reference: int = 1) -> dict:
    situation = {"value": "B2", "situation": {"id": "Situasi kantor kami."}, "reference": reference}
    return {"situations": [{**situation, "why": {"id": "Alasan kami."}}]}


async def test_the_offices_own_set_replaces_the_shipped_example_without_code(
    bot: BotApplication, fake_api: FakeBotApi, settings: Settings, seeded: Seeded
):
    settings.calibration_dir.mkdir(parents=True)
    (settings.calibration_dir / "berakhlak3-v1.json").write_text(json.dumps(own_set()))
    ani = fake_api.user(ANI_TG)
    await ani.send("/nilai")
    await ani.press("Budi Santoso")
    assert "Sebelum menilai: 1 situasi singkat" in ani.last.text
    assert "BKPSDM dapat menggantinya" not in ani.last.text  # not example content
    await ani.press("Mulai")
    assert "Situasi kantor kami." in ani.last.text and "Akuntabel" in ani.last.text
    await ani.press(LEVELS[0])
    assert "Jawaban acuan: Di bawah ekspektasi" in ani.last.text
    assert "Alasan: Alasan kami." in ani.last.text


async def test_a_broken_file_reaches_no_rater_and_is_named_in_one_line(
    bot: BotApplication,
    fake_api: FakeBotApi,
    settings: Settings,
    seeded: Seeded,
    caplog: pytest.LogCaptureFixture,
):
    settings.calibration_dir.mkdir(parents=True)
    broken = settings.calibration_dir / "berakhlak3-v1.json"
    broken.write_text(json.dumps(own_set(reference=7)))
    ani = fake_api.user(ANI_TG)
    await ani.send("/nilai")
    await ani.press("Budi Santoso")
    assert "Nilai dasar 1/7" in ani.last.text  # straight to rating, no traceback
    lines = [r.getMessage() for r in caplog.records if "calibration:" in r.getMessage()]
    assert lines and f"{broken}: situations[0].reference: 7 is not a level" in lines[0]
    assert "\n" not in lines[0]
    register_commands()
    env = {"DATABASE_URL": settings.database_url, "ULASAN_HOME": str(settings.ulasan_home)}
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["cycle", "calibration-sets"], env=env
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"BROKEN  {broken}: situations[0].reference: 7 is not a level of berakhlak3 (1, 2, 3)"
    ]


async def test_bkpsdm_sees_completion_per_opd_in_siklus_and_nobody_else_does(
    bot: BotApplication, fake_api: FakeBotApi, seeded: Seeded
):
    budi = fake_api.user(BUDI_TG)
    await budi.send("/nilai")
    await budi.press("Ani Lestari")
    await budi.press("Lewati, langsung menilai")
    ani = fake_api.user(ANI_TG)
    await ani.send("/nilai")
    await ani.press("Budi Santoso")
    await ani.press("Mulai")
    for _situation in range(3):
        await ani.press(LEVELS[1])
        await ani.press("Berikutnya")
    assert "Kalibrasi selesai" in ani.last.text

    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM", language_code="id")
    await admin.send("/siklus")
    await admin.press("Triwulan I 2026")
    await admin.press("Kalibrasi penilai per OPD")
    screen = admin.last
    assert "Kalibrasi penilai pada “Triwulan I 2026”, per OPD" in screen.text
    assert "Semua: 1 dari 3 penilai selesai (33%), 1 melewati" in screen.text
    assert "• DUKCAPIL: 1/3 (33%), melewati 1" in screen.text
    assert "Ani" not in screen.text and "Budi" not in screen.text  # counts, never who
    assert screen.button_texts() == ["Perbarui", "Lihat siklus", "Semua siklus"]
    await admin.press("Lihat siklus")
    assert "Kalibrasi penilai per OPD" in admin.last.button_texts()
    # A forged cycle changes nothing; a unit head (not BKPSDM) is refused.
    reply = await admin.press_data("cy:kb:999999")
    assert reply.alerts
    head = fake_api.user(HEAD_TG)
    reply = await head.press_data(f"cy:kb:{seeded.cycle_id}")
    assert reply.alerts and "hanya untuk admin (BKPSDM)" in reply.alerts[0]


def test_the_bot_names_a_broken_file_at_start(settings: Settings, caplog: pytest.LogCaptureFixture):
    from bot.app import check_calibration_sets

    settings.calibration_dir.mkdir(parents=True)
    (settings.calibration_dir / "berakhlak5-v2.json").write_text('{"situations": [}')
    check_calibration_sets(settings)
    lines = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(lines) == 1 and "berakhlak5-v2.json: not valid JSON" in lines[0]
