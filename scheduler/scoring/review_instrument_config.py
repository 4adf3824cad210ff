"""A deployment's own 360° instrument, from JSON: parsing and checking it, and back.

The instrument itself (what each field means) is
`scheduler.scoring.review_instrument`.

Configuration (`instrument_from_dict`, `instrument_from_json`,
`load_instrument`) is a JSON object::

    {"code": "berakhlak5",
     "scale": {"levels": [{"value": 1, "label": "Far below expectations",
                           "meaning": "...", "example": "..."}, ...],   # both optional
               "cannot_assess": "Cannot assess"},            # optional
     "bands": {"sesuai_from": 2.6, "di_atas_from": 3.8},      # optional for 1-3, 1-5
     "gap_threshold": 1.0,                                    # optional
     "questions": {"about_colleague": "...", "about_self": "...",
                   "hasil_kerja": "..."},                     # optional, each key too
     "items": [{"code": "B1", "name": "...", "indicators": ["...", ...]}, ...]}

``items`` may be left out to use the seven BerAKHLAK core values; an empty
list is an error. Unknown keys are errors (a typo must not be ignored).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from scheduler.scoring.review_instrument import (
    CANNOT_ASSESS,
    DEFAULT_BANDS,
    Bands,
    Instrument,
    InstrumentError,
    Item,
    Level,
    Questions,
    Scale,
    default_gap_threshold,
)

# The shipped instruments: one file per code in the package, every field written out.
SHIPPED_FOLDER = "instruments"
DEFAULT_CODE = "berakhlak3"


def _check_keys(data: Mapping[str, Any], where: str, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InstrumentError(f"{where}: unknown key {unknown[0]!r} (allowed: {sorted(allowed)})")
    missing = sorted(required - set(data))
    if missing:
        raise InstrumentError(f"{where}: {missing[0]!r} is required")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InstrumentError(f"{where}: expected an object")
    return value


def _list(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise InstrumentError(f"{where}: expected a list")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstrumentError(f"{where}: expected a non-empty text")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstrumentError(f"{where}: expected a number")
    return float(value)


def _parse_scale(data: Any) -> Scale:
    data = _mapping(data, "scale")
    _check_keys(data, "scale", {"levels", "cannot_assess"}, {"levels"})
    levels = []
    for index, raw in enumerate(_list(data["levels"], "scale.levels")):
        where = f"scale.levels[{index}]"
        raw = _mapping(raw, where)
        _check_keys(raw, where, {"value", "label", "meaning", "example"}, {"value", "label"})
        value = raw["value"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise InstrumentError(f"{where}.value: expected a whole number")
        guide = [raw.get(key, "") for key in ("meaning", "example")]
        if any(not isinstance(text, str) for text in guide):
            raise InstrumentError(f"{where}: meaning and example must be texts")
        levels.append(Level(value, _text(raw["label"], f"{where}.label"), *guide))
    cannot = _text(data.get("cannot_assess", CANNOT_ASSESS), "scale.cannot_assess")
    return Scale(tuple(levels), cannot_assess=cannot)


def _parse_items(data: Any) -> tuple[Item, ...]:
    items = []
    for index, raw in enumerate(_list(data, "items")):
        where = f"items[{index}]"
        raw = _mapping(raw, where)
        _check_keys(raw, where, {"code", "name", "indicators"}, {"code", "name"})
        indicators = tuple(
            _text(text, f"{where}.indicators[{n}]")
            for n, text in enumerate(_list(raw.get("indicators", []), f"{where}.indicators"))
        )
        items.append(
            Item(
                _text(raw["code"], f"{where}.code"), _text(raw["name"], f"{where}.name"), indicators
            )
        )
    return tuple(items)


def _default() -> Instrument:
    """Where a deployment's file leaves out questions or items: the shipped berakhlak3's.
    (The shipped files write every field out, so loading them never comes here.)"""
    return load_shipped(DEFAULT_CODE)


def instrument_from_dict(data: Mapping[str, Any]) -> Instrument:
    """Build and validate an instrument from plain data; raise `InstrumentError`."""
    data = _mapping(data, "instrument")
    _check_keys(
        data,
        "instrument",
        {"code", "scale", "bands", "gap_threshold", "questions", "items"},
        {"code", "scale"},
    )
    scale = _parse_scale(data["scale"])
    if "bands" in data:
        raw = _mapping(data["bands"], "bands")
        _check_keys(raw, "bands", {"sesuai_from", "di_atas_from"}, {"sesuai_from", "di_atas_from"})
        bands = Bands(
            _number(raw["sesuai_from"], "bands.sesuai_from"),
            _number(raw["di_atas_from"], "bands.di_atas_from"),
        )
    elif scale.values in DEFAULT_BANDS:
        bands = DEFAULT_BANDS[scale.values]
    else:
        raise InstrumentError(
            f"bands: required for a scale with values {list(scale.values)} "
            "(defaults exist only for 1–3 and 1–5)"
        )
    if "questions" in data:
        raw = _mapping(data["questions"], "questions")
        names = ("about_colleague", "about_self", "hasil_kerja")
        _check_keys(raw, "questions", set(names), set())
        fallback = _default().questions if set(names) - set(raw) else None
        questions = Questions(
            *(_text(raw[n] if n in raw else getattr(fallback, n), f"questions.{n}") for n in names)
        )
    else:
        questions = _default().questions
    items = _parse_items(data["items"]) if "items" in data else _default().items
    gap = default_gap_threshold(scale)
    if "gap_threshold" in data:
        gap = _number(data["gap_threshold"], "gap_threshold")
    return Instrument(
        code=_text(data["code"], "code"),
        scale=scale,
        items=items,
        bands=bands,
        questions=questions,
        gap_threshold=gap,
    )


def instrument_to_dict(instrument: Instrument) -> dict[str, Any]:
    """Plain data that `instrument_from_dict` turns back into an equal instrument."""
    return {
        "code": instrument.code,
        "scale": {
            "levels": [
                {"value": lv.value, "label": lv.label, "meaning": lv.meaning, "example": lv.example}
                for lv in instrument.scale.levels
            ],
            "cannot_assess": instrument.scale.cannot_assess,
        },
        "bands": {
            "sesuai_from": instrument.bands.sesuai_from,
            "di_atas_from": instrument.bands.di_atas_from,
        },
        "gap_threshold": instrument.gap_threshold,
        "questions": {
            "about_colleague": instrument.questions.about_colleague,
            "about_self": instrument.questions.about_self,
            "hasil_kerja": instrument.questions.hasil_kerja,
        },
        "items": [
            {"code": it.code, "name": it.name, "indicators": list(it.indicators)}
            for it in instrument.items
        ],
    }


def instrument_digest(instrument: Instrument) -> str:
    """SHA-256 (hex) of the instrument's content: every field, in canonical JSON.

    What a cycle records at open, so results can tell that the shipped file changed
    since. Layout of the file (spaces, key order) does not count; any value does.
    """
    text = json.dumps(instrument_to_dict(instrument), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def instrument_from_json(text: str) -> Instrument:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstrumentError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    return instrument_from_dict(data)


def load_instrument(path: str | Path) -> Instrument:
    """Read a deployment's instrument from a JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstrumentError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return instrument_from_json(text)
    except InstrumentError as exc:
        raise InstrumentError(f"{path}: {exc}") from None


def shipped_codes() -> tuple[str, ...]:
    """The codes of the instrument files shipped in the package, sorted."""
    folder = resources.files("scheduler.scoring").joinpath(SHIPPED_FOLDER)
    names = (entry.name for entry in folder.iterdir())
    return tuple(sorted(n.removesuffix(".json") for n in names if n.endswith(".json")))


@cache
def load_shipped(code: str) -> Instrument:
    """The shipped instrument file ``<code>.json``, read once per process (the same object
    every time, so callers may compare with ``is``)."""
    where = f"{SHIPPED_FOLDER}/{code}.json"
    try:
        text = resources.files("scheduler.scoring").joinpath(where).read_text("utf-8")
    except OSError as exc:
        raise InstrumentError(f"{where}: cannot read ({exc.strerror})") from None
    try:
        instrument = instrument_from_json(text)
    except InstrumentError as exc:
        raise InstrumentError(f"{where}: {exc}") from None
    if instrument.code != code:
        raise InstrumentError(f"{where}: code {instrument.code!r} differs from the file name")
    return instrument
