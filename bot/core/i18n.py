"""Gettext catalogs (Babel PO files) for Bahasa Indonesia and English.

Each feature keeps its messages in its own domain file,
``bot/locales/<lang>/LC_MESSAGES/<domain>.po``, so features can be translated
independently. The PO files are the source of truth: they are compiled in
memory with Babel when first used, so a fresh clone never runs with stale
compiled catalogs. Message ids are English; both catalogs must translate every
id (``tests/test_i18n.py`` fails otherwise).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from importlib.resources import files

LANGUAGES: tuple[str, ...] = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (data tables)."""
    return message


def locale_dir() -> str:
    return str(files("bot").joinpath("locales"))


def po_files(language: str) -> list[str]:
    folder = files("bot").joinpath("locales", language, "LC_MESSAGES")
    return sorted(str(p) for p in folder.iterdir() if p.name.endswith(".po"))


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """All domains of one language merged into one gettext translations object."""
    # Babel only here, when a catalog is first compiled: `ulasan --help` never needs it.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    if language not in LANGUAGES:
        language = LANGUAGES[0]
    merged: gettext.GNUTranslations | None = None
    for path in po_files(language):
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = gettext.GNUTranslations(buffer)
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    if merged is None:
        raise RuntimeError(f"no message catalogs for language {language!r}")
    return merged


def gettext_for(language: str) -> Translate:
    return translations(language).gettext


def ngettext_for(language: str) -> Callable[[str, str, int], str]:
    return translations(language).ngettext


def pick_language(preferred: str | None, telegram_code: str | None, default: str) -> str:
    """The user's choice, else their Telegram app language, else the default."""
    if preferred in LANGUAGES:
        return preferred
    if telegram_code:
        base = telegram_code.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default if default in LANGUAGES else LANGUAGES[0]
