"""Gettext catalogs (Babel PO files) for Bahasa Indonesia and English.

Each feature keeps its messages in its own domain file,
``bot/locales/<lang>/LC_MESSAGES/<domain>.po``, so features can be translated
independently. The PO files are the source of truth: they are compiled in
memory when first used, so a fresh clone never runs with stale compiled
catalogs. The compiling is `read_po` here, not Babel's: Babel's reader took
most of the time of a short CLI command such as ``ulasan report ikm``; this one
reads the subset of the PO format that Babel writes with Babel's rules (fuzzy
and untranslated entries left out, plural strings padded from the ids), and
``tests/test_i18n_reader.py`` checks that it gives the same catalog as Babel
for every file. Message ids are English; both catalogs must translate every
id (``tests/test_i18n.py`` fails otherwise).
"""

from __future__ import annotations

import gettext
import io
import re
import struct
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
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    merged: gettext.GNUTranslations | None = None
    for path in po_files(language):
        with open(path, encoding="utf-8") as handle:
            part = gettext.GNUTranslations(io.BytesIO(mo_bytes(read_po(handle.read()))))
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    if merged is None:
        raise RuntimeError(f"no message catalogs for language {language!r}")
    return merged


_KEYWORD = re.compile(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')
_ESCAPE = re.compile(r'\\([\\abfnrtv"])')
_ESCAPED = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unquote(text: str) -> str:
    """One quoted PO string's content, with Babel's escapes (C's letters, \\\\ and \\")."""
    return _ESCAPE.sub(lambda match: _ESCAPED.get(match[1], match[1]), text.strip()[1:-1])


def read_po(text: str) -> dict[str, str]:
    """A PO file's entries as the keys and values of a compiled (MO) catalog.

    Keys as in an MO file: ``context\\x04msgid`` with a context, ``msgid\\0plural``
    for plural entries, whose value is the plural strings joined with NUL, padded to
    the header's ``nplurals`` (an empty one falls back to the msgid or the plural id,
    extra ones are dropped). Fuzzy, obsolete (``#~``) and untranslated entries are
    left out; the header (msgid "") stays in.
    """
    entries: list[tuple[dict[str, str], bool]] = []
    fields: dict[str, str] = {}
    current = ""
    fuzzy = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if "msgstr" in fields or "msgstr[0]" in fields:  # a comment opens the next entry
                entries.append((fields, fuzzy))
                fields, fuzzy = {}, False
            if line.startswith("#,") and "fuzzy" in (f.strip() for f in line[2:].split(",")):
                fuzzy = True
            continue
        if line.startswith('"'):
            fields[current] += _unquote(line)
            continue
        match = _KEYWORD.match(line)
        if match is None:
            raise ValueError(f"not a PO line: {raw!r}")
        keyword = match[1]
        if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in fields):
            entries.append((fields, fuzzy))
            fields, fuzzy = {}, False
        current = keyword
        fields[current] = _unquote(match[2])
    if fields:
        entries.append((fields, fuzzy))
    return _catalog(entries)


def _catalog(entries: list[tuple[dict[str, str], bool]]) -> dict[str, str]:
    header = next((f.get("msgstr", "") for f, _ in entries if f.get("msgid") == ""), "")
    plurals = re.search(r"nplurals\s*=\s*(\d+)", header)
    count = int(plurals[1]) if plurals else 2
    catalog: dict[str, str] = {}
    for fields, fuzzy in entries:
        msgid = fields.get("msgid", "")
        if "msgid_plural" in fields:
            ids = (msgid, fields["msgid_plural"])
            strings = [fields.get(f"msgstr[{i}]", "") or ids[min(i, 1)] for i in range(count)]
            key, value = f"{msgid}\0{ids[1]}", "\0".join(strings)
        else:
            key, value = msgid, fields.get("msgstr", "")
        if msgid and (fuzzy or not value):
            continue
        if "msgctxt" in fields:
            key = f"{fields['msgctxt']}\x04{key}"
        catalog[key] = value
    return catalog


def mo_bytes(catalog: dict[str, str]) -> bytes:
    """A GNU MO file of ``catalog`` (keys as `read_po` gives them), UTF-8."""
    keys = sorted(catalog, key=lambda k: k.encode())
    ids = [k.encode() for k in keys]
    strs = [catalog[k].encode() for k in keys]
    count = len(keys)
    start = 7 * 4 + 16 * count  # the header and both offset tables
    table: list[int] = []
    position = start
    for data in ids:
        table += [len(data), position]
        position += len(data) + 1
    for data in strs:
        table += [len(data), position]
        position += len(data) + 1
    head = struct.pack("<7I", 0x950412DE, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, 0)
    body = b"".join(data + b"\0" for data in (*ids, *strs))
    return head + struct.pack(f"<{len(table)}I", *table) + body


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
