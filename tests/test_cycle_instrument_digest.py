"""Each cycle records the instrument it was opened on (a digest of its content), and its
results refuse to be computed with a shipped file that changed since: editing a file
can never silently rewrite a closed cycle's figures.

"The file changed" is simulated by replacing the loaded berakhlak3 with one whose gap
threshold differs (what loading an edited file gives); the digest covers every field.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.scoring import shipped_instruments
from scheduler.scoring.review_instrument_config import instrument_digest, instrument_from_dict
from scheduler.scoring.review_instrument_config import instrument_to_dict as to_dict
from scheduler.scoring.shipped_instruments import BERAKHLAK_3, BERAKHLAK_5, DEFAULT_INSTRUMENT
from storage import review_cycles, review_results
from storage.db import SessionFactory, create_engine
from storage.migrate import upgrade
from storage.review_models import ReviewCycle
from storage.review_result_store import cycles_to_materialise
from tests.support.result_world import NOW, base_reviews, seed

MIGRATION = (
    Path(__file__).parent.parent / "storage/migrations/versions/0028_cycle_instrument_digest.py"
)


def _migration_digests() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("migration_0028", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHIPPED_DIGESTS


def test_digest_covers_content_not_layout():
    same = instrument_from_dict(to_dict(BERAKHLAK_3))
    assert instrument_digest(same) == instrument_digest(BERAKHLAK_3)
    assert instrument_digest(BERAKHLAK_3) != instrument_digest(BERAKHLAK_5)
    for changed in (
        dataclasses.replace(BERAKHLAK_3, gap_threshold=0.75),
        dataclasses.replace(BERAKHLAK_3, items=BERAKHLAK_3.items[:6]),
    ):
        assert instrument_digest(changed) != instrument_digest(BERAKHLAK_3)
    # the migration back-fills existing cycles with the digest of the files as shipped
    assert _migration_digests() == {
        code: instrument_digest(shipped_instruments.get_instrument(code))
        for code in ("berakhlak3", "berakhlak5")
    }


async def test_opening_a_cycle_records_the_instrument(sessions: SessionFactory):
    async with sessions.begin() as session:
        cycle = await review_cycles.insert_cycle(
            session,
            name="Semester I 2031",
            unit=None,
            deadline=date(2031, 1, 31),
            max_peers=4,
            no_self=False,
            actor="test",
            now=NOW,
        )
        cycle_id = cycle.id
    async with sessions() as session:
        stored = await session.get(ReviewCycle, cycle_id)
    assert stored is not None and stored.instrument == DEFAULT_INSTRUMENT.code
    assert stored.instrument_digest == instrument_digest(DEFAULT_INSTRUMENT)


async def _closed_cycle_on_the_shipped_file(sessions: SessionFactory) -> int:
    seeded = await seed(sessions, base_reviews(peers=3))
    async with sessions.begin() as session:
        await session.execute(
            update(ReviewCycle)
            .where(ReviewCycle.id == seeded.cycle_id)
            .values(instrument_digest=instrument_digest(BERAKHLAK_3))
        )
    return seeded.cycle_id


async def test_results_refuse_a_cycle_whose_file_changed(
    sessions: SessionFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    cycle_id = await _closed_cycle_on_the_shipped_file(sessions)
    m = settings.min_anonymous_raters
    async with sessions() as session:
        before = await review_results.cycle_results(session, cycle_id, min_raters=m)
        assert before  # the file as recorded: results as always
        stale, _dropped = await cycles_to_materialise(session, min_raters=m)
        assert cycle_id in stale

    edited = dataclasses.replace(BERAKHLAK_3, gap_threshold=0.75)
    monkeypatch.setitem(shipped_instruments.INSTRUMENTS, "berakhlak3", edited)
    async with sessions() as session:
        with pytest.raises(review_results.InstrumentChanged) as caught:
            await review_results.cycle_results(session, cycle_id, min_raters=m)
        # the stale-result rebuild leaves it alone too (what is stored stays)
        stale, _dropped = await cycles_to_materialise(session, min_raters=m, everything=True)
        assert cycle_id not in stale
    said = caught.value.translated(gettext_for("id"))
    assert "Semester I 2030" in said and "berakhlak3" in said and "berubah" in said
    assert "has changed since" in caught.value.translated(gettext_for("en"))


async def test_cli_names_the_changed_instrument_without_a_traceback(
    sessions: SessionFactory,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    from bot.cli.main import cli, register_commands

    await _closed_cycle_on_the_shipped_file(sessions)
    edited = dataclasses.replace(BERAKHLAK_3, gap_threshold=0.75)
    monkeypatch.setitem(shipped_instruments.INSTRUMENTS, "berakhlak3", edited)
    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
        "DEFAULT_LANGUAGE": "id",
    }
    args = ["report", "review", "--cycle", "Semester I 2030", "--format", "json"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "berakhlak3" in result.output and "Traceback" not in result.output


async def test_migration_back_fills_existing_cycles(database_url: str):
    await upgrade(database_url, "0027")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for n, code in enumerate(("berakhlak3", "berakhlak5", "eigen")):
                await connection.execute(
                    text(
                        "INSERT INTO review_cycles (name, deadline, status, instrument, "
                        "instrument_version, max_peers, include_self, opened_at, opened_by) "
                        "VALUES (:name, '2026-01-31', 'closed', :code, 1, 4, :yes, "
                        "'2026-01-01 00:00:00', 'test')"
                    ),
                    {"name": f"C{n}", "code": code, "yes": True},
                )
        await upgrade(database_url)
        async with engine.connect() as connection:
            rows = dict(
                (
                    await connection.execute(
                        select(ReviewCycle.instrument, ReviewCycle.instrument_digest)
                    )
                ).all()
            )
    finally:
        await engine.dispose()
    assert rows == {
        "berakhlak3": instrument_digest(BERAKHLAK_3),
        "berakhlak5": instrument_digest(BERAKHLAK_5),
        "eigen": None,  # not shipped: nothing to record, never checked
    }
