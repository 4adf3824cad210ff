"""Instrument versions' examples (scheduler.scoring.instrument_examples): pure, stable, checked."""

from __future__ import annotations

import pytest

from scheduler.scoring.instrument_examples import adopt, examples_from_json, examples_to_json
from scheduler.scoring.review_instrument import InstrumentError
from scheduler.scoring.shipped_instruments import BERAKHLAK_3


def test_adopt_appends_once_in_instrument_order_and_round_trips():
    first = adopt(
        BERAKHLAK_3, {}, [(("B2", 0), "Jujur  soal   jam kerja"), (("B1", 2), "Evaluasi")]
    )
    assert list(first) == [("B1", 2), ("B2", 0)]  # instrument order, not adoption order
    assert first[("B2", 0)] == ("Jujur soal jam kerja",)
    second = adopt(BERAKHLAK_3, first, [(("B2", 0), "jujur soal jam kerja"), (("B2", 0), "Lain")])
    assert second[("B2", 0)] == ("Jujur soal jam kerja", "Lain")
    text = examples_to_json(second)
    assert examples_to_json(examples_from_json(text, BERAKHLAK_3)) == text
    assert '"1": [' in text  # indicators numbered from 1 in the file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"B9": {"1": ["x"]}}', "unknown item"),
        ('{"B1": {"4": ["x"]}}', "no indicator 4"),
        ('{"B1": {"0": ["x"]}}', "no indicator 0"),
        ('{"B1": {"1": [""]}}', "empty example"),
        ('{"B1": ["x"]}', "must be an object"),
        ("[1]", "expected an object"),
        ("{", "not valid JSON"),
    ],
)
def test_bad_versions_are_refused_naming_the_place(text: str, message: str):
    with pytest.raises(InstrumentError, match=message):
        examples_from_json(text, BERAKHLAK_3)


def test_adopting_into_an_indicator_the_regulation_lacks_is_refused():
    with pytest.raises(InstrumentError, match="no indicator"):
        adopt(BERAKHLAK_3, {}, [(("B1", 3), "x")])
