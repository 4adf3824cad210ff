"""A case's life and deadlines, pure: statuses, what may follow what, and the targets.

Statuses (the words the units use): ``baru`` (new, nobody has responded),
``ditangani`` (someone is on it), ``selesai`` (resolved, with a one-line
resolution; final). Any open case may be resolved directly; ``selesai`` is
never left (a new complaint is a new survey, hence a new case).

**First-response target.** A case opened on local day D must get its first
response (a Balas reply to the citizen, "ditangani", or the resolution) by
the **end of the N-th working day after D** (N = ``CASE_FIRST_RESPONSE_DAYS``,
2): opened Monday 10:00 → by the end of Wednesday; Friday 15:00 → the end of
Tuesday; Saturday → the end of Tuesday. The day of opening never counts, so
a case opened late in the day is not already half gone.

**Past the target twice.** A case is *past the target* from the moment its
deadline passes without a first response; it is *past the target twice* when
another N working days pass still without one (the end of the 2N-th working
day after D: Monday → the end of the following Friday). The first time, the
owner (and the head, when the case was handed to a staff member) is reminded;
the second time the case goes to the head above (`scheduler/jobs/case_followup.py`).

Working days are the deployment's calendar (`scheduler.scoring.working_days`:
``WORK_DAYS`` minus the holidays an admin loaded, `storage.holidays.work_calendar`),
counted by its `nth_working_day_after`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from scheduler.scoring.working_days import WorkCalendar, nth_working_day_after

NEW = "baru"
HANDLING = "ditangani"
DONE = "selesai"
STATUSES = (NEW, HANDLING, DONE)
OPEN_STATUSES = (NEW, HANDLING)

# (from, to) pairs a person may ask for; resolving needs a resolution line too.
ALLOWED = {(NEW, HANDLING), (NEW, DONE), (HANDLING, DONE)}

RESOLUTION_MAX_CHARS = 300


def may_move(current: str, target: str) -> bool:
    return (current, target) in ALLOWED


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The UTC instant the local day ends (the next day's 00:00)."""
    after = day + timedelta(days=1)
    return datetime(after.year, after.month, after.day, tzinfo=tz).astimezone(UTC)


def targets(
    opened: datetime, tz: tzinfo, days: int, calendar: WorkCalendar
) -> tuple[date, datetime, datetime]:
    """(the last day of the target, the instant it passes, the instant it passes twice)."""
    opened_day = opened.astimezone(tz).date()
    last_day = nth_working_day_after(opened_day, days, calendar)
    twice_day = nth_working_day_after(opened_day, 2 * days, calendar)
    return last_day, end_of_day(last_day, tz), end_of_day(twice_day, tz)


def one_line(text: str) -> str:
    """A resolution as one line: whitespace (new lines too) folded to single spaces."""
    return " ".join(text.split())
