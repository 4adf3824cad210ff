"""Rater calibration: short situations (vignettes) with a reference answer, as data files.

Before their first review in a cycle a rater reads a few situations, picks a
level for each on the instrument's scale, then sees the reference answer and
why (``handlers/calibration.py``).

A set is one JSON file per instrument version, named ``<instrument>-v<N>.json``
(``berakhlak3-v1.json``); a cycle on version v uses the file of the highest
N ≤ v, so a set written for version 3 applies from version 3 on. The package
ships ``scheduler/scoring/calibration/``; a file of the same name in the home's
``calibration/`` folder (`Settings.calibration_dir`) replaces a shipped one,
and a new name adds a set (another version, another instrument), without
touching code — as the SKM report's texts are overridden from ``templates/``.
An instrument without a file offers no calibration. The file::

    {"example": false,              # true: shown as example content to replace
     "situations": [
       {"value": "B1",              # a core value of the instrument
        "situation": {"id": "…", "en": "…"},   # "en" optional (else "id")
        "reference": 2,             # a level on the instrument's scale
        "why": {"id": "…", "en": "…"}}, …]}   # 1 to MAX_SITUATIONS

THE SHIPPED SET IS EXAMPLE CONTENT (``"example": true``), written for this
product to show the common rating errors (a single good deed taken for
"above", closeness to the person, the last week instead of the period).

A file is checked whole when it is read; any problem is a `CalibrationSetError`
whose message is one line naming the file and the problem (unknown keys are
errors, so a typo is not ignored). Reading happens only in `read_set`,
`set_files` and `set_for`; the rest is pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.core.i18n import N_
from scheduler.scoring.review_instrument import Instrument
from scheduler.scoring.shipped_instruments import INSTRUMENTS

EXAMPLE_LABEL = N_("Example situations written for this application; BKPSDM may replace them.")
MAX_SITUATIONS = 10
FILE_NAME = re.compile(r"^(?P<code>[a-z0-9_]+)-v(?P<version>[1-9][0-9]{0,3})\.json$")
PACKAGE_FOLDER = "calibration"


class CalibrationSetError(ValueError):
    """A calibration file cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class Vignette:
    item_code: str
    situation: Mapping[str, str]  # language → text ("id" always present)
    reference: int  # a level of the instrument's scale
    why: Mapping[str, str]


@dataclass(frozen=True)
class CalibrationSet:
    instrument: str
    version: int
    example: bool  # example content for HR to replace (shown so)
    vignettes: tuple[Vignette, ...]
    origin: str  # the file it was read from


def text_in(texts: Mapping[str, str], language: str) -> str:
    """The text in ``language``, else the Indonesian one."""
    return texts.get(language) or texts["id"]


# -- checking (pure) -----------------------------------------------------------------------


def _keys(data: Any, where: str, allowed: set[str], required: set[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise CalibrationSetError(f"{where}: expected an object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CalibrationSetError(f"{where}: unknown key {unknown[0]!r}")
    missing = sorted(required - set(data))
    if missing:
        raise CalibrationSetError(f"{where}: {missing[0]!r} is required")
    return data


def _texts(data: Any, where: str) -> dict[str, str]:
    data = _keys(data, where, {"id", "en"}, {"id"})
    for language, text in data.items():
        if not isinstance(text, str) or not text.strip():
            raise CalibrationSetError(f"{where}.{language}: expected a non-empty text")
    return {language: " ".join(text.split()) for language, text in data.items()}


def _vignette(data: Any, where: str, instrument: Instrument) -> Vignette:
    data = _keys(
        data,
        where,
        {"value", "situation", "reference", "why"},
        {"value", "situation", "reference", "why"},
    )
    code, reference = data["value"], data["reference"]
    if code not in instrument.item_codes:
        raise CalibrationSetError(
            f"{where}.value: {code!r} is not a core value of {instrument.code} "
            f"({', '.join(instrument.item_codes)})"
        )
    if (
        isinstance(reference, bool)
        or not isinstance(reference, int)
        or reference not in instrument.scale
    ):
        raise CalibrationSetError(
            f"{where}.reference: {reference!r} is not a level of {instrument.code} "
            f"({', '.join(str(v) for v in instrument.scale.values)})"
        )
    return Vignette(
        code,
        _texts(data["situation"], f"{where}.situation"),
        reference,
        _texts(data["why"], f"{where}.why"),
    )


def set_from_json(text: str, name: str, origin: str) -> CalibrationSet:
    """Parse and check the file ``name`` (its text); errors name ``origin``."""
    try:
        found = FILE_NAME.match(name)
        if found is None:
            raise CalibrationSetError(
                "the name must be <instrument>-v<N>.json, e.g. berakhlak3-v1.json"
            )
        instrument = INSTRUMENTS.get(found["code"])
        if instrument is None:
            raise CalibrationSetError(
                f"no instrument {found['code']!r} (known: {', '.join(sorted(INSTRUMENTS))})"
            )
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CalibrationSetError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
        data = _keys(data, "file", {"example", "situations"}, {"situations"})
        example = data.get("example", False)
        if not isinstance(example, bool):
            raise CalibrationSetError("example: expected true or false")
        raw = data["situations"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_SITUATIONS:
            raise CalibrationSetError(f"situations: expected a list of 1 to {MAX_SITUATIONS}")
        vignettes = tuple(
            _vignette(item, f"situations[{n}]", instrument) for n, item in enumerate(raw)
        )
    except CalibrationSetError as exc:
        raise CalibrationSetError(f"{origin}: {exc}") from None
    return CalibrationSet(instrument.code, int(found["version"]), example, vignettes, origin)


def agreed(vignettes: tuple[Vignette, ...], answers: tuple[int, ...]) -> int:
    """How many answers match the reference (for the rater's own summary only)."""
    return sum(1 for v, a in zip(vignettes, answers, strict=False) if v.reference == a)


# -- reading the files ---------------------------------------------------------------------


def set_files(home: Path | None) -> dict[str, str]:
    """File name → where it is read from: the shipped files, each replaced by the home's
    file of the same name; the home's other ``*.json`` files are added."""
    shipped = resources.files("scheduler.scoring").joinpath(PACKAGE_FOLDER)
    files = {
        entry.name: f"{PACKAGE_FOLDER}/{entry.name}"
        for entry in shipped.iterdir()
        if entry.name.endswith(".json")
    }
    if home is not None and home.is_dir():
        files.update({path.name: str(path) for path in sorted(home.glob("*.json"))})
    return files


def read_set(name: str, origin: str) -> CalibrationSet:
    """Read and check one file (``origin`` from `set_files`)."""
    try:
        if origin.startswith(f"{PACKAGE_FOLDER}/"):
            text = resources.files("scheduler.scoring").joinpath(origin).read_text("utf-8")
        else:
            text = Path(origin).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationSetError(f"{origin}: cannot be read ({exc})") from None
    return set_from_json(text, name, origin)


def set_for(instrument: Instrument, version: int, home: Path | None) -> CalibrationSet | None:
    """The set for this instrument version (None: no calibration offered). Only the chosen
    file is read; a broken one raises `CalibrationSetError` (no fallback to another set)."""
    candidates: list[tuple[int, str, str]] = []
    for name, origin in set_files(home).items():
        found = FILE_NAME.match(name)
        if found and found["code"] == instrument.code and int(found["version"]) <= version:
            candidates.append((int(found["version"]), name, origin))
    if not candidates:
        return None
    _version, name, origin = max(candidates)
    return read_set(name, origin)
