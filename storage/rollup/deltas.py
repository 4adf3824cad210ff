"""What entered (+1) and left (−1) the counted set in one incremental run, per day row.

Claimed responses and retractions are added up here in Python, so each day
row gets one upsert (``n = n + excluded.n``) however many responses touched it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from storage.rollup.sql import PROFILE_COUNTS, PROFILE_FIELDS, profile_column, profile_value

_SLOT = {column: index for index, column in enumerate(PROFILE_COUNTS)}


def _plus(target: dict[Any, list[int]], key: Any, values: Sequence[int]) -> None:
    current = target.get(key)
    if current is None:
        target[key] = list(values)
    else:
        target[key] = [a + b for a, b in zip(current, values, strict=True)]


@dataclass
class Deltas:
    """What entered (+1) and left (−1) the counted set, summed per day row."""

    service: dict[tuple[int, date], list[int]] = field(default_factory=dict)
    officer: dict[tuple[int, int, date], list[int]] = field(default_factory=dict)
    # Values outside the instrument's lists only (the known ones are service columns).
    profile: dict[tuple[int, date, str, str], list[int]] = field(default_factory=dict)
    # Keys that lost a response: they may reach 0 (delete) or below (inconsistent).
    shrinking: dict[str, set[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(set))

    def add(
        self,
        sign: int,
        service_id: int,
        employee_id: int | None,
        day: date,
        comment: int,
        scores: Sequence[int],
        profile: Sequence[str | None],
    ) -> None:
        if sign == 1:
            values = [1, comment, *scores]
        else:
            values = [-1, -comment, *(-int(s) for s in scores)]
        # The service row also counts the known profile values, one column each;
        # a value outside the instrument's lists gets a profile row of its own.
        counts = [0] * len(PROFILE_COUNTS)
        profile_keys = []
        for name, value in zip(PROFILE_FIELDS, profile, strict=True):
            column = profile_column(name, value)
            if column is not None:
                counts[_SLOT[column]] = sign
            else:
                profile_keys.append((service_id, day, name, profile_value(value)))
        service_key = (service_id, day)
        _plus(self.service, service_key, [*values, *counts])
        officer_key = None
        if employee_id is not None:
            officer_key = (employee_id, service_id, day)
            _plus(self.officer, officer_key, values)
        for key in profile_keys:
            current = self.profile.get(key)
            self.profile[key] = [sign] if current is None else [current[0] + sign]
        if sign < 0:
            self.shrinking["service"].add(service_key)
            if officer_key is not None:
                self.shrinking["officer"].add(officer_key)
            self.shrinking["profile"].update(profile_keys)
