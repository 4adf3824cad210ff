"""Suggested follow-up activities per SKM unsur, as data (texts are catalog message ids).

``/rtl`` offers these beside typing one's own activity. They are common
remedies seen in units' RTL tables (publish the requirements, simplify the
flow, a service-time standard, a complaint channel …), not rules of the
regulation: an office may change the list here and in the catalogs. At most
`PER_UNSUR` per unsur, each short enough for a button.
"""

from __future__ import annotations

from bot.core.i18n import N_

PER_UNSUR = 3

SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "U1": (
        N_("Publish the requirements at the counter and online"),
        N_("Review and cut requirements that are not needed"),
        N_("A checklist of requirements for applicants"),
    ),
    "U2": (
        N_("Simplify the service flow and post it at the counter"),
        N_("An information desk to guide applicants"),
        N_("Online registration and queue"),
    ),
    "U3": (
        N_("Publish and monitor a service-time standard"),
        N_("Add counter staff at peak hours"),
        N_("Weekly check of applications past their time"),
    ),
    "U4": (
        N_("Post the tariff (or “free”) at every counter"),
        N_("Remind staff that no fee may be asked"),
        N_("A channel to report illegal levies"),
    ),
    "U5": (
        N_("Check each product against the service standard"),
        N_("Tell applicants what they will receive"),
        N_("Correct product errors on the same day"),
    ),
    "U6": (
        N_("Technical training for front-office staff"),
        N_("A guide of frequent cases for staff"),
        N_("Coaching by senior staff"),
    ),
    "U7": (
        N_("Service-excellence training for staff"),
        N_("A code of conduct at the counter"),
        N_("Monthly review of citizens' comments with staff"),
    ),
    "U8": (
        N_("Publish the complaint channels and answer times"),
        N_("Answer every complaint within three working days"),
        N_("Monthly report of complaints and their handling"),
    ),
    "U9": (
        N_("Repair and maintain the waiting room"),
        N_("Add seats, shade and drinking water"),
        N_("Facilities for elderly and disabled visitors"),
    ),
}
