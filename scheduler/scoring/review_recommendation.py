"""The recommended perilaku kerja rating and the predikat kinerja of a 360° result.

Pure functions over plain values (numbers in, numbers out), beside the
aggregation they read (`scheduler.scoring.review_math`).

Predikat kinerja (PermenPANRB 6/2022), perilaku kerja ↓ × hasil kerja →:

=================  ===============  =================  =================
perilaku \\ hasil  di bawah         sesuai             di atas
=================  ===============  =================  =================
di atas            Butuh Perbaikan  Baik               Sangat Baik
sesuai             Butuh Perbaikan  Baik               Baik
di bawah           Sangat Kurang    Kurang/Misconduct  Kurang/Misconduct
=================  ===============  =================  =================

Recommended perilaku rating: the mean is first rounded half-up to two decimals
(`round_mean`, the figure every report prints, so the printed mean and the
recommendation never disagree), then compared with the instrument's bands:
on the 3-level scale < 1.67 di bawah, 1.67 ≤ m < 2.34 sesuai, ≥ 2.34 di atas;
on 1–5 < 2.6, < 3.8, ≥ 3.8. The basis is the "others" overall (everyone but
self) when it is shown, else the supervisor's own overall, else there is none;
self-ratings never count. The supervisor confirms or overrides it.

Coverage. A basis stands for the instrument only when enough of its core
values survive anonymity: at least ``min_values`` (``RECOMMENDATION_MIN_VALUES``,
default `MIN_VALUES` = 4 of BerAKHLAK's 7; never more than the instrument
has) of its item figures must be shown. "Others" with too few shown values
gives way to the supervisor's own figures; when neither covers enough there
is no recommendation and no predikat ("belum cukup data"), and `coverage`
says how many values were shown. A recommendation names the values it rests
on (`Recommendation.values`): an overall of one core value never passes for
a verdict on all seven.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from bot.core.i18n import N_
from scheduler.scoring.review_instrument import Expectation, Instrument
from scheduler.scoring.review_math import Figure, Group, ReviewResult, round_mean


class Predikat(StrEnum):
    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang_misconduct"
    SANGAT_KURANG = "sangat_kurang"

    @property
    def label(self) -> str:
        """English message id (translate for display)."""
        return _PREDIKAT_LABELS[self]

    @property
    def label_id(self) -> str:
        """The regulation's Indonesian wording."""
        return _PREDIKAT_LABELS_ID[self]


_PREDIKAT_LABELS = {
    Predikat.SANGAT_BAIK: N_("Excellent"),
    Predikat.BAIK: N_("Good"),
    Predikat.BUTUH_PERBAIKAN: N_("Needs improvement"),
    Predikat.KURANG: N_("Poor/Misconduct"),
    Predikat.SANGAT_KURANG: N_("Very poor"),
}
_PREDIKAT_LABELS_ID = {
    Predikat.SANGAT_BAIK: "Sangat Baik",
    Predikat.BAIK: "Baik",
    Predikat.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    Predikat.KURANG: "Kurang/Misconduct",
    Predikat.SANGAT_KURANG: "Sangat Kurang",
}

_E = Expectation
# (perilaku, hasil kerja) → predikat, the nine cells of the regulation's matrix.
PREDIKAT_MATRIX: Mapping[tuple[Expectation, Expectation], Predikat] = MappingProxyType(
    {
        (_E.DI_ATAS, _E.DI_BAWAH): Predikat.BUTUH_PERBAIKAN,
        (_E.DI_ATAS, _E.SESUAI): Predikat.BAIK,
        (_E.DI_ATAS, _E.DI_ATAS): Predikat.SANGAT_BAIK,
        (_E.SESUAI, _E.DI_BAWAH): Predikat.BUTUH_PERBAIKAN,
        (_E.SESUAI, _E.SESUAI): Predikat.BAIK,
        (_E.SESUAI, _E.DI_ATAS): Predikat.BAIK,
        (_E.DI_BAWAH, _E.DI_BAWAH): Predikat.SANGAT_KURANG,
        (_E.DI_BAWAH, _E.SESUAI): Predikat.KURANG,
        (_E.DI_BAWAH, _E.DI_ATAS): Predikat.KURANG,
    }
)


def predikat(perilaku: Expectation | int, hasil_kerja: Expectation | int) -> Predikat:
    """The predikat kinerja for a perilaku and a hasil kerja rating (1, 2 or 3)."""
    return PREDIKAT_MATRIX[Expectation(perilaku), Expectation(hasil_kerja)]


def recommend_perilaku(mean: float, instrument: Instrument) -> Expectation:
    """The recommended perilaku rating for a mean on the instrument's scale."""
    shown = round_mean(mean)
    if shown >= instrument.bands.di_atas_from:
        return Expectation.DI_ATAS
    if shown >= instrument.bands.sesuai_from:
        return Expectation.SESUAI
    return Expectation.DI_BAWAH


MIN_VALUES = 4  # core values a recommendation must rest on (RECOMMENDATION_MIN_VALUES)


@dataclass(frozen=True)
class Coverage:
    """Which core values a basis has shown figures for, and how many are needed."""

    basis: Group | None  # OTHERS or SUPERVISOR; None when neither overall is shown
    values: tuple[str, ...]  # item codes with a shown figure in that basis
    total: int  # the instrument's core values
    required: int  # at least this many must be shown

    @property
    def enough(self) -> bool:
        return self.basis is not None and len(self.values) >= self.required


@dataclass(frozen=True)
class Recommendation:
    basis: Group  # OTHERS, or SUPERVISOR when others are not shown (or cover too little)
    mean: float
    n: int
    perilaku: Expectation
    hasil_kerja: Expectation | None
    predikat: Predikat | None  # only with a hasil kerja rating
    values: tuple[str, ...] = ()  # the core values (item codes) the mean rests on
    total: int = 0  # the instrument's core values


def coverage(
    result: ReviewResult, instrument: Instrument, min_values: int = MIN_VALUES
) -> Coverage:
    """The basis of a recommendation: "others" when shown and covering enough values,
    else the supervisor's; when neither covers enough, the first shown one (to say how
    little it covers), else none."""
    total = len(instrument.item_codes)
    required = max(1, min(min_values, total))
    found: list[Coverage] = []
    for basis in (Group.OTHERS, Group.SUPERVISOR):
        group = result.groups[basis]
        if not isinstance(group.overall, Figure):
            continue
        shown = tuple(code for code in result.item_codes if isinstance(group.items[code], Figure))
        found.append(Coverage(basis, shown, total, required))
    for candidate in found:
        if candidate.enough:
            return candidate
    return found[0] if found else Coverage(None, (), total, required)


def recommend(
    result: ReviewResult,
    instrument: Instrument,
    hasil_kerja: Expectation | int | None = None,
    *,
    min_values: int = MIN_VALUES,
) -> Recommendation | None:
    """The recommended perilaku rating (and predikat with a hasil kerja rating), or None.

    Based on the shown "others" overall, else on the supervisor's overall, whichever
    first covers ``min_values`` core values; None when neither does (self-ratings
    alone never recommend).
    """
    if result.instrument_code != instrument.code:
        raise ValueError("the result was aggregated with another instrument")
    covered = coverage(result, instrument, min_values)
    if not covered.enough or covered.basis is None:
        return None
    cell = result.groups[covered.basis].overall
    assert isinstance(cell, Figure)
    perilaku = recommend_perilaku(cell.mean, instrument)
    hasil = Expectation(hasil_kerja) if hasil_kerja is not None else None
    return Recommendation(
        basis=covered.basis,
        mean=cell.mean,
        n=cell.n,
        perilaku=perilaku,
        hasil_kerja=hasil,
        predikat=predikat(perilaku, hasil) if hasil is not None else None,
        values=covered.values,
        total=covered.total,
    )
