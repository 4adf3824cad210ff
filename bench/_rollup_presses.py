"""Citizens pressing while the rollup runs: the survey's submitting press, every few ms.

``python -m bench._rollup_presses DB INTERVAL_MS``, started by `bench.rollup`
as a process of its own (as the bot is). It opens the database as the bot
does (`storage.db.create_engine` with the settings' busy timeout and the bot's
one connection), then every INTERVAL_MS submits one of the drafts that
`bench.rollup` prepared at the last question, through the bot's own press
path (`storage.survey_press.press` with `storage.survey.submit_move`: one
conditional ``UPDATE … RETURNING`` and the commit; on older code without it,
`storage.survey.submit`). It prints ``ready`` once the engine is open and,
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


try:  # the bot's press path (one conditional UPDATE … RETURNING); older code has none
    from storage import survey_press
    from storage.survey_names import NamesCache
except ImportError:  # pragma: no cover - the "before" side of an A/B
    survey_press = None  # type: ignore[assignment]

CACHE = NamesCache() if survey_press is not None else None
LONG_TTL_HOURS = 24 * 3650  # the prepared drafts are old; the press must not refuse them


async def _press(sessions: Any, draft: tuple[int, str, str], with_tz: bool) -> None:
    now = datetime.now(UTC)
    draft_id, token, user_key = draft
    async with sessions.begin() as session:
        if survey_press is not None:
            move = survey.submit_move(contact_chat_id=None, tz=TZ)
            written = await survey_press.press(
                session,
                CACHE,
                token=token,
                user_key=user_key,
                move=move,
                now=now,
                ttl_hours=LONG_TTL_HOURS,
            )
            done = written is not None
        else:
            extra = {"tz": TZ} if with_tz else {}
            done = await survey.submit(session, draft_id, now, contact_chat_id=None, **extra)
        if not done:
            raise RuntimeError(f"draft {draft_id} was not at the contact step")


async def main(path: str, interval: float) -> None:
    engine = create_engine(
        f"sqlite+aiosqlite:///{path}", busy_timeout_ms=BUSY_TIMEOUT_MS, one_sqlite_connection=True
    )
    sessions = session_factory(engine)
    with_tz = "tz" in inspect.signature(survey.submit).parameters  # older code has none
    async with sessions() as session:
        drafts = [
            (int(i), str(t), str(k))
            for i, t, k in await session.execute(
                select(SurveyResponse.id, SurveyResponse.token, SurveyResponse.user_key)
                .where(SurveyResponse.status == DRAFT, SurveyResponse.step == survey.CONTACT)
                .order_by(SurveyResponse.id)
            )
        ]
    presses: list[tuple[float, float, str]] = []
    stop = asyncio.ensure_future(_stdin_closed())
    print("ready", flush=True)
    pending: set[asyncio.Task[None]] = set()

    async def one(draft: tuple[int, str, str]) -> None:
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
