"""The compiled-catalog cache (bot/core/i18n.py): a hit gives exactly what Babel
compiles from the PO file, an edited PO file is compiled afresh, and a cache folder
that cannot be used never fails the command."""

from __future__ import annotations

import gettext
import hashlib
import io
import os
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.core import i18n

PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "Hello"
msgstr "Halo"

msgid "one answer"
msgid_plural "{n} answers"
msgstr[0] "{n} jawaban"
"""


def babel_mo(content: bytes, language: str) -> bytes:
    """What Babel compiles from ``content``, with no cache in between."""
    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(content), locale=language))
    return buffer.getvalue()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_a_cache_hit_is_what_babel_compiles_for_every_shipped_file(
    tmp_path: Path, language: str
) -> None:
    for path in map(Path, i18n.po_files(language)):
        fresh = babel_mo(path.read_bytes(), language)
        assert i18n.compiled_catalog(path, language, [tmp_path]) == fresh  # the miss
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        (stored,) = tmp_path.glob(f"{language}-{digest}-*.mo")
        assert stored.read_bytes() == fresh
        assert i18n.compiled_catalog(path, language, [tmp_path]) == fresh  # the hit
        stored.unlink()


def test_a_hit_does_not_import_babel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    po = tmp_path / "messages.po"
    po.write_text(PO, encoding="utf-8")
    cache = tmp_path / "cache"
    i18n.compiled_catalog(po, "id", [cache])
    for name in [n for n in sys.modules if n == "babel" or n.startswith("babel.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(i18n, "compile_po", lambda *_: pytest.fail("compiled on a hit"))
    part = gettext.GNUTranslations(io.BytesIO(i18n.compiled_catalog(po, "id", [cache])))
    assert part.gettext("Hello") == "Halo"
    assert not any(n == "babel" or n.startswith("babel.") for n in sys.modules)


def test_an_edited_po_file_is_compiled_again(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(PO, encoding="utf-8")
    cache = tmp_path / "cache"
    before = i18n.compiled_catalog(po, "id", [cache])
    po.write_text(PO.replace('"Halo"', '"Selamat datang"'), encoding="utf-8")
    after = i18n.compiled_catalog(po, "id", [cache])
    assert after == babel_mo(po.read_bytes(), "id") != before
    part = gettext.GNUTranslations(io.BytesIO(after))
    assert part.gettext("Hello") == "Selamat datang"
    assert part.ngettext("one answer", "{n} answers", 5) == "{n} jawaban"
    assert len(list(cache.glob("*.mo"))) == 2  # the old file is another content's


def test_a_damaged_cache_file_is_compiled_again(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(PO, encoding="utf-8")
    cache = tmp_path / "cache"
    fresh = i18n.compiled_catalog(po, "id", [cache])
    (stored,) = cache.glob("*.mo")
    stored.write_bytes(b"not a catalog")
    assert i18n.compiled_catalog(po, "id", [cache]) == fresh
    assert stored.read_bytes() == fresh


def test_an_unusable_cache_folder_falls_back_and_never_fails(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(PO, encoding="utf-8")
    fresh = babel_mo(po.read_bytes(), "id")
    blocker = tmp_path / "a-file"  # a folder cannot be made under a file, even by root
    blocker.write_text("")
    shared = tmp_path / "shared"  # others could plant a catalog there: never used
    shared.mkdir()
    shared.chmod(0o777)
    second = tmp_path / "second"
    # The first folders cannot take the file: the next one does.
    assert i18n.compiled_catalog(po, "id", [blocker / "cache", shared, second]) == fresh
    assert list(second.glob("*.mo")) and not list(shared.glob("*"))
    # No usable folder at all: compiled in memory, nothing written.
    assert i18n.compiled_catalog(po, "id", [blocker / "cache", shared]) == fresh
    assert not list(shared.glob("*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_cache_folder_is_compiled_in_memory(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(PO, encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert i18n.compiled_catalog(po, "id", [locked]) == babel_mo(po.read_bytes(), "id")
        assert not list(locked.glob("*"))
    finally:
        locked.chmod(0o700)


def test_the_bot_translates_through_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert i18n.cache_dirs()[0] == tmp_path / "ulasan" / "catalogs"
    i18n.translations.cache_clear()
    try:
        assert i18n.gettext_for("en")("Hello") is not None
        assert len(list((tmp_path / "ulasan" / "catalogs").glob("en-*.mo"))) == len(
            i18n.po_files("en")
        )
    finally:
        i18n.translations.cache_clear()
