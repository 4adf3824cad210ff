"""The review instrument is data: default BerAKHLAK, a 1–5 one by configuration, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.i18n import gettext_for
from bot.core.i18n_check import translated
from scheduler.scoring.review_instrument import (
    EXPECTATION_SCALE,
    Expectation,
    InstrumentError,
    Relation,
)
from scheduler.scoring.review_instrument_config import (
    instrument_from_dict,
    instrument_from_json,
    instrument_to_dict,
    load_instrument,
)
from scheduler.scoring.review_recommendation import recommend_perilaku
from scheduler.scoring.shipped_instruments import (
    BERAKHLAK_3,
    BERAKHLAK_5,
    DEFAULT_INSTRUMENT,
    get_instrument,
)

FIVE_POINT = {
    "code": "peer5",
    "scale": {
        "levels": [
            {"value": 1, "label": "Far below expectations"},
            {"value": 2, "label": "Below expectations"},
            {"value": 3, "label": "Meets expectations"},
            {"value": 4, "label": "Above expectations"},
            {"value": 5, "label": "Far above expectations"},
        ]
    },
}


def texts_of(instrument) -> list[str]:
    out = [level.label for level in instrument.scale.levels]
    out.append(instrument.scale.cannot_assess)
    out += [instrument.questions.about_colleague, instrument.questions.about_self]
    out.append(instrument.questions.hasil_kerja)
    for item in instrument.items:
        out += [item.name, *item.indicators]
    return out


def test_default_instrument_is_berakhlak_on_three_levels():
    inst = DEFAULT_INSTRUMENT
    assert inst is BERAKHLAK_3
    assert inst.code == "berakhlak3"  # the default of ReviewCycle.instrument
    assert inst.item_codes == ("B1", "B2", "B3", "B4", "B5", "B6", "B7")
    assert all(len(item.indicators) == 3 for item in inst.items)
    assert inst.scale.values == (1, 2, 3)
    assert [level.label for level in inst.scale.levels] == [
        "Below expectations",
        "Meets expectations",
        "Above expectations",
    ]
    assert inst.scale.cannot_assess == "Cannot assess"
    assert (inst.bands.sesuai_from, inst.bands.di_atas_from) == (1.67, 2.34)
    assert inst.gap_threshold == 0.5
    assert inst.item("B3").name == "Competent"


def test_indonesian_wording_from_the_regulation():
    ID = gettext_for("id")
    inst = BERAKHLAK_3
    assert ID(inst.item("B1").name) == "Berorientasi Pelayanan"
    assert ID(inst.item("B1").indicators[1]) == "Ramah, cekatan, solutif, dan dapat diandalkan"
    assert ID(inst.item("B7").indicators[2]) == (
        "Menggerakkan pemanfaatan berbagai sumber daya untuk tujuan bersama"
    )
    assert [ID(level.label) for level in inst.scale.levels] == [
        "Di bawah ekspektasi",
        "Sesuai ekspektasi",
        "Di atas ekspektasi",
    ]
    assert ID(inst.scale.cannot_assess) == "Tidak dapat menilai"


@pytest.mark.parametrize("instrument", [BERAKHLAK_3, BERAKHLAK_5])
def test_every_text_has_an_indonesian_translation(instrument):
    catalog = translated("id")  # "Loyal" is also Indonesian: check presence, not difference
    missing = [text for text in texts_of(instrument) if text not in catalog]
    assert missing == []


def test_questions_for_self_are_first_person():
    assert BERAKHLAK_3.question_for(Relation.SELF).startswith("How do I")
    for relation in ("supervisor", "peer", "subordinate"):
        assert BERAKHLAK_3.question_for(relation).startswith("How does this colleague")


def test_hasil_kerja_is_always_on_the_three_expectation_levels():
    assert BERAKHLAK_5.hasil_kerja_scale is EXPECTATION_SCALE
    assert EXPECTATION_SCALE.values == (1, 2, 3)
    assert EXPECTATION_SCALE.cannot_assess is None  # the supervisor must decide
    assert [EXPECTATION_SCALE.label(int(e)) for e in Expectation] == [e.label for e in Expectation]


def test_builtin_lookup():
    assert get_instrument("berakhlak5") is BERAKHLAK_5
    with pytest.raises(InstrumentError, match="unknown instrument 'nope'"):
        get_instrument("nope")


def test_five_point_instrument_from_configuration_alone():
    inst = instrument_from_dict(FIVE_POINT)
    assert inst.scale.values == (1, 2, 3, 4, 5)
    assert inst.item_codes == BERAKHLAK_3.item_codes  # items left out: the core values
    assert (inst.bands.sesuai_from, inst.bands.di_atas_from) == (2.6, 3.8)
    assert inst.gap_threshold == 1.0
    assert inst.scale.cannot_assess == "Cannot assess"
    cases = {
        1.0: Expectation.DI_BAWAH,
        2.59: Expectation.DI_BAWAH,
        2.594: Expectation.DI_BAWAH,
        2.595: Expectation.SESUAI,  # printed as 2.60
        2.6: Expectation.SESUAI,
        3.79: Expectation.SESUAI,
        3.8: Expectation.DI_ATAS,
        5.0: Expectation.DI_ATAS,
    }
    for mean, expected in cases.items():
        assert recommend_perilaku(mean, inst) is expected, mean


def test_five_point_instrument_from_a_json_file(tmp_path: Path):
    path = tmp_path / "peer5.json"
    path.write_text(json.dumps(FIVE_POINT), encoding="utf-8")
    inst = load_instrument(path)
    assert inst == instrument_from_dict(FIVE_POINT)
    assert recommend_perilaku(3.9, inst) is Expectation.DI_ATAS


def test_custom_items_questions_and_bands():
    inst = instrument_from_json(
        json.dumps(
            {
                "code": "custom",
                "scale": {
                    "levels": [
                        {"value": 0, "label": "Never"},
                        {"value": 2, "label": "Sometimes"},
                        {"value": 4, "label": "Always"},
                    ],
                    "cannot_assess": "Not seen",
                },
                "bands": {"sesuai_from": 1.5, "di_atas_from": 3},
                "gap_threshold": 0.75,
                "questions": {"about_self": "Do I?"},
                "items": [{"code": "T1", "name": "Teamwork", "indicators": ["Shares work"]}],
            }
        )
    )
    assert inst.item_codes == ("T1",)
    assert inst.questions.about_self == "Do I?"
    assert inst.questions.about_colleague == BERAKHLAK_3.questions.about_colleague
    assert inst.gap_threshold == 0.75
    assert recommend_perilaku(1.49, inst) is Expectation.DI_BAWAH
    assert recommend_perilaku(1.5, inst) is Expectation.SESUAI
    assert recommend_perilaku(3.0, inst) is Expectation.DI_ATAS


@pytest.mark.parametrize("instrument", [BERAKHLAK_3, BERAKHLAK_5])
def test_round_trip_through_plain_data(instrument):
    data = json.loads(json.dumps(instrument_to_dict(instrument)))
    assert instrument_from_dict(data) == instrument


def levels(*values):
    return [{"value": v, "label": f"L{v}"} for v in values]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scale": {"levels": levels(1, 3, 2)}}, "strictly increasing.*2 after 3"),
        ({"scale": {"levels": levels(1, 2, 2)}}, "strictly increasing"),
        ({"scale": {"levels": levels(1)}}, "at least two levels"),
        ({"scale": {"levels": [{"value": 1.5, "label": "x"}, *levels(2)]}}, "whole number"),
        ({"scale": {"levels": [{"value": 1, "label": " "}, *levels(2)]}}, "non-empty text"),
        ({"scale": {"levels": levels(0, 1, 2, 3, 4)}}, "bands: required"),
        ({"items": []}, "at least one item"),
        (
            {"items": [{"code": "B1", "name": "A"}, {"code": "B1", "name": "B"}]},
            "'B1' is used twice",
        ),
        ({"items": [{"code": "keep", "name": "A"}]}, "reserved"),
        ({"items": [{"code": "B 1", "name": "A"}]}, "letters, digits"),
        ({"items": [{"code": "B1"}]}, r"items\[0\]: 'name' is required"),
        ({"bands": {"sesuai_from": 4.0, "di_atas_from": 3.0}}, "sesuai_from < di_atas_from"),
        ({"bands": {"sesuai_from": 1.0, "di_atas_from": 3.0}}, "1 < sesuai_from"),
        ({"bands": {"sesuai_from": 2.0, "di_atas_from": 6.0}}, "di_atas_from ≤ 5"),
        ({"bands": {"sesuai_from": "2"}}, "'di_atas_from' is required"),
        ({"bands": {"sesuai_from": "2", "di_atas_from": 3}}, "sesuai_from: expected a number"),
        ({"gap_threshold": 0}, "gap_threshold: must be above 0"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"questions": {"other": "?"}}, "questions: unknown key 'other'"),
        ({"code": ""}, "code: expected a non-empty text"),
    ],
)
def test_validation_errors_name_the_problem(change, message):
    with pytest.raises(InstrumentError, match=message):
        instrument_from_dict({**FIVE_POINT, **change})


def test_missing_scale_and_bad_json():
    with pytest.raises(InstrumentError, match="'scale' is required"):
        instrument_from_dict({"code": "x"})
    with pytest.raises(InstrumentError, match="not valid JSON"):
        instrument_from_json("{nope")
    with pytest.raises(InstrumentError, match="expected an object"):
        instrument_from_json("[1, 2]")


def test_unreadable_file_names_the_path(tmp_path: Path):
    with pytest.raises(InstrumentError, match=r"missing\.json: cannot read"):
        load_instrument(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**FIVE_POINT, "items": []}), encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"bad\.json: items: at least one item"):
        load_instrument(bad)
