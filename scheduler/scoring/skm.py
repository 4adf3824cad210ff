"""SKM score math of PermenPANRB 14/2017: NRR, IKM, konversi, mutu, sample size.

Pure functions, numbers in and numbers out, shared by the rollup job, the bot
and the report commands so every place prints the same IKM.

Exactness: means are kept as `fractions.Fraction` and the weight is exactly
1/9 (the regulation prints 0.111, which would cap the index at 99.90). Values
are rounded only for display and, once, for classification: mutu is decided on
the converted IKM rounded half-up to two decimals (76.605 → 76.61 → B), with
`decimal`, never float rounding. Callers that show numbers use `round_half_up`.

Ties for the weakest unsur: every unsur sharing the lowest NRR is returned, in
code order (U1…U9); the first of them is the one to name when only one fits.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

UNSUR_CODES: tuple[str, ...] = tuple(f"U{i}" for i in range(1, 10))
WEIGHT: Fraction = Fraction(1, len(UNSUR_CODES))
MIN_SCORE = 1
MAX_SCORE = 4
KONVERSI_FACTOR = 25

Number = int | float | Decimal | Fraction


@dataclass(frozen=True)
class Mutu:
    """One row of the regulation's interval table."""

    code: str  # A, B, C, D
    nilai_persepsi: int  # 4 … 1
    label_id: str  # kinerja unit pelayanan, Indonesian
    label_en: str
    konversi_min: Decimal  # inclusive bounds on the rounded converted value
    konversi_max: Decimal

    def label(self, language: str = "id") -> str:
        return self.label_en if language == "en" else self.label_id


MUTU_D = Mutu("D", 1, "Tidak baik", "Not good", Decimal("25.00"), Decimal("64.99"))
MUTU_C = Mutu("C", 2, "Kurang baik", "Poor", Decimal("65.00"), Decimal("76.60"))
MUTU_B = Mutu("B", 3, "Baik", "Good", Decimal("76.61"), Decimal("88.30"))
MUTU_A = Mutu("A", 4, "Sangat baik", "Very good", Decimal("88.31"), Decimal("100.00"))
MUTU_TABLE: tuple[Mutu, ...] = (MUTU_D, MUTU_C, MUTU_B, MUTU_A)
MUTU_BY_CODE: dict[str, Mutu] = {m.code: m for m in MUTU_TABLE}


# -- rounding ---------------------------------------------------------------


def to_decimal(value: Number) -> Decimal:
    """A Decimal for any number; floats go through their shortest repr (76.605 stays 76.605)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a score is a number, not a bool")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr is the shortest string that reads back as the same float, i.e.
        # what the caller wrote; Decimal(float) would expose 76.60499999…
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        raise TypeError("use round_half_up for a Fraction; it rounds exactly")
    raise TypeError(f"not a number: {value!r}")


def round_half_up(value: Number, places: int = 2) -> Decimal:
    """Round half away from zero to ``places`` decimals (not banker's rounding).

    Fractions are rounded exactly (no intermediate float or decimal precision
    limit), so a mean like 15321/200 lands on 76.61, never 76.60.
    """
    quantum = Decimal(1).scaleb(-places)
    if isinstance(value, Fraction):
        scaled = value * 10**places
        sign = -1 if scaled < 0 else 1
        magnitude = abs(scaled)
        whole = magnitude.numerator // magnitude.denominator
        if magnitude - whole >= Fraction(1, 2):
            whole += 1
        return (Decimal(sign * whole).scaleb(-places)).quantize(quantum)
    return to_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)


# -- the index ----------------------------------------------------------------


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"the number of responses must be a positive whole number, got {n!r}")


def nrr(total: int, n: int) -> Fraction:
    """NRR of one unsur: the sum of its scores over n responses, divided by n (1–4)."""
    _check_n(n)
    if not MIN_SCORE * n <= total <= MAX_SCORE * n:
        raise ValueError(f"a sum of {total} is impossible for {n} scores of 1–4")
    return Fraction(total, n)


def nrr_per_unsur(sums: Mapping[str, int], n: int) -> dict[str, Fraction]:
    """NRR of each of U1…U9 from per-unsur sums over the same n complete responses."""
    missing = [code for code in UNSUR_CODES if code not in sums]
    if missing:
        raise ValueError(f"missing sums for {', '.join(missing)}")
    return {code: nrr(int(sums[code]), n) for code in UNSUR_CODES}


def weighted_nrr(value: Fraction | int) -> Fraction:
    """NRR tertimbang: NRR × 1/9 (exact weight)."""
    return Fraction(value) * WEIGHT


def ikm_from_nrr(nrrs: Mapping[str, Fraction | int]) -> Fraction:
    """IKM on the 1–4 scale: the sum of the nine weighted NRR."""
    missing = [code for code in UNSUR_CODES if code not in nrrs]
    if missing:
        raise ValueError(f"missing NRR for {', '.join(missing)}")
    return sum((weighted_nrr(nrrs[code]) for code in UNSUR_CODES), Fraction(0))


def ikm_from_sums(sums: Mapping[str, int], n: int) -> Fraction:
    """IKM from per-unsur sums and the response count (what a SQL rollup yields)."""
    return ikm_from_nrr(nrr_per_unsur(sums, n))


def sums_of(responses: Iterable[Mapping[str, int]]) -> tuple[dict[str, int], int]:
    """Per-unsur sums and the count of complete responses (each a mapping U1…U9 → 1–4)."""
    sums = dict.fromkeys(UNSUR_CODES, 0)
    n = 0
    for response in responses:
        for code in UNSUR_CODES:
            score = response[code]
            if isinstance(score, bool) or not isinstance(score, int):
                raise ValueError(f"{code}: score {score!r} is not a whole number")
            if not MIN_SCORE <= score <= MAX_SCORE:
                raise ValueError(f"{code}: score {score} is outside 1–4")
            sums[code] += score
        n += 1
    return sums, n


def ikm_from_scores(responses: Iterable[Mapping[str, int]]) -> Fraction:
    """IKM of individual responses (each a mapping U1…U9 → 1–4)."""
    sums, n = sums_of(responses)
    return ikm_from_sums(sums, n)


def konversi(ikm: Fraction | int) -> Fraction:
    """IKM konversi on the 25–100 scale: IKM × 25 (unrounded)."""
    return Fraction(ikm) * KONVERSI_FACTOR


def mutu_for_konversi(value: Number) -> Mutu:
    """Mutu of a converted IKM (25–100), classified on the value rounded to 0.01.

    A value outside 25–100 is refused rather than classified: that is the
    mistake of comparing a 1–4 score against the 25–100 bands.
    """
    rounded = round_half_up(value, 2)
    if not MUTU_D.konversi_min <= rounded <= MUTU_A.konversi_max:
        raise ValueError(
            f"IKM konversi {rounded} is outside 25–100; "
            "convert a 1–4 IKM with konversi() or use mutu_for_ikm()"
        )
    # Adjacent rows meet at consecutive hundredths, so after rounding every
    # value falls in exactly one row (no gaps, no overlaps).
    for row in MUTU_TABLE:
        if rounded <= row.konversi_max:
            return row
    raise AssertionError("unreachable: the table covers 25–100")


def mutu_for_ikm(ikm: Fraction | int) -> Mutu:
    """Mutu of an IKM on the 1–4 scale (converted first, then classified)."""
    return mutu_for_konversi(konversi(ikm))


def weakest_unsur(nrrs: Mapping[str, Fraction | int]) -> tuple[str, ...]:
    """The unsur with the lowest NRR (the priority to improve).

    Ties: every unsur sharing the lowest value, in code order U1…U9; name the
    first when only one fits. Compare exact NRR (Fractions), not rounded ones,
    so 3.3333 and 3.3334 are not mistaken for a tie.
    """
    present = [code for code in UNSUR_CODES if code in nrrs]
    if not present:
        return ()
    lowest = min(Fraction(nrrs[code]) for code in present)
    return tuple(code for code in present if Fraction(nrrs[code]) == lowest)


@dataclass(frozen=True)
class IkmResult:
    """Everything the regulation reports for one group of n complete responses."""

    n: int
    sums: dict[str, int]
    nrr: dict[str, Fraction]
    nrr_weighted: dict[str, Fraction]
    ikm: Fraction
    konversi: Fraction
    konversi_rounded: Decimal  # the value classified and shown (2 decimals)
    mutu: Mutu
    weakest: tuple[str, ...]


def compute(sums: Mapping[str, int], n: int) -> IkmResult:
    """The full IKM result from per-unsur sums and the response count."""
    nrrs = nrr_per_unsur(sums, n)
    ikm = ikm_from_nrr(nrrs)
    value = konversi(ikm)
    return IkmResult(
        n=n,
        sums={code: int(sums[code]) for code in UNSUR_CODES},
        nrr=nrrs,
        nrr_weighted={code: weighted_nrr(v) for code, v in nrrs.items()},
        ikm=ikm,
        konversi=value,
        konversi_rounded=round_half_up(value, 2),
        mutu=mutu_for_konversi(value),
        weakest=weakest_unsur(nrrs),
    )


# -- sample size (Krejcie & Morgan 1970, as the regulation's table) -------------

KREJCIE_MORGAN: tuple[tuple[int, int], ...] = (
    (10, 10), (15, 14), (20, 19), (25, 24), (30, 28), (35, 32), (40, 36), (45, 40),
    (50, 44), (55, 48), (60, 52), (65, 56), (70, 59), (75, 63), (80, 66), (85, 70),
    (90, 73), (95, 76), (100, 80), (110, 86), (120, 92), (130, 97), (140, 103),
    (150, 108), (160, 113), (170, 118), (180, 123), (190, 127), (200, 132), (210, 136),
    (220, 140), (230, 144), (240, 148), (250, 152), (260, 155), (270, 159), (280, 162),
    (290, 165), (300, 169), (320, 175), (340, 181), (360, 186), (380, 191), (400, 196),
    (420, 201), (440, 205), (460, 210), (480, 214), (500, 217), (550, 226), (600, 234),
    (650, 242), (700, 248), (750, 254), (800, 260), (850, 265), (900, 269), (950, 274),
    (1000, 278), (1100, 285), (1200, 291), (1300, 297), (1400, 302), (1500, 306),
    (1600, 310), (1700, 313), (1800, 317), (1900, 320), (2000, 322), (2200, 327),
    (2400, 331), (2600, 335), (2800, 338), (3000, 341), (3500, 346), (4000, 351),
    (4500, 354), (5000, 357), (6000, 361), (7000, 364), (8000, 367), (9000, 368),
    (10000, 370), (15000, 375), (20000, 377), (30000, 379), (40000, 380), (50000, 381),
    (75000, 382), (1000000, 384),
)  # fmt: skip
_KM_POPULATIONS: tuple[int, ...] = tuple(population for population, _ in KREJCIE_MORGAN)
KREJCIE_MORGAN_MAX = 384


def krejcie_morgan_min_sample(population: int) -> int:
    """Minimum respondents for a population of N service users in the period.

    A tabulated N gives its value; an N between rows takes the next larger row
    (conservative); N above 1,000,000 gives 384; N below 10 means everyone.
    The result never exceeds N: between the small rows the next row's value can
    be larger than the population itself (N = 12 → row 15 → 14), and nobody can
    survey more users than there were, so it is capped at N (everyone).
    """
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise ValueError(f"the population must be a whole number ≥ 0, got {population!r}")
    if population < KREJCIE_MORGAN[0][0]:
        return population
    index = bisect_left(_KM_POPULATIONS, population)
    if index == len(KREJCIE_MORGAN):
        return KREJCIE_MORGAN_MAX
    return min(KREJCIE_MORGAN[index][1], population)


def sample_is_sufficient(respondents: int, population: int) -> bool:
    """Whether ``respondents`` reaches the Krejcie–Morgan minimum for ``population``."""
    return respondents >= krejcie_morgan_min_sample(population)
