"""Texts of a published SKM period in Telegram: the channel post's caption and the head's
documents. The channel is public and Indonesian (like the posters); the head reads theirs
in their own language."""

from __future__ import annotations

from bot.core.i18n import N_, gettext_for
from scheduler.documents import period_view as view
from scheduler.messages.limits import shorten
from scheduler.period_publication import Edition

CHANNEL_LANGUAGE = "id"
CAPTION_MAX = 1024

POST_TITLE = N_("Public satisfaction survey results: {unit}")
POST_FIGURES = N_("Period {period}: IKM {konversi} (mutu {mutu}, {label}), {n} respondents.")
POST_EMPTY = N_("Period {period}: no respondents.")
POST_CORRECTION = N_("Version {version}: corrects the version published before.")
POST_EARLY = N_("Approved before the period ended.")
POST_SAMPLE_SHORT = N_("The sample is below the Krejcie–Morgan minimum ({minimum}).")
POST_LINK = N_("Full results and open data: {url}")
POST_BUTTON = N_("See the full results")
DOCUMENTS_CAPTION = N_("Report of {period}, {unit}, version {version}: IKM {konversi}.")


def channel_caption(edition: Edition) -> str:
    """The post's caption (Indonesian): unit, period, IKM konversi, mutu, n, the link."""
    _ = gettext_for(CHANNEL_LANGUAGE)
    figures = edition.figures
    shown = view.headline(figures["overall"])
    lines = [_(POST_TITLE).format(unit=edition.unit_name)]
    if shown is None:
        lines.append(_(POST_EMPTY).format(period=edition.period_name))
    else:
        lines.append(
            _(POST_FIGURES).format(
                period=edition.period_name,
                konversi=shown["konversi"],
                mutu=shown["mutu"],
                label=shown["mutu_label"],
                n=figures["overall"]["respondents"],
            )
        )
    sample = figures["sample"]
    if sample is not None and not sample["sufficient"]:
        lines.append(_(POST_SAMPLE_SHORT).format(minimum=sample["minimum"]))
    if edition.version > 1:
        lines.append(_(POST_CORRECTION).format(version=edition.version))
    if edition.early:
        lines.append(_(POST_EARLY))
    if edition.page_url:
        lines.append(_(POST_LINK).format(url=edition.page_url))
    return shorten("\n".join(lines), CAPTION_MAX)


def button_text() -> str:
    return gettext_for(CHANNEL_LANGUAGE)(POST_BUTTON)


def documents_caption(edition: Edition, language: str) -> str:
    _ = gettext_for(language)
    shown = view.headline(edition.figures["overall"])
    return _(DOCUMENTS_CAPTION).format(
        period=edition.period_name,
        unit=edition.unit_name,
        version=edition.version,
        konversi=shown["konversi"] if shown else "-",
    )
