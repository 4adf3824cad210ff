"""Quiet hours: when a kind of message may reach people.

Reminders, nudges and digests go out on working days in working hours
(WORK_DAYS, WORK_HOURS); alerts every day within ALERT_HOURS. A message
queued outside its window gets ``not_before`` = the window's next opening, so
the outbox holds it until then. All in TIMEZONE.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.settings import Settings, parse_hours, parse_weekdays
from scheduler.jobs.specs import Window


def next_allowed(now: datetime, window: Window, settings: Settings) -> datetime:
    """The first moment at or after ``now`` (aware) inside ``window``, in UTC."""
    if window is None:
        return now.astimezone(UTC)
    if window == "work":
        days = parse_weekdays(settings.work_days)
        start, end = parse_hours(settings.work_hours)
    else:
        days = frozenset(range(1, 8))
        start, end = parse_hours(settings.alert_hours)
    local = now.astimezone(settings.tz)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if day.isoweekday() not in days:
            continue
        opens = datetime.combine(day, start, tzinfo=settings.tz)
        closes = datetime.combine(day, end, tzinfo=settings.tz)
        if local < opens:
            return opens.astimezone(UTC)
        if local < closes:
            return local.astimezone(UTC)
    raise ValueError("no allowed day in the window")  # parse_weekdays never gives an empty set


def is_allowed(now: datetime, window: Window, settings: Settings) -> bool:
    return next_allowed(now, window, settings) <= now.astimezone(UTC)
