"""Does a unit's recommended predikat mix keep the distribution an admin recorded?

SE MenPANRB 03/2023 ties the distribution of predikat kinerja in an
organisation to the organisation's own achievement. The limits are data an
admin records (`storage.development_models.PredikatMixLimit`): a minimum and/or
a maximum share in whole percent per predikat; this module invents none.

`breaches` compares exactly (integers: ``count × 100`` against ``percent ×
total``), so 1 of 5 (20 %) keeps a 20 % maximum. Ratees without a predikat
(no hasil kerja, or a recommendation the coverage rule withheld) are not in
the mix at all. The result is a warning for the head, nothing more.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.i18n import N_
from scheduler.scoring.review_recommendation import Predikat

ABOVE = "above"
BELOW = "below"


@dataclass(frozen=True)
class Limit:
    predikat: Predikat
    min_percent: int | None
    max_percent: int | None


@dataclass(frozen=True)
class Breach:
    predikat: Predikat
    count: int
    total: int
    kind: str  # ABOVE the maximum or BELOW the minimum
    percent: int  # the limit broken


def breaches(mix: Sequence[Predikat], limits: Sequence[Limit]) -> list[Breach]:
    """Every limit the mix breaks, in the limits' order; none for an empty mix."""
    total = len(mix)
    if total == 0:
        return []
    counts = Counter(mix)
    found = []
    for limit in limits:
        count = counts.get(limit.predikat, 0)
        if limit.max_percent is not None and count * 100 > limit.max_percent * total:
            found.append(Breach(limit.predikat, count, total, ABOVE, limit.max_percent))
        if limit.min_percent is not None and count * 100 < limit.min_percent * total:
            found.append(Breach(limit.predikat, count, total, BELOW, limit.min_percent))
    return found


# -- the limits as an admin types them in one line (``/predikat``) -------------------------------

# Spellings of each predikat an admin may type (normalised: lower case, words joined by "_").
_NAMES = {
    **{p.value: p for p in Predikat},
    "kurang": Predikat.KURANG,
    "misconduct": Predikat.KURANG,
    "kurang/misconduct": Predikat.KURANG,
}
_ITEM = re.compile(
    r"^(?P<name>[^\d<>≤≥]+?)\s*"
    r"(?:(?P<op>maks|max|min|<=|>=|≤|≥)\s*(?P<n>\d+)\s*%?"
    r"|(?P<low>\d+)\s*%?\s*[-–]\s*(?P<high>\d+)\s*%?)$"
)
_MAX_OPS = ("maks", "max", "<=", "≤")


class LimitsError(ValueError):
    """A typed line that is not a list of limits; ``template`` (an English message id) and
    ``params`` say why, for the admin's language (a `Predikat` param is shown by its label)."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


def _predikat(name: str) -> Predikat:
    key = "_".join(name.strip().lower().replace("-", " ").split())
    found = _NAMES.get(key) or _NAMES.get(key.replace("_/_", "/"))
    if found is None:
        raise LimitsError(N_("“{name}” is not a predikat."), name=name.strip())
    return found


def _percent(text: str) -> int:
    value = int(text)
    if value > 100:
        raise LimitsError(N_("{value}% is not a whole percent from 0 to 100."), value=value)
    return value


def parse_limits(line: str) -> list[Limit]:
    """``sangat baik max 20; baik min 50`` or ``baik 40-80`` (also ``<=``, ``>=``, ``≤``,
    ``≥``, ``maks``; items split by ``;`` or ``,``) as limits in the predikat's order, the
    same rules as ``ulasan development mix set``; `LimitsError` otherwise."""
    bounds: dict[Predikat, dict[str, int]] = {}
    items = [item.strip() for item in re.split(r"[;,\n]", line) if item.strip()]
    if not items:
        raise LimitsError(N_("Type at least one limit."))
    for item in items:
        match = _ITEM.match(item.lower())
        if match is None:
            raise LimitsError(N_("“{item}” is not a limit."), item=item)
        predikat = _predikat(match["name"])
        if match["op"]:
            side = "max" if match["op"] in _MAX_OPS else "min"
            pairs = {side: _percent(match["n"])}
        else:
            pairs = {"min": _percent(match["low"]), "max": _percent(match["high"])}
        found = bounds.setdefault(predikat, {})
        if set(pairs) & set(found):
            raise LimitsError(N_("{predikat} is given twice."), predikat=predikat)
        found.update(pairs)
    limits = []
    for predikat in Predikat:
        if predikat not in bounds:
            continue
        low, high = bounds[predikat].get("min"), bounds[predikat].get("max")
        if low is not None and high is not None and low > high:
            raise LimitsError(
                N_("{predikat}: the minimum {low}% is above the maximum {high}%."),
                predikat=predikat,
                low=low,
                high=high,
            )
        limits.append(Limit(predikat, low, high))
    return limits
