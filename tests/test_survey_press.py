"""A survey press as one conditional UPDATE … RETURNING, and the names cache behind it.

`storage.survey_press.press` must write only the citizen's live draft at the
step the button names, and return nothing (writing nothing) in every other
case; the screens' names come from `storage.survey_names.NamesCache`, which a
roster import in another process invalidates through the roster version.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text, update

from bot.app import BotApplication
from bot.core.settings import Settings
from storage import survey, survey_names, survey_press
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import Employee, Service, Unit
from storage.survey_names import Names, NamesCache
from tests.support.citizen import QR, QR_OFFICER, Roster, seed_roster, snapshot
from tests.support.fakebot import FakeBotApi

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
WIB = ZoneInfo("Asia/Jakarta")
TTL = 24
KEY = "k" * 64


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def roster(db: SessionFactory) -> Roster:
    return await seed_roster(db)


async def _draft(db: SessionFactory, roster: Roster, *, officer: bool = False) -> str:
    async with db.begin() as session:
        response = await survey.start_draft(
            session,
            user_key=KEY,
            service_id=roster.ktp_id,
            employee_id=roster.officer_id if officer else None,
            entry_id=None,
            language="id",
            now=NOW,
            local_date=date(2026, 11, 23),
        )
        return response.token


async def _press(
    db: SessionFactory,
    cache: NamesCache,
    token: str,
    move: survey.Move,
    *,
    key: str = KEY,
    now: datetime = NOW,
) -> survey_press.SurveyView | None:
    async with db.begin() as session:
        return await survey_press.press(
            session, cache, token=token, user_key=key, move=move, now=now, ttl_hours=TTL
        )


async def test_a_press_writes_and_returns_the_next_screen(db: SessionFactory, roster: Roster):
    token = await _draft(db, roster, officer=True)
    later = NOW + timedelta(minutes=1)
    view = await _press(db, NamesCache(), token, survey.begin_move(), now=later)
    assert view is not None
    assert (view.step, view.status, view.updated_at) == ("U1", "draft", later)
    assert view.service_name == "Perekaman KTP-el"
    assert view.unit_name == "Dinas Kependudukan dan Pencatatan Sipil"
    assert view.officer_name == "Budi Santoso"
    view = await _press(db, NamesCache(), token, survey.answer_move("U1", 3), now=later)
    assert view is not None and (view.step, view.u1) == ("U2", 3)
    # Written exactly as the ORM writes times (SQLite compares them as text).
    async with db() as session:
        started, updated = (
            await session.execute(text("SELECT started_at, updated_at FROM survey_responses"))
        ).one()
    assert type(started) is type(updated)
    if isinstance(started, str):
        assert len(started) == len(updated) and updated > started


@pytest.mark.parametrize("case", ["token", "citizen", "step", "expired", "closed", "submitted"])
async def test_a_press_that_may_not_run_writes_nothing(
    db: SessionFactory, roster: Roster, case: str
):
    token = await _draft(db, roster)
    cache = NamesCache()
    if case == "closed":
        assert await _press(db, cache, token, survey.cancel_move()) is not None
    if case == "submitted":
        async with db.begin() as session:
            await session.execute(
                update(survey.SurveyResponse).values(step="contact", status="draft")
            )
        assert await _press(db, cache, token, survey.submit_move(contact_chat_id=None, tz=WIB))
    before = await snapshot(db)
    move = survey.answer_move("U1", 4) if case == "step" else survey.begin_move()
    if case == "submitted":
        move = survey.submit_move(contact_chat_id=7, tz=WIB)
    pressed = await _press(
        db,
        cache,
        "unknown-token" if case == "token" else token,
        move,
        key="x" * 64 if case == "citizen" else KEY,
        now=NOW + timedelta(hours=TTL, seconds=1) if case == "expired" else NOW,
    )
    assert pressed is None
    assert await snapshot(db) == before
    async with db() as session:
        stored = await survey_press.stored(session, cache, token)
    assert stored is not None and stored.token == token


async def test_the_cache_serves_names_until_the_roster_version_moves(
    db: SessionFactory, roster: Roster
):
    cache = NamesCache()
    token = await _draft(db, roster, officer=True)
    assert (await _press(db, cache, token, survey.begin_move())) is not None
    # Renamed without a bump: the cache still answers (it is really used) …
    async with db.begin() as session:
        await session.execute(
            update(Service).where(Service.id == roster.ktp_id).values(name="KTP baru")
        )
        await session.execute(update(Unit).values(name="Disdukcapil baru"))
        await session.execute(update(Employee).values(name="Budi S."))
    view = await _press(db, cache, token, survey.answer_move("U1", 4))
    assert view is not None and view.service_name == "Perekaman KTP-el"
    # … and after a bump (as every roster import does) the next press reads them again.
    async with db.begin() as session:
        await survey_names.bump(session)
    view = await _press(db, cache, token, survey.answer_move("U2", 4))
    assert view is not None
    assert (view.service_name, view.unit_name, view.officer_name) == (
        "KTP baru",
        "Disdukcapil baru",
        "Budi S.",
    )


def test_names_read_before_a_bump_are_never_filed_after_it():
    cache = NamesCache()
    cache.observe(3)
    cache.store(3, 1, 9, Names("A", "U", "O"))
    assert cache.get(1, 9) == Names("A", "U", "O")
    cache.observe(4)  # a press saw the bump: everything older is gone
    assert cache.get(1, 9) is None and cache.get(1, None) is None
    cache.store(3, 1, 9, Names("A", "U", "O"))  # a read that started before the bump
    assert cache.get(1, 9) is None
    cache.store(5, 1, None, Names("B", "U", None))  # a newer read moves the cache on
    assert cache.version == 5 and cache.get(1, None) == Names("B", "U", None)


# -- across processes: the CLI imports while the bot runs -------------------------------


def _cli(settings: Settings, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli.main import main; main()", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_rename_imported_by_the_cli_shows_at_the_next_press(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    tmp_path: Path,
):
    await seed_roster(sessions)
    user = fake_api.user(301)
    await user.send(f"/start {QR_OFFICER}")
    await user.press("Mulai")
    assert "Perekaman KTP-el, Dinas Kependudukan" in user.last.text
    services = tmp_path / "services.csv"
    services.write_text("code,unit_code,name,free\nKTP,DUKCAPIL,Perekaman KTP Elektronik,1\n")
    done = _cli(settings, tmp_path, "import", "services", str(services))
    assert done.returncode == 0, done.stdout + done.stderr
    await user.press("Sangat sesuai")
    assert "Perekaman KTP Elektronik, Dinas Kependudukan" in user.last.text
    assert "Pertanyaan 2/9" in user.last.text
    other = fake_api.user(302)
    await other.send(f"/start {QR}")
    assert "Perekaman KTP Elektronik" in other.last.text
