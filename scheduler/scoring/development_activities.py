"""The catalogue of development activities a plan's focus value may use, as data.

The forms of competence development an ASN plan names (PP 17/2020 on civil
servant management, Pasal 203; PermenPANRB 6/2022's pembinaan stage names
coaching, counselling and mentoring): classroom training, e-learning, coaching,
mentoring, an internship at another unit, a special assignment and self-study.
A code is short and plain because it travels in callback data and is what the
BKPSDM development report counts; the label is an English message id whose
Indonesian wording is in the ``development`` catalog.

Add an activity by adding a row: the conversation, the checks and the report
take it from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.i18n import N_

_CODE = re.compile(r"^[a-z_]{2,12}$")


@dataclass(frozen=True)
class Activity:
    code: str
    label: str  # message id


ACTIVITIES: tuple[Activity, ...] = (
    Activity("klasikal", N_("Classroom training")),
    Activity("elearning", N_("E-learning")),
    Activity("coaching", N_("Coaching")),
    Activity("mentoring", N_("Mentoring")),
    Activity("magang", N_("Internship at another unit")),
    Activity("penugasan", N_("Special assignment")),
    Activity("mandiri", N_("Self-study")),
)

BY_CODE: dict[str, Activity] = {a.code: a for a in ACTIVITIES}

assert all(_CODE.match(a.code) for a in ACTIVITIES), "activity codes: 2-12 of a-z and _"
assert len(BY_CODE) == len(ACTIVITIES), "activity codes must be distinct"


def activity(code: str) -> Activity | None:
    """The catalogue's activity with this code, or None (callback data is user input)."""
    return BY_CODE.get(code)
