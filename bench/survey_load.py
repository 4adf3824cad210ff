"""Benchmark "survey load": many citizens fill in the SKM survey at once.

``python -m bench.survey_load [--quick]`` (or ``make bench BENCH=survey_load``).

This process is the driver: it runs the fake Bot API server (the tests' own,
``tests/support/fakebot.py``, in its lean mode; aiohttp on 127.0.0.1) and the
simulated citizens (`bench._survey_citizens`). The bot
runs in its own process, started as a user starts it: ``ulasan run`` with its
settings in the environment and a SQLite file database (seeded with the CLI from
``examples/``, QR payload from ``ulasan qr --format json``). The floor is
``bench/floor_bot.py``, a minimal PTB application driven the same way.
``--http-client aiohttp|httpx`` sets the project bot's ``TELEGRAM_HTTP_CLIENT``
(the floors always keep PTB's default httpx request: they are the reference),
for an A/B of the HTTP client in one session.

Each citizen sends ``/start <payload>`` and presses 16 buttons (Mulai, nine
answers, Lewati × 6 for the comment, the four profile steps and consent): 17
updates per survey. Runs, each against a fresh bot
process and a fresh copy of the seeded database:

* ``saturated``: no think time; every citizen presses again as soon as the
  answer arrives. Gives the capacity (completed surveys per second) and the
  CPU cost per update at full load. Latency here is queueing (Little's law:
  citizens / throughput), printed but not judged.
* ``paced``: each citizen reads and thinks 1.5–4.5 s (uniform, seeded; 3 s
  on average) before each press, so 200 citizens offer about 65 updates/s, a
  burst no real counter reaches but one the bot must serve without queueing.
  Latency and the cost goals are judged on this run.
* ``paced + reminders`` (project only): the same while the outbox sender of the
  bot process delivers 5,000 queued reminders (rows inserted before the bot
  starts; the load begins once the sender is sending).
* ``burst`` (issue 22): 150 citizens, always all at the same step, press at the
  same instant: after ``/start`` (all at once) each of the 16 presses is one
  synchronised wave (`asyncio.Barrier`: a wave starts once every citizen has
  its answer to the previous one). Figures: p95 and slowest press→answer over
  all 2,400 presses (the goal: p95 under 1 s), and, for the project, that
  150/150 surveys were counted exactly once (the database check below).

Figures: completed surveys per second (citizens / time from the first update
to the last closing message); latency from a button press (the update offered
to ``getUpdates``) to the bot's answer (the server receives the edit), p50, p95,
p99 over all presses; per-update cost = CPU time (user + system, all threads,
from ``/proc/<pid>/stat``) the bot process spent during the load window,
divided by the updates delivered; peak memory = ``VmHWM`` of the bot process,
read just before it is stopped. Afterwards the database is checked: exactly one
submitted response per citizen with the nine answers it pressed, no drafts.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._survey_citizens import (
    TOKEN,
    Citizen,
    Phones,
    SurveyFailed,
    bench_api,
    survey_script,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "survey_load.json"
BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-0123456789abcdef"
SERVICE = "KTP-EL"
USER_BASE = 5_000_000
REMINDER_BASE = 8_000_000
UPDATES_PER_SURVEY = 1 + len(survey_script([4] * 9))  # /start and 16 presses

GOAL_COST_RATIO = 1.5  # to the work floor; the same ratio to the bare floor is the stretch
GOAL_THROUGHPUT_RATIO = 0.6  # saturated surveys/s, to the bare floor's
GOAL_P95_MS = 250.0
GOAL_PEAK_MB = 150.0
GOAL_REMINDER_P95_RATIO = 1.2
GOAL_BURST_P95_MS = 1000.0


@dataclass
class Size:
    citizens: int
    reminders: int
    think: float
    burst: int  # citizens of the burst run


FULL = Size(citizens=200, reminders=5000, think=3.0, burst=150)
QUICK = Size(citizens=10, reminders=100, think=0.2, burst=10)


def log(text: str) -> None:
    print(text, flush=True)


# -- the bot process ---------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])
    return values


def bot_env(workdir: Path, base_url: str, http_client: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_USERNAME="UlasanBenchBot",
        TELEGRAM_BASE_URL=base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'ulasan.db'}",
        ULASAN_HOME=str(workdir),
        DATA_DIR=str(workdir / "data"),
        SECRET_KEY=SECRET,
        PYTHONUNBUFFERED="1",
    )
    if http_client:
        env["TELEGRAM_HTTP_CLIENT"] = http_client
    return env


def ulasan(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "ulasan"), *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"ulasan {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def seed(workdir: Path) -> str:
    """Migrate and import the example organisation; the QR payload of one service."""
    env = bot_env(workdir, "http://127.0.0.1:9/bot")
    ulasan(env, workdir, "db", "upgrade", "--new-database")
    for kind in ("units", "services", "employees"):
        ulasan(env, workdir, "import", kind, str(ROOT / "examples" / f"{kind}.csv"))
    out = ulasan(env, workdir, "qr", "--service", SERVICE, "--format", "json", "--out", "qr")
    return str(json.loads(out)[0]["payload"])


async def queue_reminders(database: Path, count: int) -> None:
    """``count`` reminders to distinct chats, queued as a reminder job would queue them."""
    from storage import outbox
    from storage.db import create_engine, session_factory
    from storage.outbox_models import PRIORITY_REMINDER

    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with session_factory(engine).begin() as session:
            for number in range(count):
                await outbox.enqueue(
                    session,
                    chat_id=REMINDER_BASE + number,
                    kind="reminder",
                    text=f"Pengingat: penilaian 360° Anda belum selesai ({number}).",
                    buttons=[[{"text": "Nilai sekarang", "callback_data": "rv:open"}]],
                    dedupe_key=f"bench:reminder:{number}",
                    priority=PRIORITY_REMINDER,
                )
    finally:
        await engine.dispose()


def outbox_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


def verify(database: Path, citizens: list[Citizen], scores: dict[int, list[int]]) -> dict[str, Any]:
    """The database after the run: one submitted response per citizen, its answers, no drafts."""
    from storage.crypto import pseudonym

    with sqlite3.connect(database) as db:
        statuses = dict(
            db.execute("SELECT status, count(*) FROM survey_responses GROUP BY status").fetchall()
        )
        rows = db.execute(
            "SELECT user_key, u1, u2, u3, u4, u5, u6, u7, u8, u9 FROM survey_responses "
            "WHERE status = 'submitted'"
        ).fetchall()
    by_key: dict[str, list[list[int]]] = {}
    for key, *answers in rows:
        by_key.setdefault(key, []).append(answers)
    lost = double = wrong = 0
    for citizen in citizens:
        found = by_key.get(pseudonym(SECRET.encode(), citizen.user_id), [])
        if not found:
            lost += 1
        elif len(found) > 1:
            double += 1
        elif found[0] != scores[citizen.user_id]:
            wrong += 1
    nine = sum(1 for _key, *answers in rows if all(a in (1, 2, 3, 4) for a in answers))
    ok = (
        statuses.get("submitted", 0) == len(citizens)
        and nine == len(citizens)
        and not (lost or double or wrong)
        and sum(statuses.values()) == len(citizens)
    )
    return {
        "statuses": statuses,
        "submitted": statuses.get("submitted", 0),
        "with_nine_answers": nine,
        "drafts": statuses.get("draft", 0),
        "lost": lost,
        "double": double,
        "wrong_answers": wrong,
        "ok": ok,
    }


def answers(rng: random.Random) -> list[int]:
    """Nine scores as citizens give them: mostly 3 and 4, a few 1 and 2 (some surveys
    then raise a low-score alert, as in real use)."""
    return rng.choices([1, 2, 3, 4], weights=[5, 10, 50, 35], k=9)


# -- one run ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


async def stop_process(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
    return int(process.returncode or 0)


async def run_once(
    name: str,
    *,
    bot: str,
    size: Size,
    think: float,
    reminders: int,
    payload: str,
    template: Path,
    workdir: Path,
    profile: bool,
    burst: bool = False,
    http_client: str | None = None,
) -> dict[str, Any]:
    rundir = workdir / name.replace(" ", "-").replace("+", "")
    rundir.mkdir()
    database = rundir / "ulasan.db"
    floor = bot != "project"
    count = size.burst if burst else size.citizens
    api = bench_api()
    phones = Phones(api, tracked_from=USER_BASE, tracked_to=USER_BASE + count)
    await api.start()
    if not floor:
        shutil.copy(template, database)
        if reminders:
            await queue_reminders(database, reminders)
    env = bot_env(rundir, api.base_url, None if floor else http_client)
    command, cwd = bot_command(bot, rundir, api.base_url, profile)
    log_file = (rundir / "bot.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT
    )
    try:
        await bot_ready(api, phones, reminders)
        scores, citizens = crowd(phones, payload, count, think, burst)
        window = await load_window(process.pid, phones, citizens)
    finally:
        code = await stop_process(process)
        log_file.close()
        await api.stop()
    failures = survey_failures(window.outcomes)
    log_text = (rundir / "bot.log").read_text(errors="replace")
    result: dict[str, Any] = {
        "run": name,
        "bot": bot,
        "http_client": "httpx" if floor else (http_client or "default"),
        "citizens": count,
        "think_seconds_mean": think,
        "failures": failures[:5],
        **bot_figures(window, citizens, count * UPDATES_PER_SURVEY),
        "bot_exit_code": code,
        "errors_logged": log_text.count(" ERROR ") + log_text.count("Traceback"),
        "api_calls": dict(api.counts),
    }
    if not floor:
        result["database"] = verify(database, citizens, scores)
    if reminders:
        result |= reminder_figures(reminders, window, len(phones.other_sends), database)
    return result


def bot_figures(window: Window, citizens: list[Citizen], updates: int) -> dict[str, Any]:
    """Completed surveys, pace, CPU and memory of one run."""
    completed = [c for c in citizens if c.done_at is not None]
    last = max((c.done_at for c in completed if c.done_at), default=window.finished)
    return {
        "completed": len(completed),
        **pace(completed, citizens, updates, last - window.started),
        "cpu_seconds": round(window.cpu, 3),
        "cpu_ms_per_update": round(window.cpu * 1000 / updates, 3),
        "driver_cpu_seconds": round(window.driver_cpu, 3),
        "load_average_before": round(window.load_before, 2),
        "peak_memory_mb": round(window.memory.get("VmHWM", 0) / 1024, 1),
        "rss_at_end_mb": round(window.memory.get("VmRSS", 0) / 1024, 1),
    }


def survey_failures(outcomes: list[Any]) -> list[str]:
    """The citizens' failed surveys as text; any other exception is the driver's own bug."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, SurveyFailed):
            raise outcome
    return [str(o) for o in outcomes if isinstance(o, BaseException)]


def reminder_figures(queued: int, window: Window, received: int, database: Path) -> dict[str, Any]:
    """How the outbox's reminders went out while the citizens were served."""
    seconds = window.finished - window.started
    return {
        "reminders_queued": queued,
        "reminders_sent_during_load": window.reminders_during,
        "reminders_received_in_all": received,
        "reminder_rate_during_load": round(window.reminders_during / seconds, 1),
        "outbox_after": outbox_counts(database),
    }


async def bot_ready(api: Any, phones: Phones, reminders: int) -> None:
    """Wait until the bot polls (and its outbox sender sends, when reminders are queued)."""
    await asyncio.wait_for(api.polled.wait(), 60)
    if reminders:  # start once the outbox sender is under way
        phones.others_from = min(30, reminders)
        await asyncio.wait_for(phones.others_flowing.wait(), 60)
    await asyncio.sleep(0.5)


def crowd(
    phones: Phones, payload: str, count: int, think: float, burst: bool
) -> tuple[dict[int, list[int]], list[Citizen]]:
    """``count`` citizens with their seeded answers; in a burst they press in waves."""
    rng = random.Random(7)
    scores = {USER_BASE + n: answers(rng) for n in range(count)}
    wave = asyncio.Barrier(count) if burst else None
    citizens = [
        Citizen(phones, user_id, payload, survey_script(s), think, random.Random(user_id))
        for user_id, s in scores.items()
    ]
    for citizen in citizens:
        citizen.wave = wave
    return scores, citizens


@dataclass
class Window:
    """What the bot process spent while the citizens were at it."""

    outcomes: list[Any]
    started: float
    finished: float
    cpu: float
    driver_cpu: float
    load_before: float
    reminders_during: int
    memory: dict[str, int]


async def load_window(pid: int, phones: Phones, citizens: list[Citizen]) -> Window:
    """Run every citizen to the end and measure the bot process meanwhile."""
    sends_before = len(phones.other_sends)
    load_before = os.getloadavg()[0]
    driver_before = time.process_time()
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(c.run() for c in citizens), return_exceptions=True)
    finished = time.perf_counter()
    cpu = cpu_seconds(pid) - cpu_before
    driver_cpu = time.process_time() - driver_before
    reminders_during = len(phones.other_sends) - sends_before
    await asyncio.sleep(0.2)
    return Window(
        list(outcomes),
        started,
        finished,
        cpu,
        driver_cpu,
        load_before,
        reminders_during,
        memory_kb(pid),
    )


def bot_command(bot: str, rundir: Path, base_url: str, profile: bool) -> tuple[list[str], Path]:
    """The command line and working folder that start ``bot`` as a user starts it."""
    if bot == "project":
        command, cwd = [str(BIN / "ulasan"), "run"], rundir
    else:
        command = [sys.executable, "-m", "bench.floor_bot", "--token", TOKEN]
        command += ["--base-url", base_url]
        if bot == "work floor":
            command += ["--work", str(rundir / "floor.db")]
        cwd = ROOT
    if profile:
        out = str(rundir / "profile.pyisession")
        command = [str(BIN / "pyinstrument"), "-r", "pyisession", "-o", out, *command]
    return command, cwd


def pace(
    completed: list[Citizen], citizens: list[Citizen], updates: int, seconds: float
) -> dict[str, Any]:
    """Throughput over the load window and press→answer latency of the finished surveys."""
    latencies = [x for c in completed for x in c.latencies]
    return {
        "seconds": round(seconds, 3),
        "surveys_per_second": round(len(completed) / seconds, 2),
        "updates": updates,
        "updates_per_second": round(updates / seconds, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p95": round(percentile(latencies, 0.95) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "max": round(max(latencies, default=float("nan")) * 1000, 1),
        },
        "start_latency_ms": start_latency([c.start_latency for c in citizens]),
    }


def start_latency(values: list[float | None]) -> dict[str, float]:
    """``/start`` → first screen of the citizens who got one (all start at once)."""
    got = [v for v in values if v is not None]
    return {
        "answered": len(got),
        "p50": round(percentile(got, 0.50) * 1000, 1),
        "p95": round(percentile(got, 0.95) * 1000, 1),
        "max": round(max(got, default=float("nan")) * 1000, 1),
    }


def describe(result: dict[str, Any]) -> str:
    lat = result["latency_ms"]
    start = result["start_latency_ms"]
    text = (
        f"  {result['run']:<28} {result['completed']:>4}/{result['citizens']} surveys "
        f"in {result['seconds']:6.2f} s = {result['surveys_per_second']:6.2f}/s "
        f"({result['updates_per_second']:.0f} updates/s); press→answer p50 {lat['p50']:.1f} "
        f"p95 {lat['p95']:.1f} p99 {lat['p99']:.1f} ms; CPU {result['cpu_ms_per_update']:.2f} "
        f"ms/update; peak memory {result['peak_memory_mb']:.1f} MB"
        f"\n  {'':<28} {result['citizens']} simultaneous /start -> first screen: p50 "
        f"{start['p50']:.1f} p95 {start['p95']:.1f} max {start['max']:.1f} ms"
        f"\n  {'':<28} driver CPU {result['driver_cpu_seconds']:.1f} s, load average before "
        f"{result['load_average_before']:.2f}"
    )
    if "database" in result:
        db = result["database"]
        text += (
            f"\n  {'':<28} database: {db['submitted']} submitted, {db['with_nine_answers']} with "
            f"nine answers, {db['drafts']} drafts, lost {db['lost']}, double {db['double']}, "
            f"wrong {db['wrong_answers']} -> {'OK' if db['ok'] else 'FAILED'}"
        )
    if "reminders_sent_during_load" in result:
        text += (
            f"\n  {'':<28} outbox: {result['reminders_sent_during_load']} reminders sent during "
            f"the load ({result['reminder_rate_during_load']}/s), after stop: "
            f"{result['outbox_after']}"
        )
    if result["failures"]:
        text += f"\n  {'':<28} FAILURES: {result['failures']}"
    if result["errors_logged"]:
        text += f"\n  {'':<28} errors in the bot's log: {result['errors_logged']}"
    return text


async def run_all(
    size: Size, only: str | None, profile: bool, http_client: str | None = None
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="ulasan-bench-survey-"))
    try:
        seeddir = workdir / "seed"
        seeddir.mkdir()
        payload = seed(seeddir)
        template = seeddir / "ulasan.db"
        common = {"size": size, "payload": payload, "template": template, "workdir": workdir}
        plan = [
            ("floor saturated", "floor", 0.0, 0),
            ("work floor saturated", "work floor", 0.0, 0),
            ("project saturated", "project", 0.0, 0),
            ("floor paced", "floor", size.think, 0),
            ("work floor paced", "work floor", size.think, 0),
            ("project paced", "project", size.think, 0),
            ("project paced + reminders", "project", size.think, size.reminders),
            ("floor burst", "floor", 0.0, 0),
            ("work floor burst", "work floor", 0.0, 0),
            ("project burst", "project", 0.0, 0),
        ]
        runs: dict[str, dict[str, Any]] = {}
        keep = profile
        for name, bot, think, reminders in plan:
            if only is not None and only not in name:
                continue
            result = await run_once(
                name,
                bot=bot,
                think=think,
                reminders=reminders,
                profile=profile and bot == "project",
                burst=name.endswith("burst"),
                http_client=http_client,
                **common,  # type: ignore[arg-type]
            )
            runs[name] = result
            log(describe(result))
            keep = keep or bool(result["failures"] or result["errors_logged"])
        return runs
    finally:
        if keep:
            log(f"  logs and profiles kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def judge(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    floor, project = runs["floor paced"], runs["project paced"]
    work = runs["work floor paced"]
    loaded = runs["project paced + reminders"]
    sat_floor, sat_project = runs["floor saturated"], runs["project saturated"]
    sat_work = runs["work floor saturated"]
    cost_ratio = project["cpu_ms_per_update"] / floor["cpu_ms_per_update"]
    work_ratio = project["cpu_ms_per_update"] / work["cpu_ms_per_update"]
    sat_ratio = sat_project["cpu_ms_per_update"] / sat_floor["cpu_ms_per_update"]
    sat_work_ratio = sat_project["cpu_ms_per_update"] / sat_work["cpu_ms_per_update"]
    throughput = sat_project["surveys_per_second"] / sat_floor["surveys_per_second"]
    p95_ratio = loaded["latency_ms"]["p95"] / project["latency_ms"]["p95"]
    peak = max(r["peak_memory_mb"] for r in runs.values() if r["bot"] == "project")
    burst = runs["project burst"]
    db_ok = all(r["database"]["ok"] for r in runs.values() if "database" in r)
    return {
        "cost_ratio_paced": round(cost_ratio, 2),
        "cost_ratio_to_work_floor_paced": round(work_ratio, 2),
        "cost_ratio_saturated": round(sat_ratio, 2),
        "cost_ratio_to_work_floor_saturated": round(sat_work_ratio, 2),
        "throughput_ratio_saturated": round(throughput, 2),
        "throughput_ratio_to_work_floor_saturated": round(
            sat_project["surveys_per_second"] / sat_work["surveys_per_second"], 2
        ),
        "p95_ratio_reminders_vs_idle": round(p95_ratio, 2),
        "goals": {
            f"per-update cost <= {GOAL_COST_RATIO}x work floor (paced)": (
                work_ratio <= GOAL_COST_RATIO
            ),
            f"stretch: per-update cost <= {GOAL_COST_RATIO}x bare floor (paced)": (
                cost_ratio <= GOAL_COST_RATIO
            ),
            f"saturated surveys/s >= {GOAL_THROUGHPUT_RATIO}x bare floor": (
                throughput >= GOAL_THROUGHPUT_RATIO
            ),
            f"p95 < {GOAL_P95_MS:.0f} ms (paced)": project["latency_ms"]["p95"] < GOAL_P95_MS,
            f"peak memory < {GOAL_PEAK_MB:.0f} MB": peak < GOAL_PEAK_MB,
            "zero lost or double-counted surveys": db_ok,
            f"p95 under reminders <= {GOAL_REMINDER_P95_RATIO}x idle": (
                p95_ratio <= GOAL_REMINDER_P95_RATIO
            ),
            f"{burst['citizens']} citizens pressing at once: p95 < {GOAL_BURST_P95_MS:.0f} ms, "
            "every survey counted once": (
                burst["latency_ms"]["p95"] < GOAL_BURST_P95_MS and burst["database"]["ok"]
            ),
        },
    }


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    profile = "--profile" in argv  # the project's runs under pyinstrument (slower)
    only = argv[argv.index("--only") + 1] if "--only" in argv else None  # runs whose name has it
    # The project bot's TELEGRAM_HTTP_CLIENT (aiohttp or httpx); the floors keep PTB's default.
    http_client = argv[argv.index("--http-client") + 1] if "--http-client" in argv else None
    size = QUICK if quick else FULL
    log(
        f"survey load: {size.citizens} citizens x {UPDATES_PER_SURVEY} updates, think "
        f"{size.think} s (paced), {size.reminders} reminders; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    runs = asyncio.run(run_all(size, only, profile, http_client))
    if only is not None:
        return 0
    verdict = judge(runs)
    report(runs, verdict, quick)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "survey_load",
        "quick": quick,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "size": size.__dict__,
        "http_client": http_client or "default",
        "runs": runs,
        **verdict,
    }
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    log(f"  written to {RESULTS.relative_to(ROOT)}")
    return 0


def report(runs: dict[str, dict[str, Any]], verdict: dict[str, Any], quick: bool) -> None:
    """The ratios and goals, printed after the runs."""
    floor, project = runs["floor paced"], runs["project paced"]
    work = runs["work floor paced"]
    log(
        f"\n  per-update cost (paced): project {project['cpu_ms_per_update']:.2f} ms, work floor "
        f"{work['cpu_ms_per_update']:.2f} ms, ratio {verdict['cost_ratio_to_work_floor_paced']:.2f}"
        f"; bare floor {floor['cpu_ms_per_update']:.2f} ms, ratio "
        f"{verdict['cost_ratio_paced']:.2f}"
        f"\n  saturated: cost ratio {verdict['cost_ratio_to_work_floor_saturated']:.2f} (work) / "
        f"{verdict['cost_ratio_saturated']:.2f} (bare); surveys/s ratio "
        f"{verdict['throughput_ratio_to_work_floor_saturated']:.2f} (work) / "
        f"{verdict['throughput_ratio_saturated']:.2f} (bare)"
    )
    log(
        f"  p95 under reminders / idle: {verdict['p95_ratio_reminders_vs_idle']:.2f} "
        f"({runs['project paced + reminders']['latency_ms']['p95']:.1f} / "
        f"{project['latency_ms']['p95']:.1f} ms)"
    )
    log(
        "  burst p95 / slowest press->answer (ms): "
        + "; ".join(
            f"{bot} {runs[f'{bot} burst']['latency_ms']['p95']:.0f} / "
            f"{runs[f'{bot} burst']['latency_ms']['max']:.0f}"
            for bot in ("project", "work floor", "floor")
        )
    )
    for goal, met in verdict["goals"].items():
        log(f"  goal {goal}: {'met' if met else 'MISSED'}")
    if quick:
        log("  (quick run: the figures mean nothing)")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
