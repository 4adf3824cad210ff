"""Benchmark ``outbox``: 5,000 reminders through a fake Bot API that enforces 30 messages/s.

``python -m bench.outbox [--quick] [--keep] [--plain]`` (or ``make bench BENCH=outbox``):
``--keep`` keeps each run's folder (database, bot logs), ``--plain`` runs only the
first run and writes nothing.

What runs where
    This process is the driver: it prepares a SQLite database per run, seeds a
    synthetic organisation (5,000 linked raters, one open 360° cycle; see
    ``bench/_outbox_seed.py``), has the real ``review_reminders`` job queue the
    reminders (``ulasan job run review_reminders --force``, a subprocess), and
    serves the fake Bot API (``tests/support/fakebot.py`` with Telegram's pushback,
    ``tests/support/pushback.py``: 429 with retry_after past 30 accepted sends in
    any one-second window). The bot is started as a user starts it, ``ulasan
    run``, in its own process, pointed at the fake server by
    ``TELEGRAM_BASE_URL``; its outbox sender delivers the reminders.

Runs
    ``plain``   the reminders, nothing else in the way;
    ``502``     every 20th send answered 502 Bad Gateway (retried with backoff);
    ``crash``   the bot SIGKILLed when the server accepts the middle reminder,
                before answering it (the worst moment: delivered, never marked),
                then started again.
    Informative, no goal: ``rtt50`` (a 50 ms round trip to the server: what one
    request in flight costs on a real network) and ``unlimited`` (the sender with
    no limit at either end: its own ceiling).

Floor
    The 30/s limit is the reference the rate is divided by. A bare PTB loop
    (``bench/_outbox_bare.py``: same messages, same server with no limit, one
    request in flight, no database) shows the ceiling of HTTP + PTB alone; the
    ``unlimited`` run shows what the sender's database work adds to each message.

Goals (issue 7): rate ≥ 90% of the limit, 429s < 1% of sends, zero losses, zero
duplicates beyond the one in flight at the kill. Figures go to stdout and to
``bench/results/outbox.json``; a missed goal is reported, not an error.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench._outbox_seed import FIRST_CHAT_ID, chat_ids, seed
from bot.core.settings import Settings
from storage.db import create_engine, session_factory
from storage.outbox_models import SENT, OutboxMessage
from tests.support.fakebot import FakeBotApi
from tests.support.pushback import (
    BAD_GATEWAY,
    SEND_METHODS,
    EveryNth,
    Pushback,
    RateLimit,
    max_in_window,
)

LIMIT = 30  # messages per second, overall (Telegram's, and the fake server's)
FULL_COUNT = 5000
QUICK_COUNT = 300
FAIL_EVERY = 20
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "outbox.json"
BIN = Path(sys.executable).parent
ULASAN = str(BIN / "ulasan") if (BIN / "ulasan").exists() else "ulasan"

GOAL_RATE = 0.90  # of the limit
GOAL_429 = 0.01  # of the sends


@dataclass
class Run:
    name: str
    count: int
    sends: int = 0  # send requests that reached the server
    delivered: int = 0  # distinct chats that got their reminder
    rate_limited: int = 0  # 429 answers
    bad_gateway: int = 0  # 502 answers
    duplicates: int = 0  # extra deliveries to a chat
    losses: int = 0  # chats that never got their reminder
    not_sent_rows: int = 0  # outbox rows not 'sent' at the end
    seconds: float = 0.0  # first to last accepted send, at the server
    rate: float = 0.0  # reminders per second over that span
    active_rate: float = 0.0  # the same without the crash run's downtime
    downtime: float = 0.0  # crash run: last send before the kill to first after restart
    max_per_second: int = 0  # most accepted sends in any one-second window
    startup: float = 0.0  # bot process start to its first send
    queue_seconds: float = 0.0  # the review_reminders job queueing the rows
    restarts: int = 0
    # Where the time goes: the span beyond (n - 1) / LIMIT (the crash run's downtime
    # included), and the longest gap between two accepted sends.
    lost_seconds: float = 0.0
    longest_gap: float = 0.0
    bot_log_tail: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.rate / LIMIT

    @property
    def share_429(self) -> float:
        return self.rate_limited / self.sends if self.sends else 0.0


def telegram_pushback(
    limit: int | None, fail_every: int | None, rtt: float, on_accept: Callable[[int], None] | None
) -> Pushback:
    """Every ``fail_every``-th send (counted over all arrivals) answered 502, then 429 with
    retry_after = 1 past ``limit`` sends accepted in any one-second window."""
    rules: list[EveryNth | RateLimit] = []
    if fail_every:
        rules.append(EveryNth(fail_every, BAD_GATEWAY, methods=SEND_METHODS))
    if limit is not None:
        rules.append(RateLimit(per_second=limit, retry_after=1, methods=SEND_METHODS))
    return Pushback(*rules, rtt=rtt, on_accept=on_accept)


def bot_env(workdir: Path, api: FakeBotApi, database_url: str, rate: int) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "BOT_TOKEN": api.token,
            "TELEGRAM_BASE_URL": api.base_url,
            "DATABASE_URL": database_url,
            "ULASAN_HOME": str(workdir),
            "DATA_DIR": str(workdir / "data"),
            "SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
            "LOG_LEVEL": "WARNING",
            "OUTBOX_RATE_PER_SECOND": str(rate),
        }
    )
    return env


async def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        ULASAN,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace").strip()
    if process.returncode != 0:
        raise RuntimeError(f"ulasan {' '.join(args)} exited {process.returncode}:\n{text}")
    return text


async def outbox_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            return {status: int(count) for status, count in rows.all()}
    finally:
        await engine.dispose()


async def scenario(
    name: str,
    count: int,
    *,
    limit: int | None = LIMIT,
    rate: int = LIMIT,
    fail_every: int | None = None,
    kill_at: int | None = None,
    rtt: float = 0.0,
    keep: bool = False,
    profile: bool = False,
) -> Run:
    """Queue ``count`` reminders with the real job, start the bot, wait until all arrived."""
    result = Run(name, count)
    workdir = Path(tempfile.mkdtemp(prefix=f"ulasan-bench-outbox-{name}-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    bot: dict[str, Any] = {"process": None}
    killed_at: list[float] = []

    def kill_in_flight(accepted: int) -> None:
        process = bot["process"]
        if accepted == kill_at and process is not None and process.returncode is None:
            os.kill(process.pid, signal.SIGKILL)  # the server has not answered yet
            killed_at.append(time.monotonic())

    pushback = telegram_pushback(limit, fail_every, rtt, kill_in_flight if kill_at else None)
    api = FakeBotApi(pushback=pushback)
    await api.start()
    env = bot_env(workdir, api, database_url, rate)
    logs: list[Path] = []

    async def launch() -> asyncio.subprocess.Process:
        log = workdir / f"bot-{len(logs) + 1}.log"
        logs.append(log)
        command = [ULASAN, "run"]
        if profile:  # `python -m bot` is `ulasan run`; the report is written at exit
            report = workdir / f"profile-{len(logs)}.txt"
            command = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(report)]
            command += ["--show", f"{ROOT}/*", "-m", "bot"]
        with log.open("w") as handle:
            return await asyncio.create_subprocess_exec(
                *command, env=env, cwd=workdir, stdout=handle, stderr=handle
            )

    try:
        await run_cli(["db", "upgrade", "--new-database"], env, workdir)
        await seed(Settings(_env_file=None, database_url=database_url), count)  # type: ignore[call-arg]
        started = time.monotonic()
        summary = await run_cli(["job", "run", "review_reminders", "--force"], env, workdir)
        result.queue_seconds = time.monotonic() - started
        queued = (await outbox_counts(database_url)).get("queued", 0)
        if queued != count:
            raise RuntimeError(f"the job queued {queued} reminders, not {count}: {summary}")

        expected = set(chat_ids(count))
        launched = time.monotonic()
        bot["process"] = await launch()
        deadline = launched + count / min(LIMIT, rate) * 3 + 120
        while not expected <= set(pushback.per_chat()):
            process = bot["process"]
            if process.returncode is not None:
                if killed_at and result.restarts == 0:
                    result.restarts += 1
                    bot["process"] = await launch()
                    continue
                tail = logs[-1].read_text(errors="replace").splitlines()[-30:]
                raise RuntimeError(f"the bot exited {process.returncode}:\n" + "\n".join(tail))
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: not all reminders arrived in time")
            await asyncio.sleep(0.05)
        # Every reminder has arrived; give the last 'sent' marks a moment to commit.
        settle = time.monotonic() + 15
        while time.monotonic() < settle:
            counts = await outbox_counts(database_url)
            if counts.get(SENT, 0) == count:
                break
            await asyncio.sleep(0.2)
    finally:
        process = bot["process"]
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        await api.stop()

    counts = await outbox_counts(database_url)
    per_chat = pushback.per_chat()
    times = [at for at, _ in pushback.accepted]
    result.sends = pushback.arrivals
    result.rate_limited = pushback.refused[429]
    result.bad_gateway = pushback.refused[502]
    result.delivered = len(expected & set(per_chat))
    result.duplicates = sum(n - 1 for chat, n in per_chat.items() if n > 1)
    result.losses = len(expected - set(per_chat))
    result.not_sent_rows = sum(n for status, n in counts.items() if status != SENT)
    result.seconds = times[-1] - times[0]
    result.rate = (len(times) - 1) / result.seconds if result.seconds > 0 else 0.0
    result.max_per_second = max_in_window(times)
    result.startup = times[0] - launched
    result.active_rate = result.rate
    result.lost_seconds = result.seconds - (len(times) - 1) / LIMIT
    result.longest_gap = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
    if killed_at:
        before = [at for at in times if at <= killed_at[0]]
        after = [at for at in times if at > killed_at[0]]
        if before and after:
            result.downtime = after[0] - before[-1]
            result.active_rate = (len(times) - 1) / (result.seconds - result.downtime)
    result.bot_log_tail = [
        line
        for log in logs
        for line in log.read_text(errors="replace").splitlines()
        if "Traceback" in line or "ERROR" in line
    ][-10:]
    if keep:
        print(f"  kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


async def bare_floor(count: int) -> dict[str, float]:
    """The bare PTB loop against the same server with no limit, in its own process."""
    api = FakeBotApi()
    await api.start()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench._outbox_bare",
            api.base_url,
            api.token,
            str(count),
            str(FIRST_CHAT_ID),
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await process.communicate()
    finally:
        await api.stop()
    if process.returncode != 0:
        raise RuntimeError(f"the bare loop exited {process.returncode}")
    return json.loads(output.decode().strip().splitlines()[-1])


def describe(run: Run, *, crash: bool = False) -> list[str]:
    lines = [
        f"  {run.name:<9} {run.delivered}/{run.count} delivered in {run.seconds:.1f} s: "
        f"{run.rate:.2f} msg/s = {run.ratio:.1%} of {LIMIT}/s; "
        f"max {run.max_per_second} in any second",
        f"            sends {run.sends}, 429s {run.rate_limited} ({run.share_429:.2%}), "
        f"502s {run.bad_gateway}, duplicates {run.duplicates}, losses {run.losses}, "
        f"rows not sent {run.not_sent_rows}; bot start to first send {run.startup:.1f} s, "
        f"job queued them in {run.queue_seconds:.1f} s",
        f"            time beyond (n - 1)/{LIMIT}/s: {run.lost_seconds:.1f} s; "
        f"longest gap between two sends {run.longest_gap * 1000:.0f} ms",
    ]
    if crash:
        lines.append(
            f"            killed at reminder {run.count // 2}, restarted: downtime "
            f"{run.downtime:.1f} s; rate while running {run.active_rate:.2f} msg/s = "
            f"{run.active_rate / LIMIT:.1%} of the limit"
        )
    if run.bot_log_tail:
        lines.append("            bot log: " + " | ".join(run.bot_log_tail[-3:]))
    return lines


def goals(run: Run, *, crash: bool = False) -> dict[str, bool]:
    rate = run.active_rate if crash else run.rate
    return {
        "rate >= 90% of limit": rate >= GOAL_RATE * LIMIT,
        "429s < 1% of sends": run.share_429 < GOAL_429,
        "zero losses": run.losses == 0 and run.not_sent_rows == 0,
        "duplicates": run.duplicates <= (1 if crash else 0),
    }


async def main_async(quick: bool, keep: bool, only_plain: bool = False) -> dict[str, Any]:
    count = QUICK_COUNT if quick else FULL_COUNT
    runs: dict[str, Run] = {}
    load_before = os.getloadavg()
    print(
        f"outbox: {count} reminders per run, fake Bot API limit {LIMIT}/s; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f}",
        flush=True,
    )
    runs["plain"] = await scenario("plain", count, keep=keep)
    print("\n".join(describe(runs["plain"])), flush=True)
    if only_plain:
        return {"runs": {"plain": asdict(runs["plain"])}}
    runs["502"] = await scenario("502", count, fail_every=FAIL_EVERY, keep=keep)
    print("\n".join(describe(runs["502"])), flush=True)
    runs["crash"] = await scenario("crash", count, kill_at=count // 2, keep=keep)
    print("\n".join(describe(runs["crash"], crash=True)), flush=True)

    side = 100 if quick else 600
    runs["rtt50"] = await scenario("rtt50", side, rtt=0.05, keep=keep)
    print("\n".join(describe(runs["rtt50"])) + "   (informative: 50 ms round trip)", flush=True)
    ceiling = QUICK_COUNT if quick else 2000
    runs["unlimited"] = await scenario("unlimited", ceiling, limit=None, rate=1000, keep=keep)
    unlimited = runs["unlimited"]
    print(
        f"  unlimited {unlimited.delivered} delivered at {unlimited.rate:.0f} msg/s "
        f"(the sender's ceiling: no limit at either end; "
        f"{1000 / unlimited.rate:.1f} ms a message)",
        flush=True,
    )
    bare = await bare_floor(ceiling)
    print(
        f"  floor     limit {LIMIT}/s; bare PTB loop, no database: {bare['rate']:.0f} msg/s "
        f"({1000 / bare['rate']:.1f} ms a message); the sender adds "
        f"{1000 / unlimited.rate - 1000 / bare['rate']:.1f} ms a message",
        flush=True,
    )

    verdict = {
        "plain": goals(runs["plain"]),
        "502": goals(runs["502"]),
        "crash": goals(runs["crash"], crash=True),
    }
    met = all(all(checks.values()) for checks in verdict.values())
    for name, checks in verdict.items():
        missed = [goal for goal, ok in checks.items() if not ok]
        print(f"  goals {name:<6} {'met' if not missed else 'MISSED: ' + ', '.join(missed)}")
    print(f"outbox: goals {'met' if met else 'MISSED'}", flush=True)
    return {
        "benchmark": "outbox",
        "quick": quick,
        "limit_per_second": LIMIT,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            # Other work on the machine shows here: stalls cost the sender its slots.
            "load_average_1m_before_after": [load_before[0], os.getloadavg()[0]],
        },
        "runs": {
            name: {**asdict(run), "ratio": run.ratio, "share_429": run.share_429}
            for name, run in runs.items()
        },
        "floor": {
            "limit_per_second": LIMIT,
            "bare_ptb_rate": bare["rate"],
            "bare_ptb_ms_per_message": 1000 / bare["rate"],
            "sender_unlimited_rate": unlimited.rate,
            "sender_unlimited_ms_per_message": 1000 / unlimited.rate,
        },
        "ratio": {name: runs[name].ratio for name in ("plain", "502", "crash")},
        "goals": verdict,
        "goals_met": met,
    }


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    keep = "--keep" in argv
    if "--plain" in argv:  # a quick look at the first run only; writes no results
        asyncio.run(main_async(quick, keep, only_plain=True))
        return 0
    results = asyncio.run(main_async(quick, keep))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
