"""Rater calibration: short situations (vignettes) with a reference answer, as data.

Before their first review in a cycle a rater reads three situations, picks a
level for each on the instrument's scale, then sees the reference answer and
why (``handlers/calibration.py``). Each `Vignette` names the core value it is
about, the situation, the reference level and the reason, all as message ids
translated through the catalogs.

THE SHIPPED SET IS EXAMPLE CONTENT, written for this product to show the
common rating errors (a single good deed taken for "above", closeness to the
person, the last week instead of the period). BKPSDM should replace it with
situations from its own agencies. Sets are keyed by instrument code and
instrument version in `VIGNETTES`; a cycle on version v uses the set of the
highest version ≤ v (so a set written for version 3 applies from version 3
on, and version 2 keeps the one before). An instrument without a set offers
no calibration. `check_set` refuses a set whose values or levels the
instrument does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.core.i18n import N_
from scheduler.scoring.review_instrument import Expectation, Instrument, InstrumentError

EXAMPLE_LABEL = N_("Example situations written for this application; BKPSDM may replace them.")


@dataclass(frozen=True)
class Vignette:
    item_code: str
    situation: str  # message id
    reference: int  # a level of the instrument's scale
    why: str  # message id


BERAKHLAK3_EXAMPLES: tuple[Vignette, ...] = (
    Vignette(
        "B1",
        N_(
            "All period, Rina served ID-card applicants politely and within the standard "
            "time. One day the system failed; on a colleague's advice she explained the "
            "delay to the queue and took phone numbers to call people back. It was the "
            "first time she did so."
        ),
        int(Expectation.SESUAI),
        N_(
            "Meets expectations. She did what the role asks, consistently; one good step "
            'taken on advice does not yet go beyond it. "Above" needs behaviour beyond the '
            "role that others benefit from, seen more than once."
        ),
    ),
    Vignette(
        "B4",
        N_(
            "Andi is a close friend of yours and always helps you. But two new colleagues "
            "say he never answers their questions, and team meetings are often tense "
            "because of him."
        ),
        int(Expectation.DI_BAWAH),
        N_(
            "Below expectations. Closeness is not evidence: the indicators ask to respect "
            "everyone and build a conducive workplace, and what is seen repeatedly falls "
            "short of that. Rate what the role asks, not how he treats you."
        ),
    ),
    Vignette(
        "B3",
        N_(
            "All semester Dewi delivered her reports on time and taught two colleagues the "
            "new application until they could use it alone. Last week she made one input "
            "error, which she corrected the same day."
        ),
        int(Expectation.DI_ATAS),
        N_(
            "Above expectations. Rate the whole period, not the last week: helping others "
            "learn is an indicator of this value and goes beyond her own tasks; one "
            "corrected error does not change that."
        ),
    ),
)

# (instrument code, from version) → its vignettes (example content; see the docstring).
VIGNETTES: Mapping[tuple[str, int], tuple[Vignette, ...]] = MappingProxyType(
    {("berakhlak3", 1): BERAKHLAK3_EXAMPLES}
)


def check_set(instrument: Instrument, vignettes: tuple[Vignette, ...]) -> None:
    for number, vignette in enumerate(vignettes, start=1):
        if vignette.item_code not in instrument.item_codes:
            raise InstrumentError(f"vignette {number}: unknown item {vignette.item_code!r}")
        if vignette.reference not in instrument.scale:
            raise InstrumentError(f"vignette {number}: {vignette.reference} is not on the scale")


def vignettes_for(
    instrument: Instrument,
    version: int = 1,
    sets: Mapping[tuple[str, int], tuple[Vignette, ...]] = VIGNETTES,
) -> tuple[Vignette, ...]:
    """The calibration set for this instrument version (empty: no calibration offered)."""
    versions = [v for code, v in sets if code == instrument.code and v <= version]
    found = sets[instrument.code, max(versions)] if versions else ()
    check_set(instrument, found)
    return found


def agreed(vignettes: tuple[Vignette, ...], answers: tuple[int, ...]) -> int:
    """How many answers match the reference (for the rater's own summary only)."""
    return sum(1 for v, a in zip(vignettes, answers, strict=False) if v.reference == a)
