"""Benchmark "webhook workers": the survey load through webhooks, one worker then two.

``python -m bench.webhook_workers [--quick]`` (or ``make bench BENCH=webhook_workers``).

Needs PostgreSQL: the URL in ULASAN_TEST_DATABASE_URL (``.ci/pg-cluster.sh run …``
sets it), else a throwaway cluster is started with ``.ci/pg-cluster.sh start`` and
stopped afterwards. Each run gets a fresh migrated database with the tests' roster.

This process is the driver and the "proxy": the tests' fake Bot API (lean mode)
posts each update to the workers round-robin over HTTP, one chat's updates in
order, as Telegram does through a reverse proxy (no nginx here: the fake's round
robin stands in for it, so the figures carry no proxy cost). The workers are
``ulasan run --webhook --multi-worker`` processes. The citizens are the survey
benchmark's (``bench/_survey_citizens.py``), saturated: no think time, every
citizen presses again as soon as the answer arrives (17 updates a survey).

Runs, in the same invocation: 1 worker, then 2 workers, the same citizens.
Figures: completed surveys and updates per second, latency from the update being
handed to the poster to the bot's answer (p50, p95), CPU per update summed over the
workers, PostgreSQL's CPU during the load, and a check of the database afterwards
(one submitted response per citizen, every inbox row applied exactly once).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bench._survey_citizens import Citizen, Phones, SurveyFailed, bench_api, survey_script
from bench.survey_load import (
    BIN,
    ROOT,
    SECRET,
    TOKEN,
    UPDATES_PER_SURVEY,
    answers,
    cpu_seconds,
    log,
    percentile,
    stop_process,
)
from storage.db import create_engine, session_factory
from storage.survey_models import SurveyResponse
from storage.webhook_models import InboxUpdate
from tests.support.citizen import QR, seed_roster
from tests.support.pg import PgAdmin, is_postgresql
from tests.support.webhook import PATH, free_port

RESULTS = ROOT / "bench" / "results" / "webhook_workers.json"
USER_BASE = 5_000_000
FULL_CITIZENS = 60
QUICK_CITIZENS = 8


def worker_env(home: Path, database_url: str, base_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_USERNAME="UlasanBenchBot",
        TELEGRAM_BASE_URL=base_url,
        DATABASE_URL=database_url,
        ULASAN_HOME=str(home),
        DATA_DIR=str(home / "data"),
        SECRET_KEY=SECRET,
        WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        WEBHOOK_PORT=str(port),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


async def healthy(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as client:
        while time.monotonic() < deadline:
            try:
                async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"the worker on port {port} did not come up")


def postgres_cpu() -> float:
    """CPU seconds of every postgres process on the machine (the cluster's server)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return total


async def check_database(url: str, citizens: int) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            submitted = await session.scalar(
                select(func.count())
                .select_from(SurveyResponse)
                .where(SurveyResponse.status == "submitted")
            )
            stored = await session.scalar(select(func.count()).select_from(InboxUpdate))
            pending = await session.scalar(
                select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None))
            )
            attempts = await session.scalar(select(func.max(InboxUpdate.attempts)))
    finally:
        await engine.dispose()
    return {
        "submitted_responses": int(submitted or 0),
        "expected_responses": citizens,
        "inbox_rows": int(stored or 0),
        "inbox_pending": int(pending or 0),
        "most_attempts": int(attempts or 0),
    }


async def seeded_database(admin: PgAdmin) -> str:
    url = admin.create(migrated=True)
    engine = create_engine(url)
    try:
        await seed_roster(session_factory(engine))
    finally:
        await engine.dispose()
    return url


async def run_once(workers: int, citizens: int, admin: PgAdmin, workdir: Path) -> dict[str, Any]:
    url = await seeded_database(admin)
    api = bench_api()
    phones = Phones(api, tracked_from=USER_BASE, tracked_to=USER_BASE + citizens)
    await api.start()
    ports = [free_port() for _ in range(workers)]
    processes = []
    try:
        for index, port in enumerate(ports):
            home = workdir / f"w{workers}-{index}"
            home.mkdir()
            log_file = (home / "worker.log").open("wb")
            processes.append(
                await asyncio.create_subprocess_exec(
                    str(BIN / "ulasan"),
                    "run",
                    "--webhook",
                    "--multi-worker",
                    "--no-migrate",
                    env=worker_env(home, url, api.base_url, port),
                    cwd=home,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            )
        for port in ports:
            await healthy(port)
        await asyncio.wait_for(api.webhook_set.wait(), 30)
        api.webhook_targets = [f"http://127.0.0.1:{port}{PATH}" for port in ports]
        await asyncio.sleep(1.0)
        rng = random.Random(7)
        scores = {USER_BASE + n: answers(rng) for n in range(citizens)}
        crowd = [
            Citizen(phones, user_id, QR, survey_script(s), 0.0, random.Random(user_id))
            for user_id, s in scores.items()
        ]
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        pg_before = postgres_cpu()
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(c.run() for c in crowd), return_exceptions=True)
        finished = time.perf_counter()
        cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
        pg_cpu = postgres_cpu() - pg_before
    finally:
        for process in processes:
            await stop_process(process)
        await api.stop()
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, SurveyFailed):
            raise outcome
    completed = [c for c in crowd if c.done_at is not None]
    latencies = [x for c in completed for x in c.latencies]
    seconds = max((c.done_at for c in completed if c.done_at), default=finished) - started
    updates = citizens * UPDATES_PER_SURVEY
    database = await check_database(url, citizens)
    admin.drop(url)
    return {
        "workers": workers,
        "citizens": citizens,
        "completed": len(completed),
        "failures": [str(o) for o in outcomes if isinstance(o, BaseException)][:5],
        "seconds": round(seconds, 3),
        "surveys_per_second": round(len(completed) / seconds, 2),
        "updates_per_second": round(updates / seconds, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p95": round(percentile(latencies, 0.95) * 1000, 1),
        },
        "worker_cpu_ms_per_update": round(cpu * 1000 / updates, 2),
        "postgres_cpu_ms_per_update": round(pg_cpu * 1000 / updates, 2),
        "load_average_before": round(load_before, 2),
        "database": database,
    }


def describe(result: dict[str, Any]) -> str:
    db = result["database"]
    return (
        f"  {result['workers']} worker(s): {result['completed']}/{result['citizens']} surveys in "
        f"{result['seconds']:.1f} s = {result['surveys_per_second']:.2f} surveys/s "
        f"({result['updates_per_second']:.0f} updates/s), p50 {result['latency_ms']['p50']:.0f} ms"
        f", p95 {result['latency_ms']['p95']:.0f} ms; CPU/update: workers "
        f"{result['worker_cpu_ms_per_update']:.1f} ms, PostgreSQL "
        f"{result['postgres_cpu_ms_per_update']:.1f} ms; database: "
        f"{db['submitted_responses']}/{db['expected_responses']} responses, "
        f"{db['inbox_pending']} pending, most attempts {db['most_attempts']}"
    )


def database_server() -> tuple[str, str | None]:
    """A PostgreSQL server URL and the cluster folder to stop after (None: not ours)."""
    url = os.environ.get("ULASAN_TEST_DATABASE_URL", "")
    if is_postgresql(url or "sqlite://"):
        return url, None
    started = subprocess.run(
        ["bash", str(ROOT / ".ci" / "pg-cluster.sh"), "start"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = dict(
        part.split("=", 1) for part in started.replace("export ", "").split() if "=" in part
    )
    return values["ULASAN_TEST_DATABASE_URL"].strip("'"), values["ULASAN_PG_CLUSTER_DIR"].strip("'")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    citizens = QUICK_CITIZENS if quick else FULL_CITIZENS
    log(
        f"webhook workers: {citizens} citizens x {UPDATES_PER_SURVEY} updates, saturated; "
        f"1 then 2 workers; {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    url, cluster = database_server()
    admin = PgAdmin(url)
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="ulasan-bench-webhook-") as folder:
            for workers in (1, 2):
                result = asyncio.run(run_once(workers, citizens, admin, Path(folder)))
                log(describe(result))
                runs.append(result)
    finally:
        admin.close()
        if cluster is not None:
            subprocess.run(["bash", str(ROOT / ".ci" / "pg-cluster.sh"), "stop", cluster])
    one, two = runs
    ratio = two["surveys_per_second"] / one["surveys_per_second"]
    log(f"  two workers / one: {ratio:.2f}x the surveys per second")
    if quick:
        log("  (quick run: the figures mean nothing)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "webhook_workers",
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": runs,
        "two_over_one": round(ratio, 2),
    }
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    log(f"  written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
