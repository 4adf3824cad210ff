"""Find messages that lack a translation: ``python -m bot.core.i18n_check``.

Extracts every ``_()``/``N_()``/``ngettext()`` message from the source with
Babel, plus the texts of the shipped 360° instrument files
(``scheduler/scoring/instruments/*.json``: labels, meanings, examples, questions,
item names and indicators are message ids there too), and checks that each
Indonesian and English catalog translates it.
``python -m bot.core.i18n_check --add DOMAIN [SOURCE_PREFIX ...]`` appends the
missing ids (only those used in files under the given prefixes, e.g.
``handlers/citizen.py``) to that domain's PO files, with empty translations
for a translator to fill in.
"""

from __future__ import annotations

import json
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.core.i18n import LANGUAGES, po_files

SOURCE_PACKAGES = ("bot", "handlers", "storage", "scheduler")
INSTRUMENT_FILES = "scheduler/scoring/instruments"
# Keys of an instrument file whose values are message ids (``code`` and numbers are not).
_INSTRUMENT_TEXT_KEYS = frozenset(
    {"label", "meaning", "example", "cannot_assess", "name", "indicators"}
    | {"about_colleague", "about_self", "hasil_kerja"}
)


def project_root() -> Path:
    return Path(str(files("bot"))).parent


def plural_pairs() -> dict[str, tuple[str, str]]:
    """Singular id → (singular, plural) for every ``ngettext`` message in the source."""
    pairs: dict[str, tuple[str, str]] = {}
    root = project_root()
    for package in SOURCE_PACKAGES:
        folder = root / package
        if folder.is_dir():
            for _f, _l, message, _c, _x in extract_from_dir(
                str(folder), method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS
            ):
                if isinstance(message, tuple) and len(message) >= 2 and message[0]:
                    pairs[message[0]] = (message[0], message[1])
    return pairs


def extracted() -> dict[str, tuple[str, int]]:
    """Every message id in the source → (file, line) of its first use."""
    root = project_root()
    found: dict[str, tuple[str, int]] = {}
    for package in SOURCE_PACKAGES:
        folder = root / package
        if not folder.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(folder), method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS
        ):
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(msgid, (f"{package}/{filename}", lineno))
    for msgid, where in instrument_messages().items():
        found.setdefault(msgid, where)
    return found


def _instrument_texts(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in _instrument_texts(v, k)]
    if isinstance(value, list):
        return [text for v in value for text in _instrument_texts(v, key)]
    return [value] if key in _INSTRUMENT_TEXT_KEYS and isinstance(value, str) and value else []


def instrument_messages() -> dict[str, tuple[str, int]]:
    """Every message id in the shipped instrument files → (file, 1)."""
    found: dict[str, tuple[str, int]] = {}
    for path in sorted((project_root() / INSTRUMENT_FILES).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for msgid in _instrument_texts(data):
            found.setdefault(msgid, (f"{INSTRUMENT_FILES}/{path.name}", 1))
    return found


def translated(language: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in po_files(language):
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(strings):
                for msgid in ids:
                    out[msgid] = strings[0]
    return out


def missing() -> dict[str, list[tuple[str, str, int]]]:
    messages = extracted()
    result: dict[str, list[tuple[str, str, int]]] = {}
    for language in LANGUAGES:
        done = translated(language)
        result[language] = [
            (msgid, *where) for msgid, where in sorted(messages.items()) if msgid not in done
        ]
    return result


def add_missing(domain: str, prefixes: list[str] | None = None) -> None:
    for language, rows in missing().items():
        if prefixes:
            rows = [r for r in rows if any(r[1].startswith(p) for p in prefixes)]
        path = project_root() / "bot" / "locales" / language / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            with open(path, "rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            catalog = Catalog(locale=language, project="ulasan", domain=domain)
        pairs = plural_pairs()
        plurals = {plural for _, plural in pairs.values()}
        for msgid, filename, lineno in rows:
            if msgid in plurals or msgid in catalog:
                continue  # a plural form travels with its singular
            if msgid in pairs:
                catalog.add(pairs[msgid], ("", ""), locations=[(filename, lineno)])
            else:
                catalog.add(msgid, "", locations=[(filename, lineno)])
        with open(path, "wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False)


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "--add":
        add_missing(sys.argv[2], sys.argv[3:])
        return 0
    problems = 0
    for language, rows in missing().items():
        for msgid, filename, lineno in rows:
            problems += 1
            print(f"{filename}:{lineno}: no {language} translation: {msgid[:60]!r}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
