"""The shipped instruments are data files (scheduler/scoring/instruments/*.json), and
loading them gives exactly the instruments that were Python constants until issue 21c.

FROZEN_3 and FROZEN_5 below are a frozen copy of those constants' definitions (the
texts verbatim, without the N_ markers). Do not edit them to make a file change pass:
a changed instrument is a new instrument version (see README, "Instruments").
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import pytest

from bot.core.i18n_check import extracted
from scheduler.scoring.review_instrument import (
    EXPECTATION_SCALE,
    Bands,
    Expectation,
    Instrument,
    Item,
    Level,
    Questions,
    Scale,
)
from scheduler.scoring.review_instrument_config import instrument_from_dict, instrument_to_dict
from scheduler.scoring.shipped_instruments import (
    BERAKHLAK_3,
    BERAKHLAK_5,
    DEFAULT_INSTRUMENT,
    INSTRUMENTS,
    get_instrument,
)

# What each expectation level means for a behaviour, with an example (shown by /kriteria).
_EXPECTATION_GUIDE: dict[Expectation, tuple[str, str]] = {
    Expectation.DI_BAWAH: (
        ("The behaviour is seldom seen, or falls short of what the role asks."),
        (
            "A citizen's question is left unanswered until they come back a second time; "
            "an agreed task needs several reminders."
        ),
    ),
    Expectation.SESUAI: (
        ("The behaviour is shown consistently, as the role asks."),
        (
            "Serves citizens politely and within the service standard's time; finishes "
            "tasks as agreed."
        ),
    ),
    Expectation.DI_ATAS: (
        ("The behaviour goes beyond what the role asks, and others benefit from it."),
        (
            "Notices why citizens queue twice, proposes a change to the form that ends "
            "it, and shows colleagues how to use it."
        ),
    ),
}
_LABELS = ("Below expectations", "Meets expectations", "Above expectations")
EXPECTATION_LEVELS: tuple[Level, ...] = tuple(
    Level(int(e), label, *_EXPECTATION_GUIDE[e])
    for e, label in zip(Expectation, _LABELS, strict=True)
)

FIVE_LEVELS: tuple[Level, ...] = (
    Level(
        1,
        ("Far below expectations"),
        ("The behaviour is almost never seen; others have to make up for it."),
        ("Colleagues regularly finish this person's tasks so that citizens are not sent away."),
    ),
    Level(2, ("Below expectations"), *_EXPECTATION_GUIDE[Expectation.DI_BAWAH]),
    Level(3, ("Meets expectations"), *_EXPECTATION_GUIDE[Expectation.SESUAI]),
    Level(4, ("Above expectations"), *_EXPECTATION_GUIDE[Expectation.DI_ATAS]),
    Level(
        5,
        ("Far above expectations"),
        ("The behaviour sets the standard for the unit; others learn it from this person."),
        (
            "An improvement this person started is adopted by the whole unit, and they "
            "coach colleagues until it works."
        ),
    ),
)

# Recommendation bands by scale values (kinerja.md); other scales must state theirs.
DEFAULT_BANDS: dict[tuple[int, ...], Bands] = {
    (1, 2, 3): Bands(sesuai_from=1.67, di_atas_from=2.34),
    (1, 2, 3, 4, 5): Bands(sesuai_from=2.6, di_atas_from=3.8),
}

DEFAULT_QUESTIONS = Questions(
    about_colleague=("How does this colleague show this core value in their work?"),
    about_self=("How do I show this core value in my work?"),
    hasil_kerja=(
        "Finally, the work results (hasil kerja): how do you rate this employee's "
        "work results for the period against the agreed targets?"
    ),
)

BERAKHLAK_ITEMS: tuple[Item, ...] = (
    Item(
        "B1",
        ("Service-oriented"),
        (
            ("Understands and meets the needs of the public"),
            ("Friendly, quick, solution-oriented and reliable"),
            ("Makes continuous improvements"),
        ),
    ),
    Item(
        "B2",
        ("Accountable"),
        (
            (
                "Carries out duties honestly, responsibly, carefully, with discipline "
                "and high integrity"
            ),
            ("Uses state assets and property responsibly, effectively and efficiently"),
            ("Does not abuse the authority of their position"),
        ),
    ),
    Item(
        "B3",
        ("Competent"),
        (
            ("Develops their own competence to meet ever-changing challenges"),
            ("Helps others learn"),
            ("Carries out tasks to the best quality"),
        ),
    ),
    Item(
        "B4",
        ("Harmonious"),
        (
            ("Respects everyone, whatever their background"),
            ("Likes to help others"),
            ("Builds a conducive working environment"),
        ),
    ),
    Item(
        "B5",
        ("Loyal"),
        (
            (
                "Holds firmly to the Pancasila ideology and the 1945 Constitution, and is "
                "loyal to the Unitary State of the Republic of Indonesia and its lawful "
                "government"
            ),
            ("Protects the good name of fellow civil servants, leaders, the agency and the state"),
            ("Keeps official and state secrets"),
        ),
    ),
    Item(
        "B6",
        ("Adaptive"),
        (
            ("Adapts quickly to change"),
            ("Keeps innovating and developing creativity"),
            ("Acts proactively"),
        ),
    ),
    Item(
        "B7",
        ("Collaborative"),
        (
            ("Gives various parties the opportunity to contribute"),
            ("Is open to working together to create added value"),
            ("Mobilises the use of various resources for common goals"),
        ),
    ),
)

FROZEN_3 = Instrument(
    code="berakhlak3",
    scale=Scale(EXPECTATION_LEVELS, cannot_assess="Cannot assess"),
    items=BERAKHLAK_ITEMS,
    bands=DEFAULT_BANDS[(1, 2, 3)],
    questions=DEFAULT_QUESTIONS,
    gap_threshold=0.5,
)

FROZEN_5 = Instrument(
    code="berakhlak5",
    scale=Scale(FIVE_LEVELS, cannot_assess="Cannot assess"),
    items=BERAKHLAK_ITEMS,
    bands=DEFAULT_BANDS[(1, 2, 3, 4, 5)],
    questions=DEFAULT_QUESTIONS,
    gap_threshold=1.0,
)


FROZEN = {"berakhlak3": FROZEN_3, "berakhlak5": FROZEN_5}


@pytest.mark.parametrize("code", sorted(FROZEN))
def test_loaded_instrument_equals_the_former_constant_field_by_field(code):
    loaded, frozen = get_instrument(code), FROZEN[code]
    for field in dataclasses.fields(Instrument):
        assert getattr(loaded, field.name) == getattr(frozen, field.name), field.name
    assert loaded.scale.levels == frozen.scale.levels  # value, label, meaning, example
    assert loaded.scale.cannot_assess == frozen.scale.cannot_assess
    for got, want in zip(loaded.items, frozen.items, strict=True):
        assert (got.code, got.name, got.indicators) == (want.code, want.name, want.indicators)
    assert loaded == frozen
    assert instrument_to_dict(loaded) == instrument_to_dict(frozen)


def test_shipped_files_are_explicit_and_named_after_their_code():
    folder = resources.files("scheduler.scoring").joinpath("instruments")
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))
    assert names == ["berakhlak3.json", "berakhlak5.json"]
    for name in names:
        data = json.loads(folder.joinpath(name).read_text("utf-8"))
        assert data["code"] == name.removesuffix(".json")
        # every field is written out: no default of the loader decides a shipped instrument
        assert set(data) == {"code", "scale", "bands", "gap_threshold", "questions", "items"}
        assert instrument_from_dict(data) == FROZEN[data["code"]]


def test_names_callers_use_are_the_loaded_objects():
    assert BERAKHLAK_3 is get_instrument("berakhlak3") is DEFAULT_INSTRUMENT
    assert BERAKHLAK_5 is get_instrument("berakhlak5")
    assert INSTRUMENTS == {"berakhlak3": BERAKHLAK_3, "berakhlak5": BERAKHLAK_5}
    assert BERAKHLAK_5.hasil_kerja_scale is EXPECTATION_SCALE


def test_the_texts_of_the_files_are_checked_for_translations():
    """Item names, indicators and level texts live only in the files now; the i18n check
    (tests/test_i18n.py) must still see them as message ids."""
    messages = extracted()
    for instrument in (FROZEN_3, FROZEN_5):
        texts = [instrument.questions.about_self, instrument.scale.levels[0].example]
        texts += [text for item in instrument.items for text in (item.name, *item.indicators)]
        for text in texts:
            assert text in messages, text
    assert messages["Far above expectations"][0] == "scheduler/scoring/instruments/berakhlak5.json"
