"""Every message in the source is translated in both Indonesian and English."""

from bot.core.i18n import LANGUAGES, gettext_for, pick_language
from bot.core.i18n_check import extracted, missing


def test_source_has_messages():
    assert len(extracted()) > 10


def test_every_message_is_translated_in_both_languages():
    gaps = missing()
    for language in LANGUAGES:
        assert gaps[language] == [], f"untranslated in {language}: {gaps[language][:5]}"


def test_indonesian_differs_from_english_source():
    assert gettext_for("id")("Help") == "Bantuan"
    assert gettext_for("en")("Help") == "Help"


def test_language_resolution():
    assert pick_language("en", "id", "id") == "en"
    assert pick_language(None, "en-US", "id") == "en"
    assert pick_language(None, "fr", "id") == "id"
    assert pick_language(None, None, "en") == "en"
