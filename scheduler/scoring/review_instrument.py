"""The 360° review instrument as data: scale, items, questions and thresholds.

An `Instrument` is everything the rating conversation asks and everything the
score math needs to interpret the answers, so a new scale (the 1–5 peer scale)
works by configuration alone:

- ``scale``: the answer levels, worst → best, each an integer value with a label
  message id, plus the "cannot assess" option (``Tidak dapat menilai``), which
  is stored as ``None`` and never counts as a score.
- ``items``: the behaviours rated; in the shipped files the seven BerAKHLAK core values
  B1…B7 (SE MenPANRB 20/2021), each with its three behaviour indicators.
- ``questions``: the question about a colleague ("How does this colleague…"),
  the same in the first person for the self-assessment ("How do I…"), and the
  hasil kerja question the direct supervisor answers at the end.
- ``bands``: where the recommended perilaku rating changes on this scale. A
  mean *m* (rounded half-up to two decimals, the figure reports print) gives
  di bawah ekspektasi when m < ``sesuai_from``, sesuai ekspektasi when
  ``sesuai_from`` ≤ m < ``di_atas_from``, di atas ekspektasi when
  m ≥ ``di_atas_from``. Defaults (kinerja.md): 1.67 / 2.34 on the 3-level
  scale, 2.6 / 3.8 on the 1–5 scale; any other scale must state its bands.
- ``gap_threshold``: how far the self mean must lie above the others' mean to
  flag a blind spot (or below it for a hidden strength): the gap, rounded
  half-up to two decimals, must reach it. Default: a quarter of the scale's
  range (`default_gap_threshold`), i.e. 0.5 on the 3-level scale and 1.0 on 1–5.

Hasil kerja is always rated on the regulation's three expectation levels
(`EXPECTATION_SCALE`, no "cannot assess"): the predikat matrix needs exactly
those, whatever scale the behaviour items use.

Every text is an English message id (`N_` here, plain in the files); the Indonesian wording
(the regulation's own for values and indicators) is in the ``review``
catalog, ``bot/locales/id/LC_MESSAGES/review.po``. Translate with ``gettext_for(lang)(text)``.
A configured instrument may use ids that are not in any catalog: gettext then
shows the text as written, so a deployment can write Indonesian directly.

The instruments themselves are data files, not code: the shipped ones
(``berakhlak3``, ``berakhlak5``) are ``scheduler/scoring/instruments/<code>.json``,
loaded by `scheduler.scoring.shipped_instruments` (``get_instrument``,
``DEFAULT_INSTRUMENT``) through the JSON loader
`scheduler.scoring.review_instrument_config`, which also reads a deployment's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import cached_property

from bot.core.i18n import N_


class InstrumentError(ValueError):
    """An instrument definition is invalid; the message names the field."""


class Relation(StrEnum):
    """How the rater stands to the ratee (same strings as ``storage.review_models``)."""

    SELF = "self"
    SUPERVISOR = "supervisor"  # the rater is the ratee's direct supervisor
    PEER = "peer"
    SUBORDINATE = "subordinate"  # the rater is a direct subordinate of the ratee


class Expectation(IntEnum):
    """The regulation's three levels for perilaku kerja and hasil kerja."""

    DI_BAWAH = 1
    SESUAI = 2
    DI_ATAS = 3

    @property
    def code(self) -> str:
        return _EXPECTATION_CODES[self]

    @property
    def label(self) -> str:
        """English message id (translate for display)."""
        return _EXPECTATION_LABELS[self]

    @property
    def label_id(self) -> str:
        """The regulation's Indonesian wording, for documents that are always Indonesian."""
        return _EXPECTATION_LABELS_ID[self]


_EXPECTATION_CODES = {
    Expectation.DI_BAWAH: "di_bawah",
    Expectation.SESUAI: "sesuai",
    Expectation.DI_ATAS: "di_atas",
}
_EXPECTATION_LABELS = {
    Expectation.DI_BAWAH: N_("Below expectations"),
    Expectation.SESUAI: N_("Meets expectations"),
    Expectation.DI_ATAS: N_("Above expectations"),
}
_EXPECTATION_LABELS_ID = {
    Expectation.DI_BAWAH: "Di bawah ekspektasi",
    Expectation.SESUAI: "Sesuai ekspektasi",
    Expectation.DI_ATAS: "Di atas ekspektasi",
}

CANNOT_ASSESS = N_("Cannot assess")

# Item codes travel in callback data and in ReviewAssignment.step (16 chars),
# next to these step names, so they must be short, plain and distinct from them.
_ITEM_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
RESERVED_STEPS = frozenset({"hasil", "keep", "improve", "confirm"})


@dataclass(frozen=True)
class Level:
    """One answer level; ``meaning`` and ``example`` (message ids, may be empty) are what
    `/kriteria` shows a rater, so the guidance lives with the scale it explains."""

    value: int
    label: str  # message id
    meaning: str = ""
    example: str = ""


@dataclass(frozen=True)
class Scale:
    """Answer levels from worst to best, and the optional "cannot assess" option."""

    levels: tuple[Level, ...]
    cannot_assess: str | None = CANNOT_ASSESS  # message id; None: not offered

    def __post_init__(self) -> None:
        if len(self.levels) < 2:
            raise InstrumentError("scale.levels: at least two levels are needed")
        for level in self.levels:
            if not isinstance(level.value, int) or isinstance(level.value, bool):
                raise InstrumentError(f"scale.levels: value {level.value!r} is not a whole number")
            if not isinstance(level.label, str) or not level.label.strip():
                raise InstrumentError(f"scale.levels: value {level.value} has no label")
        for before, after in zip(self.levels, self.levels[1:], strict=False):
            if after.value <= before.value:
                raise InstrumentError(
                    "scale.levels: values must be strictly increasing from worst to best "
                    f"({after.value} after {before.value})"
                )

    @cached_property
    def values(self) -> tuple[int, ...]:
        # Cached (the instance is frozen): every answer of a cycle is checked
        # against it when the cycle's results are computed.
        return tuple(level.value for level in self.levels)

    @property
    def lowest(self) -> int:
        return self.levels[0].value

    @property
    def highest(self) -> int:
        return self.levels[-1].value

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def label(self, value: int) -> str:
        for level in self.levels:
            if level.value == value:
                return level.label
        raise KeyError(value)


@dataclass(frozen=True)
class Item:
    """One rated behaviour: a core value with its indicators (all message ids)."""

    code: str
    name: str
    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bands:
    """Inclusive lower bounds of "sesuai" and "di atas" for the recommendation."""

    sesuai_from: float
    di_atas_from: float


@dataclass(frozen=True)
class Questions:
    about_colleague: str  # asked about someone else ("How does this colleague…")
    about_self: str  # the same question in the first person ("How do I…")
    hasil_kerja: str  # the supervisor's closing work-results question


@dataclass(frozen=True)
class Instrument:
    code: str
    scale: Scale
    items: tuple[Item, ...]
    bands: Bands
    questions: Questions
    gap_threshold: float  # see default_gap_threshold()

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code.strip():
            raise InstrumentError("code: the instrument needs a code")
        if self.scale.cannot_assess is None:
            raise InstrumentError("scale.cannot_assess: the instrument must offer it")
        if not self.items:
            raise InstrumentError("items: at least one item is needed")
        seen: set[str] = set()
        for item in self.items:
            if not isinstance(item.code, str) or not _ITEM_CODE.match(item.code):
                raise InstrumentError(
                    f"items: code {item.code!r} must be 1–16 letters, digits, '-' or '_'"
                )
            if item.code in RESERVED_STEPS:
                raise InstrumentError(f"items: code {item.code!r} is reserved")
            if item.code in seen:
                raise InstrumentError(f"items: code {item.code!r} is used twice")
            seen.add(item.code)
            if not isinstance(item.name, str) or not item.name.strip():
                raise InstrumentError(f"items: {item.code} has no name")
            if any(not isinstance(text, str) or not text.strip() for text in item.indicators):
                raise InstrumentError(f"items: {item.code} has an empty indicator")
        low, high = self.scale.lowest, self.scale.highest
        b = self.bands
        for bound in (b.sesuai_from, b.di_atas_from):
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                raise InstrumentError(f"bands: {bound!r} is not a number")
        if not low < b.sesuai_from < b.di_atas_from <= high:
            raise InstrumentError(
                f"bands: need {low} < sesuai_from < di_atas_from ≤ {high} "
                f"(got {b.sesuai_from} and {b.di_atas_from})"
            )
        for name in ("about_colleague", "about_self", "hasil_kerja"):
            text = getattr(self.questions, name)
            if not isinstance(text, str) or not text.strip():
                raise InstrumentError(f"questions.{name}: empty")
        gap = self.gap_threshold
        if isinstance(gap, bool) or not isinstance(gap, int | float) or not 0 < gap <= high - low:
            raise InstrumentError(
                f"gap_threshold: must be above 0 and at most {high - low} (got {gap})"
            )

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def question_for(self, relation: Relation | str) -> str:
        """The item question for this relation: first person for self, else about a colleague."""
        if Relation(relation) is Relation.SELF:
            return self.questions.about_self
        return self.questions.about_colleague

    @property
    def hasil_kerja_scale(self) -> Scale:
        return EXPECTATION_SCALE


def default_gap_threshold(scale: Scale) -> float:
    """A quarter of the scale's range: 0.5 on 1–3, 1.0 on 1–5."""
    return (scale.highest - scale.lowest) / 4


# What each expectation level means for a behaviour, with an example (shown by /kriteria).
_EXPECTATION_GUIDE: dict[Expectation, tuple[str, str]] = {
    Expectation.DI_BAWAH: (
        N_("The behaviour is seldom seen, or falls short of what the role asks."),
        N_(
            "A citizen's question is left unanswered until they come back a second time; "
            "an agreed task needs several reminders."
        ),
    ),
    Expectation.SESUAI: (
        N_("The behaviour is shown consistently, as the role asks."),
        N_(
            "Serves citizens politely and within the service standard's time; finishes "
            "tasks as agreed."
        ),
    ),
    Expectation.DI_ATAS: (
        N_("The behaviour goes beyond what the role asks, and others benefit from it."),
        N_(
            "Notices why citizens queue twice, proposes a change to the form that ends "
            "it, and shows colleagues how to use it."
        ),
    ),
}
CANNOT_ASSESS_MEANING = N_(
    "You have not seen this behaviour often enough to judge it. It is not counted as a "
    "score, and it is better than a guess."
)

EXPECTATION_LEVELS: tuple[Level, ...] = tuple(
    Level(int(e), e.label, *_EXPECTATION_GUIDE[e]) for e in Expectation
)

# Hasil kerja: the regulation's three levels, no "cannot assess" (the supervisor must decide).
EXPECTATION_SCALE = Scale(EXPECTATION_LEVELS, cannot_assess=None)

# Recommendation bands by scale values (kinerja.md); other scales must state theirs.
DEFAULT_BANDS: dict[tuple[int, ...], Bands] = {
    (1, 2, 3): Bands(sesuai_from=1.67, di_atas_from=2.34),
    (1, 2, 3, 4, 5): Bands(sesuai_from=2.6, di_atas_from=3.8),
}
