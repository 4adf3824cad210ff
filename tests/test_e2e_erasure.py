"""/hapusdata erases a citizen wherever they are, as the citizen and the unit live it.

A citizen rates a service badly with a comment and agrees to be contacted (an
alert, a case, a relay both ways), praises an officer (a daily praise note
quotes them), chooses English; another citizen rates too. After the erasure
the whole database (every table and column, found by the database's own
catalogue, not by our models) and, on SQLite, the database file and its
write-ahead log hold neither the citizen's pseudonym, nor their chat id, nor
a phrase of their comments; the other citizen's survey is untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler.services import services_of
from storage.crypto import pseudonym
from storage.db import SessionFactory
from storage.survey_models import SurveyResponse
from tests.support.alert_world import HEAD_TG, NOON, WIB
from tests.support.app import make_settings, start_bot, stop_bot
from tests.support.case_world import OFFICER_TG, seed_case_world
from tests.support.citizen import ALL_FOURS, QR, QR_OFFICER, complete
from tests.support.fakebot import FakeBotApi

CITIZEN_TG = 987654321  # 0x3ADE68B1: SQLite stores it in four bytes
PHRASE = "kucing oranye menari"
LOW = (1, 2, 2, 2, 2, 2, 1, 2, 2)
NEVER = "0 0 1 1 *"


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    never = {
        f"schedule_{job}": NEVER
        for job in ("low_score_alerts", "case_followup", "praise_notes", "weekly_digest")
    }
    return make_settings(
        tmp_path, migrated, telegram_base_url=fake_api.base_url, survey_max_per_day=2, **never
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOON)


@pytest.fixture
async def bot(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    yield application
    await stop_bot(application)


async def until(
    fake_api: FakeBotApi,
    chat_id: int,
    containing: str,
    bot: BotApplication | None = None,
    clock: ManualClock | None = None,
) -> Any:
    """The message to ``chat_id`` containing ``containing``, once the outbox sent it.

    With ``clock``: the outbox spaces messages to one chat a second apart and puts the
    later ones back with a time of the bot's clock, which only moves when told; so it
    is moved on a second at a time while waiting."""

    def arrived(calls: list[Any]) -> bool:
        return any(c.chat_id == chat_id and containing in c.text for c in calls)

    for _ in range(40):
        if clock is None or bot is None or arrived(fake_api.calls):
            break
        clock.advance(seconds=1)
        services_of(bot).wake()
        try:
            await fake_api.wait_for_calls(arrived, timeout=0.25)
        except TimeoutError:
            continue
    await fake_api.wait_for_calls(arrived)
    return [m for m in fake_api.chat_messages(chat_id) if containing in m.text][-1]


async def run_job(bot: BotApplication, name: str) -> None:
    runner = services_of(bot).runner
    assert runner.start(name)
    (outcome,) = await runner.wait()
    assert outcome.status == "ok", outcome.result


async def everything(sessions: SessionFactory) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the database has (its own catalogue, not our models)."""
    async with sessions() as session:
        connection = await session.connection()
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        found = {}
        for table in tables:
            rows = await session.execute(text(f'SELECT * FROM "{table}"'))
            found[table] = [tuple(row) for row in rows.all()]
        return found


def traces(rows: dict[str, list[tuple[Any, ...]]], needles: list[str]) -> list[str]:
    hits = []
    for table, values in rows.items():
        for row in values:
            for value in row:
                shown = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                hits += [f"{table}: {needle}" for needle in needles if needle in shown]
    return hits


async def test_hapusdata_leaves_no_trace_of_the_citizen(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    await seed_case_world(sessions)
    citizen = fake_api.user(CITIZEN_TG, "Rina Kartika", "id")
    key = pseudonym(settings.secret_bytes(), CITIZEN_TG)

    # A bad visit, with a comment and consent: the head gets an alert and a case.
    await complete(
        citizen, QR, scores=LOW, comment=f"Loket tujuh penuh, ada {PHRASE}.", consent=True
    )
    alert = await until(fake_api, HEAD_TG, "perlu ditindaklanjuti")
    assert PHRASE in alert.text
    # Praise for the officer, quoted in tomorrow's praise note.
    await complete(citizen, QR_OFFICER, scores=ALL_FOURS, comment=f"Pak Budi sabar, {PHRASE} lagi")
    # Another citizen, who stays.
    other = fake_api.user(5553001, "Joko", "id")
    await complete(other, QR, scores=ALL_FOURS, comment="Antrean rapi dan cepat sekali")

    # The head replies through Balas; the citizen answers back.
    head = fake_api.user(HEAD_TG, "Siti", "id")
    await head.press("Balas", alert)
    await head.send("Mohon maaf, kami perbaiki.")
    await head.press("Kirim")
    relayed = await until(fake_api, CITIZEN_TG, "Mohon maaf, kami perbaiki.", bot, clock)
    await citizen.press("Balas", relayed)
    await citizen.send(f"Terima kasih, semoga {PHRASE} pergi.")
    await citizen.press("Kirim")
    await until(fake_api, HEAD_TG, "Warga menjawab balasan Anda", bot, clock)
    await citizen.send("/language")
    await citizen.press("English")

    # Tuesday 10:00: the praise note quotes the citizen.
    clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=WIB).astimezone(UTC))
    await run_job(bot, "praise_notes")
    note = await until(fake_api, OFFICER_TG, PHRASE, bot, clock)
    assert "Pak Budi sabar" in note.text

    needles = [key, str(CITIZEN_TG), PHRASE]
    assert traces(await everything(sessions), needles)  # the test can see them before

    reply = await citizen.send("/hapusdata")
    assert "• survey responses: 2 (unfinished: 0)" in reply.text
    assert "• contact details you left: 1" in reply.text
    assert "• messages exchanged with a service unit: 2" in reply.text
    assert "• your language choice (/language)" in reply.text
    shown = citizen.last
    await citizen.press("Yes, delete", shown)
    assert "Survey responses deleted: 2." in shown.text
    assert "Messages with service units deleted: 2." in shown.text
    assert "Your language choice is deleted too." in shown.text

    rows = await everything(sessions)
    assert traces(rows, needles) == []
    async with sessions() as session:
        left = (await session.scalars(select(SurveyResponse.comment))).all()
    assert left == ["Antrean rapi dan cepat sekali"]
    if settings.is_sqlite:
        assert_files_clean(settings, [key, str(CITIZEN_TG), PHRASE])
    # The bot still works for the erased citizen, as a newcomer (Indonesian again).
    reply = await citizen.send("/hapusdata")
    assert "tidak ada yang perlu dihapus" in reply.text


def assert_files_clean(settings: Settings, needles: list[str]) -> None:
    """The database file, its -wal and -shm hold no erased byte (secure_delete, and the
    log truncated after the erasure)."""
    database = settings.sqlite_path
    assert database is not None
    patterns = [needle.encode() for needle in needles]
    patterns.append(CITIZEN_TG.to_bytes(4, "big"))  # an integer as SQLite stores it
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{database}{suffix}")
        content = path.read_bytes() if path.exists() else b""
        found = [p for p in patterns if p in content]
        assert found == [], f"{path.name} still holds {found}"


async def test_erasure_keeps_working_while_a_reader_holds_the_log(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings
):
    """Another connection reading at that moment only postpones the log's truncation."""
    await seed_case_world(sessions)
    citizen = fake_api.user(CITIZEN_TG, "Rina", "id")
    await complete(citizen, QR, comment=f"Ada {PHRASE} di ruang tunggu")
    async with sessions() as session:
        await session.execute(select(SurveyResponse.id))  # an open read transaction
        await citizen.send("/hapusdata")
        await asyncio.wait_for(citizen.press("Ya, hapus"), 20)
    assert "Jawaban survei yang dihapus: 1." in citizen.last.text
