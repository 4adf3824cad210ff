"""How one setting's text becomes its value, and the one line that says why it cannot.

The settings (`bot.core.settings`) come as text from the environment or the home's
``.env`` (tests also hand in numbers, paths and lists). Each field names a parser made
here: a whole number or a number within bounds, a flag, one of a few choices, a text
with an optional check, a path, a secret. They accept what pydantic's lax mode
accepted when the settings were a pydantic-settings model (``" 5 "``, ``"1_000"`` and
``"5.0"`` for 5; ``yes``/``on``/``1``/``true`` for a flag; any case) and say the same
words when they refuse (``'0' is not valid: Input should be greater than or equal to
1``), so operators' scripts and the README's examples keep working.
``tests/test_setting_values.py`` holds each parser against pydantic on the same inputs.

They exist because importing pydantic and pydantic-settings and building the model
was ~0.1 s of every ``ulasan`` command, a fifth of ``ulasan report ikm``.
One deliberate difference: a choice of numbers (``FEEDBACK_CADENCE_MONTHS``) accepts
its number written as text, which the pydantic model refused for every value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Parse = Callable[[Any], Any]

_WHOLE_WITH_ZERO_FRACTION = re.compile(r"[+-]?\d+(?:_\d+)*\.0*")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class Invalid(ValueError):
    """A value a setting cannot take; the message is the line after the setting's name."""


class Secret:
    """A secret's text, shown as ``**********`` wherever the settings are printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def not_valid(value: Any, message: str) -> Invalid:
    """The refusal that shows the value: "'abc' is not valid: <message>"."""
    return Invalid(f"'{value}' is not valid: {message}")


def _bound(limit: float) -> str:
    """A bound as pydantic wrote it: 1.0 as "1", 0.2 as "0.2"."""
    return str(int(limit)) if float(limit).is_integer() else str(limit)


def _bounded(value: Any, number: Any, ge: float | None, le: float | None) -> None:
    if ge is not None and not number >= ge:
        raise not_valid(value, f"Input should be greater than or equal to {_bound(ge)}")
    if le is not None and not number <= le:
        raise not_valid(value, f"Input should be less than or equal to {_bound(le)}")


def to_whole(value: Any) -> int:
    """An int from an int, a float without fraction, or ASCII text of one (spaces,
    a sign, ``_`` between digits and a zero fraction allowed)."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii():
        text = value.strip()
        if _WHOLE_WITH_ZERO_FRACTION.fullmatch(text):
            text = text.partition(".")[0]
        try:
            return int(text)
        except ValueError:
            pass
    raise not_valid(value, "Input should be a valid integer, unable to parse string as an integer")


def whole(ge: int | None = None, le: int | None = None) -> Parse:
    def parse(value: Any) -> int:
        number = to_whole(value)
        _bounded(value, number, ge, le)
        return number

    return parse


def number(ge: float | None = None, le: float | None = None) -> Parse:
    def parse(value: Any) -> float:
        if isinstance(value, bool | int | float):
            result = float(value)
        else:
            try:
                result = float(value)
            except (TypeError, ValueError):
                raise Invalid(
                    "Input should be a valid number, unable to parse string as a number"
                ) from None
        _bounded(value, result, ge, le)
        return result

    return parse


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise Invalid("Input should be a valid boolean, unable to interpret input")


def choice(*options: str | int, before: Callable[[Any], Any] | None = None) -> Parse:
    """One of ``options`` (exactly; ``before`` may first normalise the text)."""
    shown = [repr(option) for option in options]
    expected = ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]
    numbers = all(isinstance(option, int) for option in options)

    def parse(value: Any) -> str | int:
        if before is not None and isinstance(value, str):
            value = before(value)
        candidate = value
        if numbers and isinstance(value, str):
            try:
                candidate = to_whole(value)
            except Invalid:
                pass
        for option in options:
            if candidate == option and type(candidate) is type(option):
                return option
        raise not_valid(value, f"Input should be {expected}")

    return parse


def text(max_length: int | None = None, check: Callable[[str], str] | None = None) -> Parse:
    """A text (at most ``max_length`` characters), then ``check``'s verdict: it returns the
    value to keep or raises ValueError with the line to show."""

    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("Input should be a valid string")
        if max_length is not None and len(value) > max_length:
            raise Invalid(f"String should have at most {max_length} characters")
        if check is None:
            return value
        try:
            return check(value)
        except ValueError as exc:
            raise Invalid(str(exc)) from None

    return parse


def optional(parse: Parse) -> Parse:
    """``None`` stays ``None``; anything else goes through ``parse``."""

    def parse_optional(value: Any) -> Any:
        return None if value is None else parse(value)

    return parse_optional


def path(value: Any) -> Path:
    if isinstance(value, str | os.PathLike):
        return Path(value)
    raise Invalid("Input is not a valid path")


def secret(check: Callable[[str], str | None]) -> Parse:
    """A secret, or ``None``; ``check`` gets its text and returns the text to keep (None
    for none) or raises ValueError with the line to show (never naming the secret)."""

    def parse(value: Any) -> Secret | None:
        if value is None:
            return None
        if isinstance(value, Secret):
            value = value.get_secret_value()
        if not isinstance(value, str):
            raise Invalid("Input should be a valid string")
        try:
            kept = check(value)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        return None if kept is None else Secret(kept)

    return parse


def whole_numbers(split: Callable[[str], Sequence[Any]]) -> Parse:
    """A list of ints: text is cut by ``split`` first (which may refuse a part)."""

    def parse(value: Any) -> list[int]:
        if isinstance(value, str):
            try:
                value = split(value)
            except ValueError as exc:
                raise Invalid(str(exc)) from None
        if not isinstance(value, list | tuple):
            raise Invalid("Input should be a valid list")
        return [to_whole(item) for item in value]

    return parse
