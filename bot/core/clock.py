"""The one clock of the service, and how its moments are shown to people.

Every "now" in the bot, the jobs, the sender and the CLI comes from one `Clock`
that the composition root builds (``bot/app.py``, ``bot/cli/``) and hands down
in the services. Tests hand in a `ManualClock` and move it: periods closing,
reminders falling due and monthly cards are tested by moving time, never by
sleeping or patching module functions.

Stored moments are aware UTC datetimes; people see them in the deployment's
time zone (``TIMEZONE``), formatted with Babel's locale data for Indonesian or
English. Calendar days (a survey's day, a cycle's deadline, a period's last
day) are local days.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta, tzinfo


def utcnow() -> datetime:
    """The system's time, aware UTC. Only for defaults where no clock is at hand
    (SQLAlchemy column defaults); everything that decides uses a `Clock`."""
    return datetime.now(UTC)


class Clock:
    """Wall time (aware UTC) for what is stored, monotonic time for pacing, and sleep."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SystemClock = Clock


class ManualClock(Clock):
    """Wall time that moves only when told to (tests of periods, reminders, cards).

    Only ``now`` is manual: pacing (``monotonic``) and waits (``sleep``) stay real,
    so a bot running in a test with this clock still keeps Telegram's limits and
    its background loops do not race time forward.
    """

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> datetime:
        self._now = _aware(moment)
        return self._now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        return self.set(self._now + (delta or timedelta()) + timedelta(**parts))


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    return moment.astimezone(UTC)


# -- local days and how moments read ------------------------------------------------------


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The calendar day of ``moment`` in the deployment's time zone."""
    return moment.astimezone(tz).date()


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC instants of a local day: [00:00, next day 00:00), daylight saving included."""
    after = day + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    end = datetime(after.year, after.month, after.day, tzinfo=tz).astimezone(UTC)
    return start, end


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def babel_locale(language: str) -> str:
    """The Babel locale of one of the bot's languages (Indonesian unless English)."""
    return "en" if language == "en" else "id"


def format_day(day: date, language: str) -> str:
    """A date as people write it: "31 Juli 2025" / "31 July 2025" (deadlines, periods)."""
    # Babel's dates only where a date is shown: the CLI's reports import this module.
    from babel.dates import format_date

    return format_date(day, "d MMMM y", locale=babel_locale(language))


def format_moment(moment: datetime, tz: tzinfo, language: str) -> str:
    """A moment in the local zone, short: "23 Nov 2026, 14.05"."""
    from babel.dates import format_datetime

    return format_datetime(moment.astimezone(tz), "d MMM y, HH.mm", locale=babel_locale(language))


def format_clock_time(moment: datetime, tz: tzinfo) -> str:
    """A moment with its zone's abbreviation: "14:05 WIB, 23-11-2026"."""
    local = moment.astimezone(tz)
    return f"{local:%H:%M} {local.tzname()}, {local:%d-%m-%Y}"


def format_operator_time(moment: datetime | None, tz: tzinfo) -> str:
    """For the CLI's tables: "2026-11-23 14:05" in the local zone, "-" for nothing."""
    if moment is None:
        return "-"
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
