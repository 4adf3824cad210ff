"""Example behaviours (contoh perilaku) per indicator: one version of an instrument's examples.

The regulation fixes the core values and their indicators; what a unit agrees
on in a consultation are examples of each indicator, adopted by HR into a new
numbered version. An `Examples` value maps ``(item code, indicator index)`` to
the adopted texts, in the order adopted. Version 1 is the instrument as
shipped (no examples). Versions are stored as JSON (`examples_to_json`, a
stable text: the same examples give the same bytes), validated against the
instrument on the way in (`examples_from_json`): an unknown item or an
indicator the item does not have is an error, never ignored.

Scoring never reads examples (the math needs the scale, the items and the
bands only), so a new version cannot change any figure; it changes what
raters and readers of ``/kriteria`` see.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from scheduler.scoring.review_instrument import Instrument, InstrumentError

FIRST_VERSION = 1
EXAMPLE_MAX_CHARS = 300

Key = tuple[str, int]  # (item code, 0-based indicator index)
Examples = Mapping[Key, tuple[str, ...]]


def check_key(instrument: Instrument, item_code: str, indicator: int) -> None:
    """Raise `InstrumentError` unless the item exists and has that indicator."""
    try:
        item = instrument.item(item_code)
    except KeyError:
        raise InstrumentError(f"examples: unknown item {item_code!r}") from None
    if not 0 <= indicator < len(item.indicators):
        raise InstrumentError(f"examples: {item_code} has no indicator {indicator + 1}")


def adopt(instrument: Instrument, base: Examples, texts: Iterable[tuple[Key, str]]) -> Examples:
    """The next version's examples: the base's, with each new text appended (once)."""
    merged: dict[Key, list[str]] = {key: list(values) for key, values in base.items()}
    for (item_code, indicator), text in texts:
        check_key(instrument, item_code, indicator)
        cleaned = " ".join(text.split())
        if not cleaned:
            raise InstrumentError("examples: an empty example")
        values = merged.setdefault((item_code, indicator), [])
        if cleaned.casefold() not in {v.casefold() for v in values}:
            values.append(cleaned)
    order = {code: n for n, code in enumerate(instrument.item_codes)}
    return {
        key: tuple(merged[key])
        for key in sorted(merged, key=lambda k: (order[k[0]], k[1]))
        if merged[key]
    }


def examples_to_json(examples: Examples) -> str:
    data: dict[str, dict[str, list[str]]] = {}
    for (item_code, indicator), texts in examples.items():
        data.setdefault(item_code, {})[str(indicator + 1)] = list(texts)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)


def examples_from_json(text: str, instrument: Instrument) -> Examples:
    """Examples stored as ``{"B1": {"1": ["…"], …}, …}`` (indicators numbered from 1)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstrumentError(f"examples: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InstrumentError("examples: expected an object")
    out: dict[Key, tuple[str, ...]] = {}
    for item_code, by_indicator in data.items():
        if not isinstance(by_indicator, dict):
            raise InstrumentError(f"examples: {item_code} must be an object")
        for number, texts in by_indicator.items():
            if not str(number).isdigit() or not isinstance(texts, list):
                raise InstrumentError(f"examples: {item_code}.{number} is not a list")
            key = (item_code, int(number) - 1)
            check_key(instrument, *key)
            if any(not isinstance(t, str) or not t.strip() for t in texts):
                raise InstrumentError(f"examples: {item_code}.{number} has an empty example")
            out[key] = tuple(texts)
    return out
