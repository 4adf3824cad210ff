"""When a job is due: crontab expressions in TIMEZONE, read the way crontab reads them.

Pure time arithmetic over APScheduler's `CronTrigger` (the runner decides what
to run with it; ``ulasan job list`` and ``/status`` show the next slot).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger

from bot.core.settings import Settings
from scheduler.jobs.specs import JobSpec

_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DOW_NUMBERS = {name: number for number, name in enumerate(_DOW_NAMES)}


def _dow_value(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token[:3] in _DOW_NUMBERS:
        return _DOW_NUMBERS[token[:3]]
    raise ValueError(f"'{token}' is not a day of the week")


def _crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler day names.

    APScheduler 3 reads numbers in this field with 0 = Monday (a known mismatch
    it keeps for compatibility), so ``0 8 * * 1`` would run on Tuesdays. The
    field is expanded here into explicit names, which both agree on.
    """
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"'{part}': the step must be at least 1")
        if span in ("*", "?"):
            first, last = 0, 6
        elif "-" in span:
            low, _, high = span.partition("-")
            first, last = _dow_value(low), _dow_value(high)
        else:
            first = _dow_value(span)
            last = 7 if step_text else first
        if last < first:
            raise ValueError(f"'{part}': the range runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DOW_NAMES[day] for day in sorted(days))


def crontab_trigger(expression: str, tz: tzinfo) -> CronTrigger:
    """APScheduler's trigger for a crontab expression, with crontab's weekday numbers."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(f"'{expression}' needs 5 fields (minute hour day month weekday)")
    minute, hour, day, month, weekday = parts
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_crontab_weekdays(weekday),
        timezone=tz,
    )


def next_run(spec: JobSpec, settings: Settings, after: datetime) -> datetime:
    """The first slot of the job's schedule strictly after ``after`` (aware), in UTC."""
    trigger = crontab_trigger(spec.schedule(settings), settings.tz)
    # get_next_fire_time returns a slot at or after its start: start one
    # microsecond later, or a job started exactly on its slot would be due again.
    found = trigger.get_next_fire_time(
        None, after.astimezone(settings.tz) + timedelta(microseconds=1)
    )
    if found is None:  # e.g. "0 0 30 2 *": a date that never comes
        raise ValueError(f"the schedule '{spec.schedule(settings)}' never fires")
    return found.astimezone(UTC)


def is_due(spec: JobSpec, settings: Settings, last_started: datetime | None, now: datetime) -> bool:
    """Due when the first slot after the last start has come (never: not registered yet)."""
    if last_started is None:
        return False
    return next_run(spec, settings, last_started) <= now
