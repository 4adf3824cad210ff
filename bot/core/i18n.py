"""Gettext catalogs (Babel PO files) for Bahasa Indonesia and English.

Each feature keeps its messages in its own domain file,
``bot/locales/<lang>/LC_MESSAGES/<domain>.po``, so features can be translated
independently. The PO files are the source of truth: each is compiled with Babel
(``read_po`` + ``write_mo``) and the MO bytes are kept in a cache file named after
the language and the SHA-256 of the PO file's content, so a fresh clone or an
edited PO file can never run on a stale catalog, and a warm cache spares every
short command Babel's import and reader (~30 ms of ``ulasan report ikm``): the
standard library's `gettext.GNUTranslations` reads the cached bytes, and Babel is
imported only on a miss.

The cache lives in the user's cache folder (``$XDG_CACHE_HOME/ulasan/catalogs``,
usually ``~/.cache/ulasan/catalogs``), else a folder of this user's own in the
system's temporary folder; where neither can be written, the catalogs are compiled
in memory each time. Not in ``ULASAN_HOME``: catalogs are not needed before the
settings are read, the home holds what must be backed up, and a content-keyed file
is the same for every home. The cache never fails a command: any error writing or
reading it falls back to compiling in memory. Message ids are English; both
catalogs must translate every id (``tests/test_i18n.py`` fails otherwise).
"""

from __future__ import annotations

import gettext
import hashlib
import io
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path

# Part of every cache file's name: bump it when the compiling changes.
CACHE_FORMAT = "babel-mo-1"

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
    folders = cache_dirs()
    merged: gettext.GNUTranslations | None = None
    for path in po_files(language):
        part = gettext.GNUTranslations(io.BytesIO(compiled_catalog(Path(path), language, folders)))
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    if merged is None:
        raise RuntimeError(f"no message catalogs for language {language!r}")
    return merged


def cache_dirs() -> list[Path]:
    """Where compiled catalogs may be kept, in order of preference."""
    folders = [Path(tempfile.gettempdir()) / f"ulasan-{os.getuid()}-catalogs"]
    try:
        user_cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no home folder to be found
        return folders
    return [Path(user_cache) / "ulasan" / "catalogs", *folders]


def compiled_catalog(po_file: Path, language: str, folders: Sequence[Path]) -> bytes:
    """The MO bytes of one PO file: from the first usable cache folder, else compiled.

    A miss compiles with Babel and stores the bytes in the first folder that takes
    them; a folder that cannot be made, is not this user's own, or cannot be written
    is passed over, and with none left the bytes are only returned.
    """
    content = po_file.read_bytes()
    name = f"{language}-{hashlib.sha256(content).hexdigest()}-{CACHE_FORMAT}.mo"
    usable = [folder for folder in folders if _own_folder(folder)]
    for folder in usable:
        try:
            cached = (folder / name).read_bytes()
            gettext.GNUTranslations(io.BytesIO(cached))  # a damaged file is a miss
            return cached
        except (OSError, ValueError, UnicodeDecodeError, IndexError):
            continue
    compiled = compile_po(content, language)
    for folder in usable:
        if _store(folder / name, compiled):
            break
    return compiled


def compile_po(content: bytes, language: str) -> bytes:
    """One PO file's content as MO bytes, compiled by Babel."""
    # Babel only here, on a cache miss: a warm cache never imports it.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(content), locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def _own_folder(folder: Path) -> bool:
    """The folder exists (made if need be) and only this user can write to it, so no
    other user of a shared temporary folder can plant a catalog."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return False
    shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not shared


def _store(target: Path, data: bytes) -> bool:
    """Write ``data`` to ``target`` whole or not at all (a temporary file, then a rename)."""
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


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
