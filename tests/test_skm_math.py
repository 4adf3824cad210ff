"""The SKM math of PermenPANRB 14/2017 against the worked example and every boundary."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from scheduler.scoring import skm

ALL_4 = dict.fromkeys(skm.UNSUR_CODES, 4)
ALL_3 = dict.fromkeys(skm.UNSUR_CODES, 3)
MIXED = dict(zip(skm.UNSUR_CODES, (4, 4, 3, 3, 4, 4, 2, 3, 4), strict=True))
WORKED = (ALL_4, ALL_3, MIXED)


def test_worked_example_nrr_per_unsur():
    sums, n = skm.sums_of(WORKED)
    assert n == 3
    nrrs = skm.nrr_per_unsur(sums, n)
    for code in ("U1", "U2", "U5", "U6", "U9"):
        assert nrrs[code] == Fraction(11, 3)
        assert skm.round_half_up(nrrs[code], 3) == Decimal("3.667")
    for code in ("U3", "U4", "U8"):
        assert nrrs[code] == Fraction(10, 3)
        assert skm.round_half_up(nrrs[code], 3) == Decimal("3.333")
    assert nrrs["U7"] == 3


def test_worked_example_ikm_konversi_and_mutu():
    ikm = skm.ikm_from_scores(WORKED)
    assert ikm == Fraction(5 * 11 + 3 * 10 + 9, 27)  # (5×11/3 + 3×10/3 + 3) / 9
    assert skm.round_half_up(ikm, 4) == Decimal("3.4815")
    assert skm.round_half_up(skm.konversi(ikm), 2) == Decimal("87.04")
    mutu = skm.mutu_for_ikm(ikm)
    assert (mutu.code, mutu.label_id, mutu.label_en) == ("B", "Baik", "Good")
    assert mutu.label("en") == "Good"


def test_compute_from_sums_matches_the_example():
    sums, n = skm.sums_of(WORKED)
    result = skm.compute(sums, n)
    assert result.n == 3
    assert result.sums["U7"] == 9
    assert result.nrr_weighted["U7"] == Fraction(1, 3)
    assert result.ikm == skm.ikm_from_sums(sums, n)
    assert result.konversi_rounded == Decimal("87.04")
    assert result.mutu.code == "B"
    assert result.weakest == ("U7",)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (25.00, "D"),
        (64.99, "D"),
        (64.994, "D"),
        (64.995, "C"),  # rounds to 65.00: no gap between D and C
        (65.00, "C"),
        (76.60, "C"),
        (76.604, "C"),
        (76.605, "B"),  # float 76.605 is 76.60499…: must still round half-up to 76.61
        (76.61, "B"),
        (88.30, "B"),
        (88.304, "B"),
        (88.305, "A"),
        (88.31, "A"),
        (88.9, "A"),  # truncating to 88 would turn A into B
        (100.00, "A"),
        (100, "A"),
        (Decimal("76.605"), "B"),
        (Fraction(15321, 200), "B"),  # exactly 76.605
        (Fraction(12999, 200), "C"),  # exactly 64.995
        (Fraction(17661, 200), "A"),  # exactly 88.305
    ],
)
def test_every_interval_boundary(value, code):
    assert skm.mutu_for_konversi(value).code == code


def test_rounding_is_half_up_not_bankers():
    assert skm.round_half_up(76.605) == Decimal("76.61")
    assert skm.round_half_up(64.995) == Decimal("65.00")
    assert skm.round_half_up(88.305) == Decimal("88.31")
    assert skm.round_half_up(0.125) == Decimal("0.13")  # banker's would give 0.12
    assert skm.round_half_up(Fraction(1, 8)) == Decimal("0.13")
    assert skm.round_half_up(Fraction(2, 3), 4) == Decimal("0.6667")


def test_labels_of_every_row():
    assert [(m.code, m.label_id, m.label_en) for m in skm.MUTU_TABLE] == [
        ("D", "Tidak baik", "Not good"),
        ("C", "Kurang baik", "Poor"),
        ("B", "Baik", "Good"),
        ("A", "Sangat baik", "Very good"),
    ]


def test_bands_have_no_gaps_at_any_hundredth():
    previous = None
    for hundredths in range(2500, 10001):
        mutu = skm.mutu_for_konversi(Decimal(hundredths).scaleb(-2))
        if previous is not None and mutu is not previous:
            assert mutu.nilai_persepsi == previous.nilai_persepsi + 1
        previous = mutu
    assert previous is skm.MUTU_A


@pytest.mark.parametrize("one_to_four", [1, 2.5996, 3.4815, 4])
def test_a_1_to_4_score_is_not_compared_with_the_25_to_100_bands(one_to_four):
    with pytest.raises(ValueError, match="outside 25–100"):
        skm.mutu_for_konversi(one_to_four)


def test_1_to_4_scale_is_converted_before_classification():
    # 3.4815 read on the 25–100 bands would be "D"; converted it is B.
    assert skm.mutu_for_ikm(Fraction(34815, 10000)).code == "B"
    assert skm.mutu_for_ikm(Fraction(26, 10)).code == "C"  # 65.00
    assert skm.mutu_for_ikm(1).code == "D"


def test_exact_weight_all_4s_gives_100_not_99_90():
    assert skm.WEIGHT == Fraction(1, 9)
    result = skm.compute(dict.fromkeys(skm.UNSUR_CODES, 40), 10)
    assert result.ikm == 4
    assert result.konversi_rounded == Decimal("100.00")
    assert result.mutu.code == "A"
    # The printed weight 0.111 is what caps public apps at 99.90.
    assert skm.round_half_up(Decimal("0.111") * 9 * 4 * 25) == Decimal("99.90")


def test_all_1s_gives_25():
    result = skm.compute(dict.fromkeys(skm.UNSUR_CODES, 7), 7)
    assert result.konversi_rounded == Decimal("25.00")
    assert result.mutu.code == "D"


def test_exact_arithmetic_at_a_boundary_that_floats_miss():
    # 5000 responses whose IKM konversi is exactly 76.605: float arithmetic
    # gives 76.60499999…; exact fractions put it in B as the table says.
    n = 5000
    total = 137889  # 25 × total / (9 n) = 76.605
    sums = dict.fromkeys(skm.UNSUR_CODES, total // 9)
    sums["U1"] += total - sum(sums.values())
    result = skm.compute(sums, n)
    assert result.konversi == Fraction(15321, 200)
    assert result.konversi_rounded == Decimal("76.61")
    assert result.mutu.code == "B"


def test_weakest_unsur_ties_are_all_listed_in_code_order():
    nrrs = dict.fromkeys(skm.UNSUR_CODES, Fraction(3))
    nrrs["U8"] = Fraction(2)
    nrrs["U3"] = Fraction(2)
    assert skm.weakest_unsur(nrrs) == ("U3", "U8")
    assert skm.weakest_unsur(dict.fromkeys(skm.UNSUR_CODES, 4)) == skm.UNSUR_CODES
    assert skm.weakest_unsur({}) == ()
    # Exact comparison: close is not tied.
    nrrs = dict.fromkeys(skm.UNSUR_CODES, Fraction(4))
    nrrs["U2"] = Fraction(10, 3)
    nrrs["U5"] = Fraction(33334, 10000)
    assert skm.weakest_unsur(nrrs) == ("U2",)


@pytest.mark.parametrize(
    ("sums", "n"),
    [
        (dict.fromkeys(skm.UNSUR_CODES, 3), 0),
        (dict.fromkeys(skm.UNSUR_CODES, 13), 3),  # above 4 × n
        (dict.fromkeys(skm.UNSUR_CODES, 2), 3),  # below 1 × n
        ({"U1": 3}, 1),  # missing unsur
    ],
)
def test_impossible_sums_are_refused(sums, n):
    with pytest.raises(ValueError):
        skm.ikm_from_sums(sums, n)


def test_scores_outside_1_to_4_are_refused():
    with pytest.raises(ValueError):
        skm.sums_of([{**ALL_4, "U3": 5}])
    with pytest.raises(ValueError):
        skm.sums_of([{**ALL_4, "U3": 0}])


# -- Krejcie–Morgan ------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "minimum"),
    [
        (10, 10),
        (15, 14),
        (100, 80),
        (250, 152),
        (1000, 278),
        (2000, 322),
        (3500, 346),
        (10000, 370),
        (75000, 382),
        (1000000, 384),
    ],
)
def test_krejcie_morgan_table_points(population, minimum):
    assert skm.krejcie_morgan_min_sample(population) == minimum


def test_krejcie_morgan_every_table_row():
    for population, minimum in skm.KREJCIE_MORGAN:
        assert skm.krejcie_morgan_min_sample(population) == minimum


@pytest.mark.parametrize(
    ("population", "minimum"),
    [
        (101, 86),  # between 100 and 110 → row 110
        (109, 86),
        (301, 175),  # → row 320
        (1001, 285),  # → row 1100
        (2100, 327),  # → row 2200
        (76000, 384),  # → row 1,000,000
        (999999, 384),
        (46, 44),  # → row 50
    ],
)
def test_krejcie_morgan_between_rows_takes_the_next_larger_row(population, minimum):
    assert skm.krejcie_morgan_min_sample(population) == minimum


@pytest.mark.parametrize(
    ("population", "minimum"),
    [
        (0, 0),
        (1, 1),
        (9, 9),  # below 10: everyone
        (12, 12),  # next row (15 → 14) exceeds N: capped at everyone
        (16, 16),  # next row (20 → 19) exceeds N
        (31, 31),  # next row (35 → 32) exceeds N
        (37, 36),  # next row (40 → 36) does not
        (1000001, 384),
        (10**9, 384),
    ],
)
def test_krejcie_morgan_extremes(population, minimum):
    assert skm.krejcie_morgan_min_sample(population) == minimum


def test_krejcie_morgan_refuses_negative_or_non_integers():
    with pytest.raises(ValueError):
        skm.krejcie_morgan_min_sample(-1)
    with pytest.raises(ValueError):
        skm.krejcie_morgan_min_sample(10.5)  # type: ignore[arg-type]


def test_sample_is_sufficient():
    assert skm.sample_is_sufficient(80, 100)
    assert not skm.sample_is_sufficient(79, 100)
    assert skm.sample_is_sufficient(5, 5)
