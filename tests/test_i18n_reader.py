"""The catalogs' own PO reader (bot/core/i18n.py) gives what Babel's reader and MO
writer gave: the same messages and the same plural rule, for every shipped file and
for the cases the shipped files do not have (fuzzy, obsolete, untranslated,
context, escapes, plurals with missing or extra strings)."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po as babel_read_po

from bot.core.i18n import LANGUAGES, mo_bytes, po_files, read_po


def babel_translations(text: str, language: str) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, babel_read_po(io.StringIO(text), locale=language))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def own_translations(text: str) -> gettext.GNUTranslations:
    return gettext.GNUTranslations(io.BytesIO(mo_bytes(read_po(text))))


def assert_same(text: str, language: str) -> None:
    theirs, ours = babel_translations(text, language), own_translations(text)
    # The header entry ("") is the file's own in ours and Babel's rewrite in theirs.
    messages = {k: v for k, v in ours._catalog.items() if k != ""}  # type: ignore[attr-defined]
    expected = {k: v for k, v in theirs._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert messages == expected
    assert [ours.plural(n) for n in range(200)] == [theirs.plural(n) for n in range(200)]  # type: ignore[attr-defined]
    assert ours.charset() == theirs.charset()


@pytest.mark.parametrize(
    "path",
    [path for language in LANGUAGES for path in po_files(language)],
    ids=lambda path: "/".join(Path(path).parts[-3::2]),
)
def test_every_shipped_file_reads_as_babel_reads_it(path: str) -> None:
    language = Path(path).parts[-3]
    assert_same(Path(path).read_text(encoding="utf-8"), language)


HEADER = """# A header Babel writes.
#, fuzzy
msgid ""
msgstr ""
"Language: {language}\\n"
"Plural-Forms: {plural}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"""

ENTRIES = r"""
#: a.py:1
msgid "Plain"
msgstr "Biasa"

#, fuzzy
msgid "Fuzzy"
msgstr "Kabur"

#, python-format, fuzzy
msgid "Fuzzy among flags"
msgstr "Kabur juga"

msgid "Untranslated"
msgstr ""

msgid ""
"Long "
"message\n"
msgstr ""
"Pesan "
"panjang\n"

msgid "Escapes \"quoted\" \\ back\tslash"
msgstr "Lolos \"kutip\" \\ miring\t\r\n"

msgid "Other escapes \a\b\f\v and \q"
msgstr "Lain \a\b\f\v dan \q"

msgctxt "button"
msgid "Open"
msgstr "Buka"

msgid "Open"
msgstr "Membuka"

msgid "{n} file"
msgid_plural "{n} files"
msgstr[0] "{n} berkas"
msgstr[1] "{n} berkas-berkas"

msgid "{n} row"
msgid_plural "{n} rows"
msgstr[0] ""
msgstr[1] ""

msgid "{n} day"
msgid_plural "{n} days"
msgstr[0] "{n} hari"

#, fuzzy
msgid "{n} fuzzy"
msgid_plural "{n} fuzzies"
msgstr[0] "{n} kabur"

#~ msgid "Gone"
#~ msgstr "Hilang"
msgid "Last"
msgstr "Terakhir"
"""


@pytest.mark.parametrize(
    ("language", "plural"),
    [("id", "nplurals=1; plural=0;"), ("en", "nplurals=2; plural=(n != 1);")],
)
def test_the_cases_shipped_files_lack_read_as_babel_reads_them(language: str, plural: str) -> None:
    text = HEADER.format(language=language, plural=plural) + ENTRIES
    assert_same(text, language)
    ours = own_translations(text)
    assert ours.gettext("Plain") == "Biasa"
    assert ours.gettext("Fuzzy") == "Fuzzy"
    assert ours.pgettext("button", "Open") == "Buka"
    assert ours.gettext("Gone") == "Gone"


def test_a_line_that_is_no_po_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PO line"):
        read_po('msgid "x"\nmsgstr "y"\nbogus "z"\n')
