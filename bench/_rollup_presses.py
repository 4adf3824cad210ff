"""Citizens pressing while the rollup runs: the survey's submitting press, every few ms.

``python -m bench._rollup_presses DB INTERVAL_MS``, started by `bench.rollup`
as a process of its own (as the bot is). It opens the database as the bot
does (`storage.db.create_engine` with the settings' busy timeout and the bot's
one connection), then every INTERVAL_MS submits one of the drafts that
`bench.rollup` prepared at the last question, through the press's own storage
call (`storage.survey.submit`: its conditional ``UPDATE … RETURNING`` and the
commit, in one transaction). It prints ``ready`` once the engine is open and,
when stdin closes, one JSON line: for every press its start (``time.time()``,
so the driver can tell which presses fell inside the rollup), its latency and
whether it failed (and why).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage import survey
from storage.db import create_engine, session_factory
from storage.survey_models import DRAFT, SurveyResponse

TZ = ZoneInfo("Asia/Jakarta")
BUSY_TIMEOUT_MS = 5000  # the settings' default (SQLITE_BUSY_TIMEOUT_MS)


async def _stdin_closed() -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


async def _press(sessions: Any, draft: int, with_tz: bool) -> None:
    now = datetime.now(UTC)
    extra = {"tz": TZ} if with_tz else {}
    async with sessions.begin() as session:
        if not await survey.submit(session, draft, now, contact_chat_id=None, **extra):
            raise RuntimeError(f"draft {draft} was not at the contact step")


async def main(path: str, interval: float) -> None:
    engine = create_engine(
        f"sqlite+aiosqlite:///{path}", busy_timeout_ms=BUSY_TIMEOUT_MS, one_sqlite_connection=True
    )
    sessions = session_factory(engine)
    with_tz = "tz" in inspect.signature(survey.submit).parameters  # older code has none
    async with sessions() as session:
        drafts = list(
            await session.scalars(
                select(SurveyResponse.id)
                .where(SurveyResponse.status == DRAFT, SurveyResponse.step == survey.CONTACT)
                .order_by(SurveyResponse.id)
            )
        )
    presses: list[tuple[float, float, str]] = []
    stop = asyncio.ensure_future(_stdin_closed())
    print("ready", flush=True)
    pending: set[asyncio.Task[None]] = set()

    async def one(draft: int) -> None:
        started, clock = time.time(), time.perf_counter()
        error = ""
        try:
            await _press(sessions, draft, with_tz)
        except Exception as exc:  # a failed press is a figure, not a crash
            error = f"{type(exc).__name__}: {str(exc)[:80]}"
        presses.append((started, time.perf_counter() - clock, error))

    next_at = time.perf_counter()
    while not stop.done() and drafts:
        # One press every interval (a citizen does not wait for another's answer).
        task = asyncio.ensure_future(one(drafts.pop(0)))
        pending.add(task)
        task.add_done_callback(pending.discard)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await stop
    if pending:
        await asyncio.gather(*pending)
    await engine.dispose()
    print(json.dumps({"presses": presses, "drafts_left": len(drafts)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]) / 1000))
