"""The texts of ``/kriteria``: the 360° criteria as every ASN may read them, page by page.

Everything a page states about scoring is read from the data and the pure
functions the scoring itself uses, never restated by hand: the scale and its
guidance (`Instrument.scale`), the core values and indicators
(`Instrument.items`), the recommendation bands (`Instrument.bands`), the
blind-spot threshold (`Instrument.gap_threshold`), the coverage rule
(`review_recommendation.coverage`'s ``min_values``, capped as it caps it),
the predikat matrix (`review_recommendation.PREDIKAT_MATRIX`) and the
anonymity minimum (``MIN_ANONYMOUS_RATERS``). So a deployment that changes
its instrument or its settings explains the change without editing a text.

`criteria_pages` returns the pages in order; page 0 is the table of contents
(its buttons are `page_titles`). Every page fits one Telegram message.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import N_, Translate
from scheduler.messages.review_reports import number
from scheduler.scoring.instrument_examples import FIRST_VERSION, Examples
from scheduler.scoring.review_instrument import (
    CANNOT_ASSESS,
    CANNOT_ASSESS_MEANING,
    Expectation,
    Instrument,
    Item,
)
from scheduler.scoring.review_recommendation import PREDIKAT_MATRIX

PAGE_LIMIT = 4000  # Telegram's 4096, with room for the page counter


@dataclass(frozen=True)
class CriteriaFacts:
    """The settings the criteria depend on (``MIN_ANONYMOUS_RATERS``,
    ``RECOMMENDATION_MIN_VALUES``)."""

    min_raters: int
    min_values: int


@dataclass(frozen=True)
class Page:
    title: str  # translated, for the contents button
    text: str


def _scale_page(instrument: Instrument, _: Translate) -> Page:
    lines = [
        _("The rating scale"),
        "",
        _(
            "Each core value is rated on these levels. Rate what you have seen in the "
            "period, not the person's reputation or how close you are to them."
        ),
    ]
    for level in instrument.scale.levels:
        lines += ["", f"{level.value}. {_(level.label)}"]
        if level.meaning:
            lines.append(_(level.meaning))
        if level.example:
            lines.append(_("Example: {example}").format(example=_(level.example)))
    if instrument.scale.cannot_assess is not None:
        lines += ["", f"– {_(instrument.scale.cannot_assess)}", _(CANNOT_ASSESS_MEANING)]
    return Page(_("The rating scale"), "\n".join(lines))


def _value_page(index: int, item: Item, total: int, examples: Examples, _: Translate) -> Page:
    lines = [
        _("Core value {n}/{total}: {name}").format(n=index, total=total, name=_(item.name)),
        "",
        _("Behaviour indicators (the regulation's wording, never changed):"),
    ]
    for n, text in enumerate(item.indicators):
        lines.append(f"• {_(text)}")
        lines += [
            "   " + _("Example agreed in our consultation: {text}").format(text=example)
            for example in examples.get((item.code, n), ())
        ]
    lines += [
        "",
        _(
            "A rater asks: in the period, how did this colleague show these behaviours "
            "in their work? Each indicator is an example of the value, not a checklist."
        ),
    ]
    return Page(f"{item.code} {_(item.name)}", "\n".join(lines))


def _computation_page(
    instrument: Instrument, facts: CriteriaFacts, _: Translate, lang: str
) -> Page:
    bands = instrument.bands
    total = len(instrument.item_codes)
    required = max(1, min(facts.min_values, total))
    lines = [
        _("How the recommended rating is computed"),
        "",
        _(
            "1. Each core value's mean is taken over the raters who scored it; "
            '"{cannot}" is not a score. Means are rounded half up to two decimals, the '
            "figure every report prints."
        ).format(cannot=_(instrument.scale.cannot_assess or CANNOT_ASSESS)),
        _(
            "2. The basis is everyone but you (supervisor, peers and subordinates) when "
            "their figures may be shown, otherwise your supervisor's own rating. Your "
            "self-assessment never counts towards it."
        ),
        _(
            "3. The basis must cover at least {required} of the {total} core values "
            "with a shown figure; otherwise there is no recommendation and no predikat "
            '("not enough data yet").'
        ).format(required=required, total=total),
        _("4. The overall mean of the basis gives the recommended perilaku kerja rating:"),
        "   "
        + _("below {low}: {label}").format(
            low=number(bands.sesuai_from, lang), label=_(Expectation.DI_BAWAH.label)
        ),
        "   "
        + _("{low} up to below {high}: {label}").format(
            low=number(bands.sesuai_from, lang),
            high=number(bands.di_atas_from, lang),
            label=_(Expectation.SESUAI.label),
        ),
        "   "
        + _("{high} or more: {label}").format(
            high=number(bands.di_atas_from, lang), label=_(Expectation.DI_ATAS.label)
        ),
        _(
            "5. A blind spot is flagged when your self-rating lies {gap} or more above "
            "the others' mean (a hidden strength when as far below)."
        ).format(gap=number(instrument.gap_threshold, lang)),
        "",
        _(
            "This is a recommendation for the Pejabat Penilai Kinerja (your direct "
            "supervisor), who decides the rating, may override it (the override is "
            "recorded), and rates your work results (hasil kerja). Nothing follows "
            "from a score automatically."
        ),
    ]
    return Page(_("How the rating is computed"), "\n".join(lines))


def _matrix_page(_: Translate) -> Page:
    lines = [
        _("Predikat kinerja: perilaku kerja × hasil kerja"),
        "",
        _("The predikat combines the supervisor's two ratings, as PermenPANRB 6/2022 sets out:"),
    ]
    for perilaku in reversed(Expectation):
        lines += ["", _("Perilaku {level}:").format(level=_(perilaku.label))]
        for hasil in Expectation:
            lines.append(
                "• "
                + _("hasil kerja {level} → {predikat}").format(
                    level=_(hasil.label), predikat=_(PREDIKAT_MATRIX[perilaku, hasil].label)
                )
            )
    return Page(_("Predikat matrix"), "\n".join(lines))


def _anonymity_page(facts: CriteriaFacts, _: Translate) -> Page:
    m = facts.min_raters
    lines = [
        _("Anonymity"),
        "",
        _("• Your self-assessment and your supervisor's rating are shown by name."),
        _(
            "• Peers and subordinates are shown only as a group, and only when at least "
            '{m} of them rated. A smaller group is pooled into "others"; then the '
            "larger group is hidden too, so that nobody can subtract one figure from "
            "another to find a few people's answers."
        ).format(m=m),
        _(
            '• The same rule holds for each core value: a rater who chose "cannot '
            "assess\" may make a value's group too small to show."
        ),
        _(
            "• Comments from peers and subordinates are released only when at least {m} "
            "different people wrote one, without names, in random order."
        ).format(m=m),
        _(
            "• Results are released when the cycle closes, never while ratings come in, "
            "so nobody can watch a figure move and guess who just rated."
        ),
    ]
    return Page(_("Anonymity"), "\n".join(lines))


def _audience_page(_: Translate) -> Page:
    lines = [
        _("Who sees what"),
        "",
        _(
            "• You: your own report after the cycle closes (/hasil), with the figures "
            "the anonymity rules allow and the recommendation."
        ),
        _(
            "• Your direct supervisor: the same figures about you and the team summary; "
            "they decide the rating. Never who gave which answer."
        ),
        _("• Colleagues: nothing of your results, and never what you answered about them."),
        _(
            "• BKPSDM and unit admins: how many reviews are done, and patterns worth a "
            "look (for example a rater who gives everyone the same answer). Never anyone's "
            "individual answers."
        ),
        _(
            "• Your answers are stored as you give them and leave the database only "
            "aggregated under these rules."
        ),
    ]
    return Page(_("Who sees what"), "\n".join(lines))


def _contents(pages: list[Page], instrument: Instrument, version: int, _: Translate) -> Page:
    lines = [
        _("360° assessment criteria"),
        "",
        _(
            "What colleagues rate you on, what each level means, how the recommendation "
            "and the predikat are computed, and who sees what. The same rules and "
            "figures the scoring uses. Choose a topic:"
        ),
        "",
    ]
    lines += [f"{n}. {page.title}" for n, page in enumerate(pages, start=1)]
    lines += [
        "",
        _("Instrument: {code}, version {version}").format(code=instrument.code, version=version),
    ]
    return Page(_("Contents"), "\n".join(lines))


def criteria_pages(
    instrument: Instrument,
    facts: CriteriaFacts,
    _: Translate,
    language: str,
    *,
    examples: Examples | None = None,
    version: int = FIRST_VERSION,
) -> list[Page]:
    """Every page of ``/kriteria`` in order: contents, scale, one per core value (with the
    examples adopted in ``version``), the computation, the matrix, anonymity, who sees what."""
    total = len(instrument.items)
    body = [
        _scale_page(instrument, _),
        *(
            _value_page(n, item, total, examples or {}, _)
            for n, item in enumerate(instrument.items, start=1)
        ),
        _computation_page(instrument, facts, _, language),
        _matrix_page(_),
        _anonymity_page(facts, _),
        _audience_page(_),
    ]
    return [_contents(body, instrument, version, _), *body]


PAGE_COUNTER = N_("Page {n} of {total}")
