"""Binding confirmations as stored (`storage.confirmations`): a nonce works once, for its
owner and action, until it expires, and acts on what the screen showed; the newest
screen voids the older ones; housekeeping prunes the expired."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.core.settings import Settings
from scheduler.jobs import housekeeping
from scheduler.jobs.specs import JobContext
from storage import confirmations
from storage.confirmation_models import Confirmation
from storage.db import SessionFactory, create_engine, session_factory

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)
ALICE = "a" * 64
BOB = "b" * 64


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated)
    yield session_factory(engine)
    await engine.dispose()


async def issue(db: SessionFactory, owner: str = ALICE, **kw) -> str:
    async with db.begin() as session:
        return await confirmations.issue(
            session,
            action=kw.get("action", "erase"),
            owner_key=owner,
            subject=kw.get("subject", ""),
            payload=kw.get("payload", {"responses": [3, 5]}),
            now=kw.get("now", NOW),
            ttl=TTL,
        )


async def redeem(db: SessionFactory, nonce: str, owner: str = ALICE, **kw):
    async with db.begin() as session:
        return await confirmations.redeem(
            session,
            nonce=nonce,
            action=kw.get("action", "erase"),
            owner_key=owner,
            now=kw.get("now", NOW + timedelta(minutes=1)),
            subject=kw.get("subject"),
        )


async def stored(db: SessionFactory) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(Confirmation)) or 0)


async def test_a_nonce_works_once_and_returns_what_the_screen_showed(db: SessionFactory):
    nonce = await issue(db, payload={"responses": [3, 5]})
    assert re.fullmatch(confirmations.NONCE_PATTERN, nonce)
    confirmed = await redeem(db, nonce)
    assert confirmed is not None
    assert confirmed.payload == {"responses": [3, 5]} and confirmed.action == "erase"
    assert confirmed.created_at == NOW
    assert await redeem(db, nonce) is None  # a second press, a redelivered update
    assert await stored(db) == 0


async def test_forged_foreign_expired_or_other_action_presses_use_nothing_up(db: SessionFactory):
    nonce = await issue(db)
    assert await redeem(db, "A" * 16) is None  # forged
    assert await redeem(db, nonce, owner=BOB) is None  # someone else's screen
    assert await redeem(db, nonce, action="close_cycle") is None  # another button's nonce
    assert await redeem(db, nonce, subject="cycle:9") is None  # a press naming another thing
    assert await redeem(db, nonce, now=NOW + TTL) is None  # expired
    assert await stored(db) == 1  # none of those consumed it
    assert await redeem(db, nonce, now=NOW + TTL - timedelta(seconds=1)) is not None


async def test_a_failed_action_rolls_back_and_keeps_the_nonce(db: SessionFactory):
    nonce = await issue(db)
    with pytest.raises(RuntimeError):
        async with db.begin() as session:
            found = await confirmations.redeem(
                session, nonce=nonce, action="erase", owner_key=ALICE, now=NOW
            )
            assert found is not None
            raise RuntimeError("the deed failed")
    assert await redeem(db, nonce) is not None


async def test_the_newest_screen_voids_older_ones_of_the_same_subject(db: SessionFactory):
    old = await issue(db, subject="cycle:1", action="close_cycle")
    other_cycle = await issue(db, subject="cycle:2", action="close_cycle")
    bobs = await issue(db, owner=BOB, subject="cycle:1", action="close_cycle")
    new = await issue(db, subject="cycle:1", action="close_cycle")
    assert await redeem(db, old, action="close_cycle") is None
    assert await redeem(db, new, action="close_cycle") is not None
    assert await redeem(db, other_cycle, action="close_cycle") is not None
    assert await redeem(db, bobs, owner=BOB, action="close_cycle") is not None


async def test_discard_by_nonce_owner_or_subject(db: SessionFactory):
    cancelled = await issue(db, subject="x")
    await issue(db, subject="y")
    await issue(db, owner=BOB, subject="alert:t1", action="relay")
    await issue(db, owner=BOB, subject="alert:t2", action="relay")
    async with db.begin() as session:
        assert await confirmations.discard(session, nonce=cancelled, owner_key=ALICE) == 1
        assert await confirmations.discard(session, subjects=["alert:t1"]) == 1
        assert await confirmations.discard(session, owner_key=ALICE) == 1
        with pytest.raises(ValueError):
            await confirmations.discard(session)
    assert await stored(db) == 1


async def test_two_presses_at_once_act_once(db: SessionFactory):
    nonce = await issue(db)
    results = await asyncio.gather(*(redeem(db, nonce) for _ in range(5)))
    assert sum(r is not None for r in results) == 1


async def test_housekeeping_prunes_expired_confirmations(db: SessionFactory, settings: Settings):
    await issue(db, subject="old", now=NOW - timedelta(hours=1))
    await issue(db, subject="fresh", now=NOW)
    summary = await housekeeping.run(JobContext(settings, db, NOW))
    assert "1 expired confirmations removed" in summary
    async with db() as session:
        assert (await session.scalars(select(Confirmation.subject))).all() == ["fresh"]
