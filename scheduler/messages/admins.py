"""What a person reads when BKPSDM makes them a unit admin, or stops it (``/admin``)."""

from __future__ import annotations

from bot.core.i18n import gettext_for


def granted_text(unit_code: str, unit_name: str, language: str) -> str:
    _ = gettext_for(language)
    return _(
        "👥 You are now an administrator of {code} {unit} and its sub-units. You will "
        "receive the alerts of their services; /kasus shows their cases and "
        "/pengaturan what you receive."
    ).format(code=unit_code, unit=unit_name)


def revoked_text(unit_code: str, unit_name: str, language: str) -> str:
    _ = gettext_for(language)
    return _(
        "👥 You are no longer an administrator of {code} {unit}. Its alerts and cases no "
        "longer come to you."
    ).format(code=unit_code, unit=unit_name)
