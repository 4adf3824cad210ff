"""Calibration situations as data files per instrument version: choosing and checking them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.scoring.calibration_vignettes import (
    CalibrationSetError,
    set_for,
    set_from_json,
    text_in,
)
from scheduler.scoring.shipped_instruments import BERAKHLAK_3, BERAKHLAK_5


def situation(value: str = "B1", reference: int = 2) -> dict:
    return {
        "value": value,
        "situation": {"id": "Situasi.", "en": "Situation."},
        "reference": reference,
        "why": {"id": "Alasan."},
    }


def write(folder: Path, name: str, data: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_the_shipped_set_is_example_content_with_both_languages():
    shipped = set_for(BERAKHLAK_3, 1, None)
    assert shipped is not None and shipped.example and len(shipped.vignettes) == 3
    assert [v.item_code for v in shipped.vignettes] == ["B1", "B4", "B3"]
    assert [v.reference for v in shipped.vignettes] == [2, 1, 3]
    first = shipped.vignettes[0]
    assert text_in(first.situation, "en").startswith("All period, Rina")
    assert text_in(first.situation, "id").startswith("Sepanjang periode, Rina")


def test_a_set_applies_from_its_version_on_and_the_home_file_wins(tmp_path: Path):
    write(tmp_path, "berakhlak3-v3.json", {"situations": [situation("B2", 1)]})
    assert set_for(BERAKHLAK_3, 2, tmp_path).example  # still the shipped v1
    for version in (3, 9):
        own = set_for(BERAKHLAK_3, version, tmp_path)
        assert own is not None and not own.example and own.vignettes[0].item_code == "B2"
    assert set_for(BERAKHLAK_5, 1, tmp_path) is None  # no file: no calibration
    write(tmp_path, "berakhlak3-v1.json", {"example": False, "situations": [situation()]})
    replaced = set_for(BERAKHLAK_3, 1, tmp_path)
    assert replaced is not None and replaced.origin == str(tmp_path / "berakhlak3-v1.json")
    assert text_in(replaced.vignettes[0].why, "en") == "Alasan."  # no English: Indonesian
    write(tmp_path, "berakhlak5-v1.json", {"situations": [situation(reference=5)]})
    assert set_for(BERAKHLAK_5, 1, tmp_path).vignettes[0].reference == 5


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("berakhlak3-v1.json", "{", "not valid JSON"),
        ("berakhlak3-v1.json", {"situations": []}, "a list of 1 to 10"),
        ("berakhlak3-v1.json", {"situations": [situation()], "extra": 1}, "unknown key 'extra'"),
        ("berakhlak3-v1.json", {"situations": [situation("B9")]}, "'B9' is not a core value"),
        ("berakhlak3-v1.json", {"situations": [situation(reference=4)]}, "4 is not a level"),
        ("berakhlak3-v1.json", {"situations": [{**situation(), "why": {"en": "x"}}]}, "'id' is"),
        ("berakhlak3-v1.json", {"example": "ya", "situations": [situation()]}, "true or false"),
        ("skm-v1.json", {"situations": [situation()]}, "no instrument 'skm'"),
        ("berakhlak3.json", {"situations": [situation()]}, "<instrument>-v<N>.json"),
    ],
)
def test_a_broken_file_is_one_line_naming_it(name: str, text: object, problem: str):
    raw = text if isinstance(text, str) else json.dumps(text)
    with pytest.raises(CalibrationSetError) as caught:
        set_from_json(raw, name, f"/home/x/calibration/{name}")
    message = str(caught.value)
    assert message.startswith(f"/home/x/calibration/{name}: ") and problem in message
    assert "\n" not in message


def test_a_broken_chosen_file_is_refused_not_replaced_by_the_example(tmp_path: Path):
    write(tmp_path, "berakhlak3-v1.json", "{")
    with pytest.raises(CalibrationSetError, match=r"berakhlak3-v1\.json: not valid JSON"):
        set_for(BERAKHLAK_3, 1, tmp_path)
