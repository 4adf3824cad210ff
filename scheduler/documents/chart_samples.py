"""Sample data for every chart the bot sends, so ``ulasan preview charts`` can draw them.

The figures go through the same pure functions as real ones (`review_math.aggregate`
under the anonymity rule, `skm.compute` for the IKM), so a preview shows what a
head or an employee would really receive: a suppressed group as "—" with its
note, a long unit name, an unsur name that needs two lines. Nothing here reads
a database.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from scheduler.ikm_views import Line, UnitIkm
from scheduler.scoring import skm
from scheduler.scoring.review_instrument import Instrument, Relation
from scheduler.scoring.review_math import Rating, aggregate
from scheduler.scoring.shipped_instruments import BERAKHLAK_3, BERAKHLAK_5
from storage.ikm_queries import Totals
from storage.review_result_types import Completion, CycleInfo, Person, RateeResults
from storage.survey_digest import WeekFigures, WeekSpan

CLOSED_AT = datetime(2026, 7, 1, tzinfo=UTC)
UNIT_NAME = "Dinas Kependudukan dan Pencatatan Sipil Kota Contoh"


@dataclass(frozen=True)
class Preview:
    """One picture of the preview: its file stem and how to draw it in a language."""

    stem: str
    draw: Callable[[str], bytes | None]


def _ratings(instrument: Instrument, raters: dict[Relation, int], seed: int) -> list[Rating]:
    """Answers of ``raters`` (per relation, how many) on every item, reproducibly random."""
    rng = random.Random(seed)
    values = instrument.scale.values
    ratings: list[Rating] = []
    rater_id = 0
    for relation, count in raters.items():
        for _ in range(count):
            rater_id += 1
            for item in instrument.item_codes:
                value = rng.choice(values[1:] if relation is Relation.SELF else values)
                ratings.append(Rating(rater_id, relation, item, value))
    return ratings


def ratee_results(instrument: Instrument = BERAKHLAK_3, *, few_peers: bool = False) -> RateeResults:
    """A ratee's results: self, the supervisor, peers (two of them with ``few_peers``, below
    the anonymity minimum) and subordinates."""
    raters = {
        Relation.SELF: 1,
        Relation.SUPERVISOR: 1,
        Relation.PEER: 2 if few_peers else 4,
        Relation.SUBORDINATE: 0 if few_peers else 3,
    }
    result = aggregate(_ratings(instrument, raters, seed=18), instrument)
    return RateeResults(
        cycle=CycleInfo(1, "Semester I 2026", date(2026, 6, 30), CLOSED_AT, instrument.code),
        ratee=Person(1, "198001012005011001", "Siti Rahmawati, S.Kom.", "DUKCAPIL", UNIT_NAME),
        instrument=instrument,
        result=result,
        recommendation=None,
        hasil_kerja=None,
        decision=None,
        received=Completion(sum(raters.values()), sum(raters.values())),
        supervisor_id=None,
    )


def _week(start: date, n: int, means: dict[str, float]) -> WeekFigures:
    """A week with ``n`` respondents whose unsur sums give these means."""
    sums = {code: round(means[code] * n) for code in skm.UNSUR_CODES}
    span = WeekSpan(start, date.fromordinal(start.toordinal() + 6))
    return WeekFigures(span, Totals(n=n, sums=sums, comments=3), alerts=1)


def digest_weeks() -> tuple[WeekFigures, WeekFigures]:
    """Last week and the week before, as the Monday digest draws them."""
    before = dict(zip(skm.UNSUR_CODES, (3.3, 3.1, 3.0, 3.6, 3.2, 3.4, 3.0, 2.6, 2.9), strict=True))
    last = dict(zip(skm.UNSUR_CODES, (3.5, 3.2, 3.3, 3.7, 3.4, 3.5, 3.1, 2.9, 3.0), strict=True))
    return _week(date(2026, 11, 16), 42, last), _week(date(2026, 11, 9), 37, before)


def _line(code: str, name: str, n: int, means: tuple[float, ...]) -> Line:
    sums = {c: round(m * n) for c, m in zip(skm.UNSUR_CODES, means, strict=True)}
    return Line(code, name, n, skm.compute(sums, n) if n else None)


def unit_ikm() -> UnitIkm:
    """A head's month: the unit, three sub-units (one without respondents), five services."""
    good = (3.6, 3.5, 3.4, 3.9, 3.5, 3.6, 3.5, 3.2, 3.3)
    fair = (3.1, 3.0, 2.8, 3.6, 3.0, 3.1, 2.9, 2.5, 2.7)
    low = (2.4, 2.3, 2.1, 3.0, 2.5, 2.6, 2.2, 2.0, 2.2)
    sub_units = (
        _line("DAFDUK", "Bidang Pelayanan Pendaftaran Penduduk", 64, good),
        _line("CAPIL", "Bidang Pelayanan Pencatatan Sipil", 38, fair),
        _line("UPT-UTARA", "UPT Kecamatan Utara", 0, good),
    )
    services = (
        _line("KTP-EL", "Penerbitan KTP Elektronik (KTP-el)", 40, good),
        _line("KK", "Penerbitan Kartu Keluarga", 24, fair),
        _line("AKTA-LAHIR", "Penerbitan Akta Kelahiran", 30, fair),
        _line("AKTA-MATI", "Penerbitan Akta Kematian", 8, low),
        _line("IKD", "Aktivasi Identitas Kependudukan Digital (IKD)", 0, good),
    )
    overall = _line("DISDUKCAPIL", UNIT_NAME, 102, fair)
    first, last = date(2026, 11, 1), date(2026, 11, 30)
    return UnitIkm("DISDUKCAPIL", UNIT_NAME, first, last, overall, sub_units, services)


def previews() -> list[Preview]:
    """Every chart the bot sends, drawn from the samples above."""
    from scheduler.documents import ikm_chart, review_chart, weekly_digest_chart

    last, before = digest_weeks()
    return [
        Preview("review-360", lambda lang: review_chart.render_chart(ratee_results(), lang)),
        Preview(
            "review-360-few-raters",
            lambda lang: review_chart.render_chart(ratee_results(few_peers=True), lang),
        ),
        Preview(
            "review-360-scale-1-5",
            lambda lang: review_chart.render_chart(ratee_results(BERAKHLAK_5), lang),
        ),
        Preview(
            "weekly-digest",
            lambda lang: weekly_digest_chart.render_chart(UNIT_NAME, last, before, lang),
        ),
        Preview("ikm-on-request", lambda lang: ikm_chart.render_chart(unit_ikm(), lang)),
    ]
