"""The settings' parsers (bot/core/setting_values.py) accept and refuse what pydantic's
lax mode did when the settings were a pydantic-settings model, with the same line.

Each parser is held against a pydantic field of the same type and bounds on the same
inputs; pydantic's refusal is turned into a line the way the former settings module
did (``'value' is not valid: …`` for choices, numbers and bounds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, SecretStr, ValidationError

from bot.core import setting_values as v
from bot.core.settings import SettingsError, load_settings

SHOWN = {"literal_error", "int_parsing", "greater_than_equal", "less_than_equal"}


class Former(BaseModel):
    whole: int = Field(default=1, ge=1, le=365)
    zero_up: int = Field(default=0, ge=0)
    number: float = Field(default=1.0, ge=0.2, le=60)
    threshold: float = Field(default=2.0, ge=1.0, le=4.0)
    flag: bool = False
    choice: Literal["off", "offer", "required"] = "offer"
    name: str = Field(default="", max_length=120)
    logo: Path | None = None


OURS = {
    "whole": v.whole(ge=1, le=365),
    "zero_up": v.whole(ge=0),
    "number": v.number(ge=0.2, le=60),
    "threshold": v.number(ge=1.0, le=4.0),
    "flag": v.flag,
    "choice": v.choice("off", "offer", "required"),
    "name": v.text(max_length=120),
    "logo": v.optional(v.path),
}

INPUTS = {
    "whole": [
        " 5 ",
        "5",
        "5.0",
        "5.00",
        "5.5",
        "1_000",
        "+5",
        "-3",
        "0",
        "366",
        "365",
        "1",
        "0x10",
        "５",
        "5e2",
        "",
        " ",
        "abc",
        "1 000",
        7,
        7.0,
        True,
    ],
    "zero_up": ["0", "-0", "-1", " 12 ", "1_0"],
    "number": [" 2.5 ", "0.2", "0.1", "60", "61", "1e1", "1_0", "", "abc", "inf", "-inf", 3, 2.5],
    "threshold": ["1", "1.0", "0.9", "4", "4.01", " 2 "],
    "flag": [
        "TRUE",
        "true",
        "True",
        "yes",
        "on",
        "1",
        "t",
        "y",
        "0",
        "off",
        "no",
        "n",
        "f",
        "false",
        "FALSE",
        " true ",
        "2",
        "",
        "maybe",
        True,
        False,
        0,
        1,
    ],
    "choice": ["off", "offer", "required", "OFF", " off", "", "x"],
    "name": ["", "Pemerintah Kota Harapan", "x" * 120, "x" * 121],
    "logo": [None, "", "logo.png", "/abs/logo.png", Path("p.png")],
}


def former(name: str, value: Any) -> tuple[str, Any]:
    try:
        return "ok", getattr(Former(**{name: value}), name)
    except ValidationError as exc:
        item = exc.errors()[0]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] in SHOWN:
            message = f"'{item['input']}' is not valid: {message}"
        return "refused", message


def ours(name: str, value: Any) -> tuple[str, Any]:
    try:
        return "ok", OURS[name](value)
    except v.Invalid as exc:
        return "refused", str(exc)


@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in INPUTS.items() for value in values]
)
def test_each_parser_takes_and_refuses_what_pydantic_did(name: str, value: Any) -> None:
    theirs = former(name, value)
    mine = ours(name, value)
    assert mine == theirs
    if mine[0] == "ok":
        assert type(mine[1]) is type(theirs[1])


def test_a_secret_never_shows_its_text() -> None:
    secret = v.Secret("a-very-long-secret-key-123")
    assert "a-very" not in repr(secret) + str(secret)
    assert secret.get_secret_value() == "a-very-long-secret-key-123"
    assert secret == v.Secret("a-very-long-secret-key-123") != v.Secret("other")
    assert "a-very" not in repr(SecretStr("a-very-long-secret-key-123"))  # as pydantic's did


def test_the_cadence_takes_its_number_as_text(tmp_path: Path) -> None:
    # The one difference: pydantic's Literal[1, 2, 3, 4, 6, 12] refused "3" from the
    # environment, so FEEDBACK_CADENCE_MONTHS could not be set at all.
    settings = load_settings(_env_file=None, data_dir=tmp_path, feedback_cadence_months=" 3 ")
    assert settings.feedback_cadence_months == 3
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, data_dir=tmp_path, feedback_cadence_months="5")
    assert str(error.value) == (
        "FEEDBACK_CADENCE_MONTHS: '5' is not valid: Input should be 1, 2, 3, 4, 6 or 12"
    )


def test_every_bad_setting_is_named_in_one_line_in_field_order(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(
            _env_file=None,
            data_dir=tmp_path,
            webhook_port="0",
            link_code_ttl_days="abc",
            feedback_superior_sees_cards="perhaps",
        )
    assert str(error.value) == (
        "LINK_CODE_TTL_DAYS: 'abc' is not valid: Input should be a valid integer, unable to"
        " parse string as an integer; FEEDBACK_SUPERIOR_SEES_CARDS: Input should be a valid"
        " boolean, unable to interpret input; WEBHOOK_PORT: '0' is not valid: Input should be"
        " greater than or equal to 1"
    )


def test_the_env_file_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\nTIMEZONE=Asia/Makassar\nlog_level=debug\nRETENTION_DAYS='200'\n"
        "NOT_A_SETTING=1\nEXPORT_ME\n"
    )
    monkeypatch.setenv("Retention_Days", "300")
    settings = load_settings(_env_file=env_file, data_dir=tmp_path)
    assert settings.timezone == "Asia/Makassar"
    assert settings.log_level == "DEBUG"
    assert settings.retention_days == 300  # the environment wins over .env
    assert (
        load_settings(_env_file=env_file, data_dir=tmp_path, retention_days=400).retention_days
        == 400
    )
    assert load_settings(_env_file=tmp_path / "none", data_dir=tmp_path).timezone == "Asia/Jakarta"


def test_every_setting_names_its_parser() -> None:
    # A field written as a bare default (``name: str = "x"``) would be read from the
    # environment without a parser: each must be `_setting(default, parser)`.
    from dataclasses import fields

    from bot.core.settings import Settings

    assert [f.name for f in fields(Settings) if not callable(f.metadata.get("parse"))] == []
