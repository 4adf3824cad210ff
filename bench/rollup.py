"""``python -m bench.rollup [--quick] [--data DIR]``: the rollup job and the IKM report at scale.

What it does, on a migrated SQLite file (WAL, the deployment default):

1. generates N submitted citizen responses (1,000,000; ``--quick``: 20,000)
   spread over the 12 months of 2025 (Asia/Jakarta), 50 services in 10 units
   (one unit with two sub-units), 200 officers (70 % of the responses name
   one), the respondent profile and a comment on 5 %, written with plain
   ``sqlite3`` ``executemany`` (data generation only), plus one closed 360°
   cycle of 2,000 review assignments (self, supervisor and 8 peers for each
   of the 200 officers; 90 % submitted);
2. times the **full rollup** through the code path of ``ulasan job run rollup
   --full`` (`bot.cli.job.run_now`, in process: the job runner, its JobRun
   claim, the rebuild, the review cycle) while another process (as the bot
   is) submits one of 20,000 prepared surveys every ``--press-every`` ms
   (default 10) through the press's own `storage.survey.submit`, with the
   bot's engine and busy timeout (`bench._rollup_presses`): press latency
   p50/p99/max and failures inside the rollup's window, and in the idle
   second before it. The responses carry the marks a submission writes
   (``rollup_day``, ``rollup_seq``) where the schema has them (migration
   0030); on an older schema they are written without, as before;
3. adds 10,000 new responses (the last two days of the year and the first of
   the next, 5 % of them *late*: started before responses that were stored
   earlier) and times the **incremental rollup** (`run_now` without
   ``--full``), then a second run that must find nothing to do;
4. times ``ulasan report ikm --unit <root> --from 2025-01-01 --to 2025-12-31``:
   in process (the click command itself through ``CliRunner``, settings from
   the environment, engine, rollup check, queries, table; median of 5: the
   figure held against the goal) and as a subprocess of the installed
   ``ulasan`` script (adds Python start-up and imports; median of 3);
5. a ``--full`` rebuild while pressing as in 2; then an incremental run counts
   what was submitted meanwhile, and a quiet ``--full`` rebuild (timed against
   the floor) must give the same tables, row for row; the database size per
   response (file size after a WAL checkpoint and VACUUM, divided by the
   number of responses);
6. the **floor**: one hand-written ``SELECT service_id, strftime('%Y-%m',
   submitted_at), count(*), sum(u1) … sum(u9) … GROUP BY 1, 2`` run directly
   with the ``sqlite3`` module on the same file.

Goals: press p99 < 250 ms during a full rollup (none failing), full rollup
(first run and ``--full``) ≤ 2 × the floor, incremental < 0.5 s, report < 0.3 s.
Prints the figures, the floor, the ratio and whether each goal is met; writes
``bench/results/rollup.json``. ``--data DIR`` keeps the generated database in
DIR and reuses it on the next run (each run works on a fresh copy).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.settings import Settings, load_settings
from scheduler.scoring.skm_instrument import PROFILE

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TIMEZONE = "Asia/Jakarta"
TZ = ZoneInfo(TIMEZONE)
YEAR = 2025
UNITS = 10
SERVICES_PER_UNIT = 5
OFFICERS_PER_UNIT = 20
PEERS = 8
ITEMS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7")
GOAL_FULL_RATIO = 2.0
GOAL_INCREMENTAL = 0.5
GOAL_REPORT = 0.3
FLOOR_SQL = (
    "SELECT service_id, strftime('%Y-%m', submitted_at), count(*), "
    + ", ".join(f"sum(u{i})" for i in range(1, 10))
    + " FROM survey_responses WHERE status = 'submitted' GROUP BY 1, 2"
)


# CPU seconds of this process per measured step (the machine may be shared:
# wall-clock figures are what the goals use, CPU figures show the contention).
CPU: dict[str, float] = {}


@dataclass(frozen=True)
class Size:
    responses: int
    new_responses: int
    report_repeats: int
    subprocess_repeats: int
    drafts: int  # surveys waiting at the last question, for the presses


FULL_SIZE = Size(1_000_000, 10_000, 5, 3, 20_000)
QUICK_SIZE = Size(20_000, 1_000, 2, 1, 3_000)


def stamp(moment: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text for a UTC instant (naive, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# -- data generation ---------------------------------------------------------------------


def _roster(db: sqlite3.Connection) -> tuple[list[int], dict[int, list[int]]]:
    """Units, services and officers; (service ids, officers by service)."""
    now = stamp(datetime(YEAR - 1, 12, 1, tzinfo=UTC))
    units = []
    for index in range(UNITS):
        parent = 1 if index in (1, 2) else None  # U00 has two sub-units
        units.append((index + 1, f"U{index:02d}", f"Unit {index:02d}", parent, now, now))
    db.executemany(
        "INSERT INTO units (id, code, name, parent_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        units,
    )
    services = []
    employees = []
    officers: dict[int, list[int]] = {}
    for unit_id in range(1, UNITS + 1):
        staff = []
        for number in range(OFFICERS_PER_UNIT):
            employee_id = len(employees) + 1
            head = (unit_id - 1) * OFFICERS_PER_UNIT + 1
            supervisor = None if number == 0 else head
            if number == 0 and unit_id > 1:
                supervisor = 1  # unit heads report to the first unit's head
            employees.append(
                (
                    employee_id,
                    f"1980{employee_id:014d}",
                    f"Pegawai {employee_id:03d}",
                    "Pelaksana",
                    unit_id,
                    supervisor,
                    1,
                    now,
                    now,
                )
            )
            staff.append(employee_id)
        for number in range(SERVICES_PER_UNIT):
            service_id = len(services) + 1
            name = f"Layanan {service_id:02d}"
            services.append((service_id, f"S{service_id:02d}", unit_id, name, 1, 1, now, now))
            officers[service_id] = staff[number * 4 : number * 4 + 4]
    db.executemany(
        "INSERT INTO services (id, code, unit_id, name, active, free, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        services,
    )
    db.executemany(
        "INSERT INTO employees (id, nip, name, position, unit_id, supervisor_id, active,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        employees,
    )
    return [s[0] for s in services], officers


PROFILE_CHOICES = {name: [v for v, _label in values] + [None] for name, values in PROFILE.items()}
RESPONSE_COLUMNS = (
    "token, user_key, service_id, employee_id, status, step, language, local_date, started_at,"
    " updated_at, submitted_at, u1, u2, u3, u4, u5, u6, u7, u8, u9, comment, age_group, gender,"
    " education, occupation, contact_ok"
)
INSERT_RESPONSE = (
    f"INSERT INTO survey_responses ({RESPONSE_COLUMNS}) VALUES ({', '.join('?' * 26)})"
)
# Where the schema has them (migration 0030), the marks the submitting UPDATE writes.
INSERT_MARKED_RESPONSE = (
    f"INSERT INTO survey_responses ({RESPONSE_COLUMNS}, rollup_day, rollup_seq)"
    f" VALUES ({', '.join('?' * 28)})"
)


def marks_at_submit(db: sqlite3.Connection) -> bool:
    """Whether this schema has the marks written at submit (``rollup_seq``)."""
    return any(row[1] == "rollup_seq" for row in db.execute("PRAGMA table_info(survey_responses)"))


def next_number(db: sqlite3.Connection) -> int:
    """The submission number the next submit would take (`storage.rollup.marks`)."""
    return int(
        db.execute(
            "SELECT max(coalesce((SELECT max(rollup_seq) FROM survey_responses), 0),"
            " coalesce((SELECT max(upto) FROM skm_rollup_counted), 0)) + 1"
        ).fetchone()[0]
    )


def insert_responses(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Rows of `_responses`, with the submit's marks where the schema has them."""
    if not marks_at_submit(db):
        db.executemany(INSERT_RESPONSE, rows)
        return
    first = next_number(db)
    submitted = RESPONSE_COLUMNS.replace(" ", "").split(",").index("submitted_at")
    marked = [
        (*row, _local_day_of(row[submitted]), first + index) for index, row in enumerate(rows)
    ]
    db.executemany(INSERT_MARKED_RESPONSE, marked)


def _local_day_of(stamped: str) -> str:
    moment = datetime.strptime(stamped, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    return moment.astimezone(TZ).date().isoformat()


def _responses(
    rng: random.Random,
    services: list[int],
    officers: dict[int, list[int]],
    submitted: list[datetime],
    first_token: int,
    late: float = 0.0,
) -> list[tuple[Any, ...]]:
    """One row per submission instant (rows in the order given, i.e. id order)."""
    rows = []
    weights = [1.0 + (s % 7) / 3 for s in services]  # busier and quieter services
    chosen = rng.choices(services, weights=weights, k=len(submitted))
    for index, (service_id, at) in enumerate(zip(chosen, submitted, strict=True)):
        took = timedelta(seconds=rng.randint(90, 900))
        if rng.random() < late:
            took += timedelta(hours=rng.randint(2, 20))  # started long before it was sent
        started = at - took
        employee = rng.choice(officers[service_id]) if rng.random() < 0.7 else None
        base = rng.choice((2, 3, 3, 3, 4, 4))
        scores = [min(4, max(1, base + rng.choice((-1, 0, 0, 0, 1)))) for _ in range(9)]
        comment = "Pelayanan baik, antrean agak lama" if rng.random() < 0.05 else None
        token = f"{first_token + index:016x}"
        rows.append(
            (
                token,
                token * 2,
                service_id,
                employee,
                "submitted",
                "done",
                "id",
                started.astimezone(TZ).date().isoformat(),
                stamp(started),
                stamp(at),
                stamp(at),
                *scores,
                comment,
                *(rng.choice(PROFILE_CHOICES[name]) for name in PROFILE_CHOICES),
                0,
            )
        )
    return rows


def _instants(rng: random.Random, count: int, first: datetime, last: datetime) -> list[datetime]:
    span = (last - first).total_seconds()
    return sorted(first + timedelta(seconds=rng.random() * span) for _ in range(count))


def _review_cycle(db: sqlite3.Connection, rng: random.Random, officers: int) -> int:
    """One closed cycle: self, supervisor and PEERS peers for every officer."""
    opened = datetime(YEAR, 6, 1, 1, tzinfo=UTC)
    closed = datetime(YEAR, 6, 30, 10, tzinfo=UTC)
    db.execute(
        "INSERT INTO review_cycles (id, name, unit_id, deadline, status, instrument, max_peers,"
        " include_self, opened_at, closed_at, opened_by) VALUES"
        " (1, 'Siklus 2025-1', NULL, '2025-06-30', 'closed', 'berakhlak3', ?, 1, ?, ?, 'bench')",
        (PEERS, stamp(opened), stamp(closed)),
    )
    supervisors = dict(db.execute("SELECT id, supervisor_id FROM employees"))
    assignments = []
    answers = []
    for ratee in range(1, officers + 1):
        raters = [(ratee, "self")]
        if supervisors.get(ratee):
            raters.append((supervisors[ratee], "supervisor"))
        pool = [e for e in range(1, officers + 1) if e != ratee and e != supervisors.get(ratee)]
        raters += [(peer, "peer") for peer in rng.sample(pool, PEERS + 2 - len(raters))]
        for rater, relation in raters:
            assignment_id = len(assignments) + 1
            done = rng.random() < 0.9
            at = stamp(opened + timedelta(days=rng.randint(1, 25)))
            assignments.append(
                (
                    assignment_id,
                    1,
                    rater,
                    ratee,
                    relation,
                    "submitted" if done else "pending",
                    f"r{assignment_id:015d}",
                    "done" if done else "",
                    "Teliti" if done and rng.random() < 0.3 else None,
                    None,
                    rng.randint(1, 3) if done and relation == "supervisor" else None,
                    at,
                    at,
                    at if done else None,
                )
            )
            if done:
                answers += [(assignment_id, item, rng.randint(1, 3), at) for item in ITEMS]
    db.executemany(
        "INSERT INTO review_assignments (id, cycle_id, rater_id, ratee_id, relation, status,"
        " token, step, comment_keep, comment_improve, hasil_kerja, created_at, updated_at,"
        " submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        assignments,
    )
    db.executemany(
        "INSERT INTO review_answers (assignment_id, item_code, value, answered_at)"
        " VALUES (?, ?, ?, ?)",
        answers,
    )
    return len(assignments)


def _local(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ)


async def _migrate(url: str) -> None:
    from storage.migrate import upgrade

    await upgrade(url)


def generate(path: Path, size: Size) -> dict[str, Any]:
    """A migrated SQLite file with the roster, the responses and the closed cycle."""
    started = time.perf_counter()
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    rng = random.Random(20250101)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    with db:
        services, officers = _roster(db)
        assignments = _review_cycle(db, rng, UNITS * OFFICERS_PER_UNIT)
    instants = _instants(rng, size.responses, _local(date(YEAR, 1, 1)), _local(date(YEAR, 12, 30)))
    batch = 100_000
    for offset in range(0, len(instants), batch):
        rows = _responses(rng, services, officers, instants[offset : offset + batch], offset)
        with db:
            insert_responses(db, rows)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {"seconds": time.perf_counter() - started, "assignments": assignments}


def add_new_responses(path: Path, size: Size) -> int:
    """The new responses of the incremental run (5 % late submissions)."""
    rng = random.Random(20260101)
    db = sqlite3.connect(path)
    services = [row[0] for row in db.execute("SELECT id FROM services ORDER BY id")]
    officers: dict[int, list[int]] = {}
    for service_id, unit_id in db.execute("SELECT id, unit_id FROM services"):
        staff = [
            row[0] for row in db.execute("SELECT id FROM employees WHERE unit_id = ?", (unit_id,))
        ]
        officers[service_id] = staff[:4]
    first = int(db.execute("SELECT max(id) FROM survey_responses").fetchone()[0]) + 1
    instants = _instants(
        rng, size.new_responses, _local(date(YEAR, 12, 30)), _local(date(YEAR + 1, 1, 2))
    )
    rows = _responses(rng, services, officers, instants, 10**9 + first, late=0.05)
    with db:
        insert_responses(db, rows)
    db.close()
    return len(rows)


def prepare_drafts(path: Path, count: int) -> None:
    """Surveys answered up to the last question, for the presses to submit."""
    db = sqlite3.connect(path)
    services = [row[0] for row in db.execute("SELECT id FROM services ORDER BY id")]
    first = int(db.execute("SELECT max(id) FROM survey_responses").fetchone()[0]) + 1
    started = datetime(YEAR + 1, 1, 2, 3, tzinfo=UTC)
    rows = [
        (
            f"d{first + index:015x}",
            f"d{first + index:015x}" * 2,
            services[index % len(services)],
            None,
            "draft",
            "contact",
            "id",
            started.astimezone(TZ).date().isoformat(),
            stamp(started),
            stamp(started),
            None,
            *(1 + (index + u) % 4 for u in range(9)),
            None,
            None,
            None,
            None,
            None,
            0,
        )
        for index in range(count)
    ]
    with db:
        db.executemany(INSERT_RESPONSE, rows)
    db.close()


PRESS_INTERVAL_MS = 10.0  # --press-every MS
GOAL_PRESS_P99 = 0.25


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _press_figures(presses: list[list[Any]]) -> dict[str, Any]:
    latencies = [p[1] for p in presses if not p[2]]
    failures = [p[2] for p in presses if p[2]]
    return {
        "presses": len(presses),
        "failures": len(failures),
        "failure_kinds": sorted(set(failures))[:3],
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=0.0) * 1000,
    }


def while_pressing(path: Path, work: Any, every_ms: float) -> tuple[Any, dict[str, Any]]:
    """Run ``work()`` while another process submits a survey every ``every_ms``.

    Returns work's result and the press figures inside its window (and, for
    comparison, in the idle second before it).
    """
    presser = subprocess.Popen(
        [sys.executable, "-m", "bench._rollup_presses", str(path), str(every_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert presser.stdin is not None and presser.stdout is not None
    if presser.stdout.readline().strip() != "ready":
        raise SystemExit("the pressing process did not start")
    time.sleep(1.0)  # an idle second: the presses' own latency, for comparison
    first = time.time()
    result = work()
    last = time.time()
    time.sleep(0.2)
    presser.stdin.close()
    output = presser.stdout.read().strip().splitlines()
    if presser.wait() != 0 or not output:
        raise SystemExit("the pressing process failed")
    report = json.loads(output[-1])
    presses = report["presses"]
    during = [p for p in presses if first <= p[0] <= last]
    idle = [p for p in presses if p[0] < first]
    return result, {
        "interval_ms": every_ms,
        "during": _press_figures(during),
        "idle": _press_figures(idle),
        "drafts_left": report["drafts_left"],
    }


def _press_line(label: str, figures: dict[str, Any]) -> str:
    d, i = figures["during"], figures["idle"]
    return (
        f"presses during {label}: {d['presses']} (one per {figures['interval_ms']:.0f} ms),"
        f" p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.1f} ms, max {d['max_ms']:.1f} ms,"
        f" {d['failures']} failed {d['failure_kinds']}; idle before: p50 {i['p50_ms']:.1f} ms,"
        f" p99 {i['p99_ms']:.1f} ms"
    )


# -- the measurements --------------------------------------------------------------------


def bench_settings(path: Path, data_dir: Path) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{path}",
        data_dir=data_dir,
        secret_key="bench-secret-key-0123456789",
        timezone=TIMEZONE,
    )


def settle(path: Path) -> None:
    """The database file as a running service's would be before a timed run: the
    WAL checkpointed and the file's pages on disk. Without it the benchmark's own
    copy of a 500 MB file (and the writes that prepare a run) were still being
    written back when the rollup's first checkpoint asked for them to be on disk:
    seconds of waiting that belong to the benchmark, not to the rollup."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def warm_imports() -> None:
    """Import what ``ulasan job run rollup`` imports, before the timed runs: the
    floor's figure has no interpreter start-up or imports in it either (a
    command's start-up is timed as such: `report_subprocess`)."""
    for name in (
        "bot.cli.job",
        "scheduler.jobs.rollup",
        "scheduler.runner",
        "storage.review_result_load",
        "storage.review_result_store",
        "storage.rollup.incremental",
        "storage.rollup.rebuild",
        "storage.rollup.refresh",
    ):
        importlib.import_module(name)


def run_rollup(settings: Settings, *, full: bool) -> tuple[float, str]:
    """One ``ulasan job run rollup [--full]``, in process: (seconds, the job's summary)."""
    from bot.cli.job import run_now

    started, cpu = time.perf_counter(), time.process_time()
    outcome = asyncio.run(run_now(settings, "rollup", False, full))
    seconds = time.perf_counter() - started
    CPU[f"rollup{' --full' if full else ''}#{len(CPU)}"] = time.process_time() - cpu
    if not outcome.ok:
        raise SystemExit(f"rollup failed: {outcome.result}")
    return seconds, outcome.result


def _cli_env(path: Path, data_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        "ULASAN_HOME": str(data_dir),
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "bench-secret-key-0123456789",
        "TIMEZONE": TIMEZONE,
        "LOG_LEVEL": "WARNING",
    }


REPORT_ARGS = ["report", "ikm", "--unit", "U00", "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31"]


def report_in_process(path: Path, data_dir: Path) -> tuple[float, str]:
    """``ulasan report ikm --unit U00 --from … --to …`` run by click in this process."""
    from click.testing import CliRunner

    from bot.cli.main import cli, register_commands

    register_commands()
    runner = CliRunner()
    started = time.perf_counter()
    done = runner.invoke(cli, REPORT_ARGS, env=_cli_env(path, data_dir), catch_exceptions=False)
    seconds = time.perf_counter() - started
    if done.exit_code != 0:
        raise SystemExit(f"ulasan report ikm failed: {done.output.strip()}")
    return seconds, done.output


def report_subprocess(path: Path, data_dir: Path) -> tuple[float, str]:
    script = Path(sys.executable).with_name("ulasan")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from bot.cli.main import main; main()"]
    )
    env = {**os.environ, **_cli_env(path, data_dir)}
    started = time.perf_counter()
    done = subprocess.run(
        [*command, *REPORT_ARGS], env=env, capture_output=True, text=True, cwd=data_dir
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ulasan report ikm failed: {done.stderr.strip()}")
    return seconds, done.stdout


def floor(path: Path) -> tuple[float, int]:
    db = sqlite3.connect(path)
    started, cpu = time.perf_counter(), time.process_time()
    rows = db.execute(FLOOR_SQL).fetchall()
    seconds = time.perf_counter() - started
    CPU[f"floor#{len(CPU)}"] = time.process_time() - cpu
    db.close()
    return seconds, len(rows)


def database_size(path: Path) -> tuple[int, int]:
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    responses = int(db.execute("SELECT count(*) FROM survey_responses").fetchone()[0])
    db.close()
    return path.stat().st_size, responses


def table_sizes(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND (name LIKE 'skm_%' OR name LIKE 'review_result_%') ORDER BY name"
        )
    ]
    out = {name: int(db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]) for name in names}
    db.close()
    return out


def table_contents(path: Path) -> dict[str, tuple[int, str]]:
    """Each rollup table's row count and a digest of its rows, in key order: two runs
    agree only if every row holds the same values (surrogate ids and ``*_at`` stamps,
    which say when a row was written, are left out)."""
    db = sqlite3.connect(path)
    out: dict[str, tuple[int, str]] = {}
    for name in table_sizes(path):
        columns = [
            row[1]
            for row in db.execute(f"PRAGMA table_info({name})")
            if row[1] != "id" and not row[1].endswith("_at")
        ]
        listed = ", ".join(columns)
        digest = hashlib.sha256()
        count = 0
        for row in db.execute(f"SELECT {listed} FROM {name} ORDER BY {listed}"):
            digest.update(repr(row).encode())
            count += 1
        out[name] = (count, digest.hexdigest()[:16])
    db.close()
    return out


def _schema_has_marks(path: Path) -> bool:
    db = sqlite3.connect(path)
    try:
        return marks_at_submit(db)
    finally:
        db.close()


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def _options(argv: list[str]) -> tuple[bool, Size, float, Path | None]:
    """``--quick``, ``--press-every MS`` and ``--data DIR`` (keep the generated database)."""
    quick = "--quick" in argv
    every_ms = PRESS_INTERVAL_MS
    if "--press-every" in argv:
        every_ms = float(argv[argv.index("--press-every") + 1])
    keep: Path | None = None
    if "--data" in argv:
        keep = Path(argv[argv.index("--data") + 1]).resolve()
        keep.mkdir(parents=True, exist_ok=True)
    return quick, QUICK_SIZE if quick else FULL_SIZE, every_ms, keep


def _base_database(folder: Path, size: Size) -> tuple[Path, dict[str, Any]]:
    """The generated database, made once per folder and size."""
    base = folder / f"base-{size.responses}.db"
    generated: dict[str, Any] = {"seconds": 0.0, "reused": True}
    if not base.exists():
        print(f"generating {size.responses:,} responses …", flush=True)
        generated = generate(base, size) | {"reused": False}
        print(f"  generated in {generated['seconds']:.1f} s", flush=True)
    return base, generated


def _median(repeats: int, run: Callable[[], tuple[float, str]]) -> tuple[float, list[float], str]:
    """``run`` ``repeats`` times: the median seconds, every time, and the last output."""
    times: list[float] = []
    text = ""
    for _ in range(repeats):
        seconds, text = run()
        times.append(seconds)
    return statistics.median(times), times, text


def _reports(path: Path, scratch: Path, size: Size) -> dict[str, Any]:
    """`ulasan report ikm` in process and as a subprocess; both must print the same."""
    report_seconds, report_times, text = _median(
        size.report_repeats, lambda: report_in_process(path, scratch)
    )
    print(f"report ikm --unit U00, a year, in process: {report_seconds:.3f} s (median)")
    sub_seconds, sub_times, sub_text = _median(
        size.subprocess_repeats, lambda: report_subprocess(path, scratch)
    )
    print(f"report ikm as a subprocess (with Python start-up): {sub_seconds:.3f} s")
    if sub_text != text:
        raise SystemExit("the subprocess report differs from the in-process one")
    return {
        "unit": "U00 (with 2 sub-units, 15 services)",
        "in_process_seconds": report_seconds,
        "in_process_all": report_times,
        "subprocess_seconds": sub_seconds,
        "subprocess_all": sub_times,
        "respondents": next(line for line in text.splitlines() if line.startswith("Responden")),
    }


def _rebuild_while_pressing(
    path: Path, settings: Any, every_ms: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """--full while citizens press; then what they submitted meanwhile is counted by an
    incremental run, and a quiet --full must give the same tables, row for row."""
    settle(path)
    (pressed_seconds, _), presses = while_pressing(
        path, lambda: run_rollup(settings, full=True), every_ms
    )
    print(f"full rebuild (--full) while pressing: {pressed_seconds:.3f} s")
    print(_press_line("--full", presses))
    run_rollup(settings, full=False)
    before = table_contents(path)
    settle(path)
    rebuild_seconds, _ = run_rollup(settings, full=True)
    rebuild_cpu = list(CPU.values())[-1]
    print(
        f"full rebuild (--full again, nobody pressing): {rebuild_seconds:.3f} s,"
        f" cpu {rebuild_cpu:.3f} s"
    )
    after = table_contents(path)
    if before != after:
        raise SystemExit(f"incremental and full rollup differ: {before} != {after}")
    pressing = {"seconds": pressed_seconds, "presses": presses}
    quiet = {"seconds": rebuild_seconds, "cpu_seconds": rebuild_cpu, "tables": after}
    return pressing, quiet


def _goals(figures: dict[str, Any]) -> dict[str, bool]:
    """Each goal, met or not, printed with its figure."""
    floor_seconds = figures["floor"]["seconds"]
    full, rebuild = figures["full_rollup"], figures["full_rebuild_after_incremental"]
    first = figures["presses_during_first_run"]["during"]
    during = figures["full_rebuild_while_pressing"]["presses"]["during"]
    worst_p99 = max(first["p99_ms"], during["p99_ms"])
    failed = first["failures"] + during["failures"]
    incremental = figures["incremental_rollup"]["seconds"]
    report = figures["report_ikm"]["in_process_seconds"]
    goals = {
        "press_p99_under_250ms_during_full_rollup": worst_p99 < GOAL_PRESS_P99 * 1000
        and not failed,
        "full_rollup_at_most_2x_floor": full["ratio"] <= GOAL_FULL_RATIO,
        "rebuild_at_most_2x_floor": rebuild["ratio"] <= GOAL_FULL_RATIO,
        "incremental_under_0.5s": incremental < GOAL_INCREMENTAL,
        "report_under_0.3s": report < GOAL_REPORT,
    }
    said = {key: "met" if met else "MISSED" for key, met in goals.items()}
    print(
        f"\nfull rollup {full['seconds']:.3f} s / floor {floor_seconds:.3f} s ="
        f" {full['ratio']:.2f}x (goal ≤ {GOAL_FULL_RATIO}x): {said['full_rollup_at_most_2x_floor']}"
    )
    print(
        f"rebuild {rebuild['seconds']:.3f} s / floor = {rebuild['ratio']:.2f}x"
        f" (goal ≤ {GOAL_FULL_RATIO}x): {said['rebuild_at_most_2x_floor']}"
    )
    print(
        f"press p99 during the full rollups {worst_p99:.1f} ms, {failed} failed"
        f" (goal < {GOAL_PRESS_P99 * 1000:.0f} ms, none failed):"
        f" {said['press_p99_under_250ms_during_full_rollup']}"
    )
    print(
        f"incremental {incremental:.3f} s (goal < {GOAL_INCREMENTAL} s):"
        f" {said['incremental_under_0.5s']}"
    )
    print(f"report {report:.3f} s (goal < {GOAL_REPORT} s): {said['report_under_0.3s']}")
    return goals


def _first_run(path: Path, settings: Any, size: Size, every_ms: float) -> dict[str, Any]:
    """The floor, the first (full) rollup while citizens press, and the incremental runs."""
    floor_seconds = min(floor(path)[0] for _ in range(3))
    floor_rows = floor(path)[1]
    print(f"floor (sqlite3 GROUP BY service, month): {floor_seconds:.3f} s, {floor_rows} rows")
    prepare_drafts(path, size.drafts)
    warm_imports()
    settle(path)
    (full_seconds, full_result), first_presses = while_pressing(
        path, lambda: run_rollup(settings, full=True), every_ms
    )
    full_cpu = list(CPU.values())[-1]
    print(f"full rollup (first run): {full_seconds:.3f} s, cpu {full_cpu:.3f} s ({full_result})")
    print(_press_line("the first run", first_presses))
    new = add_new_responses(path, size)
    incremental_seconds, incremental_result = run_rollup(settings, full=False)
    print(f"incremental after {new:,} new: {incremental_seconds:.3f} s ({incremental_result})")
    noop_seconds, noop_result = run_rollup(settings, full=False)
    print(f"second incremental (nothing new): {noop_seconds:.3f} s ({noop_result})")
    return {
        "new_responses": new,
        "floor": {"sql": FLOOR_SQL, "seconds": floor_seconds, "rows": floor_rows},
        "full_rollup": {"seconds": full_seconds, "cpu_seconds": full_cpu, "result": full_result},
        "incremental_rollup": {
            "seconds": incremental_seconds,
            "cpu_seconds": next(v for k, v in CPU.items() if k.startswith("rollup#")),
            "result": incremental_result,
        },
        "noop_rollup": {"seconds": noop_seconds, "result": noop_result},
        "presses_during_first_run": first_presses,
    }


def _ratios(figures: dict[str, Any], floor_again: float) -> None:
    """The floor's best time and CPU, and each full run's ratio to it."""
    floor_ = figures["floor"]
    floor_["seconds"] = min(floor_["seconds"], floor_again)
    floor_["cpu_seconds"] = min(v for k, v in CPU.items() if k.startswith("floor"))
    for key in ("full_rollup", "full_rebuild_after_incremental"):
        run = figures[key]
        run["ratio"] = run["seconds"] / floor_["seconds"]
        run["cpu_ratio"] = run["cpu_seconds"] / floor_["cpu_seconds"]
    full, rebuild = figures["full_rollup"], figures["full_rebuild_after_incremental"]
    print(
        f"floor {floor_['seconds']:.3f} s (cpu {floor_['cpu_seconds']:.3f} s); ratios: first run"
        f" {full['ratio']:.2f}x (cpu {full['cpu_ratio']:.2f}x), rebuild"
        f" {rebuild['ratio']:.2f}x (cpu {rebuild['cpu_ratio']:.2f}x)"
    )


def main(argv: list[str]) -> int:
    quick, size, every_ms, keep = _options(argv)
    scratch = Path(tempfile.mkdtemp(prefix="ulasan-bench-rollup-"))
    try:
        base, generated = _base_database(keep or scratch, size)
        path = scratch / "work.db"
        shutil.copyfile(base, path)
        # A database kept with --data may be of an older schema: brought up to date
        # (not timed; a fresh one is already).
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        settings = bench_settings(path, scratch)
        figures = _first_run(path, settings, size, every_ms)
        figures["report_ikm"] = _reports(path, scratch, size)
        pressing, quiet = _rebuild_while_pressing(path, settings, every_ms)
        figures["full_rebuild_while_pressing"] = pressing
        figures["full_rebuild_after_incremental"] = quiet
        _ratios(figures, min(floor(path)[0] for _ in range(2)))
        size_bytes, responses = database_size(path)
        per_response = size_bytes / responses
        print(f"database: {size_bytes / 1e6:.1f} MB, {per_response:.0f} bytes per response")
        goals = _goals(figures)
        result = {
            "benchmark": "rollup",
            "quick": quick,
            "machine": machine(),
            "sizes": {
                "responses": size.responses,
                "new_responses": figures.pop("new_responses"),
                "services": UNITS * SERVICES_PER_UNIT,
                "units": UNITS,
                "officers": UNITS * OFFICERS_PER_UNIT,
                "review_assignments": generated.get("assignments"),
            },
            "generation_seconds": generated["seconds"],
            **figures,
            "marks_at_submit": _schema_has_marks(path),
            "cpu_seconds": CPU,
            "database": {"bytes": size_bytes, "responses": responses, "per_response": per_response},
            "goals": goals,
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "rollup.json").write_text(json.dumps(result, indent=2) + "\n")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
