"""Score math of 360° reviews: predikat, recommendation, aggregation, anonymity, rater patterns."""

from __future__ import annotations

import dataclasses
import random
import statistics
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.scoring.rater_patterns import CycleRating, Direction, Extreme, rater_patterns
from scheduler.scoring.review_instrument import Expectation, Relation
from scheduler.scoring.review_instrument_config import instrument_from_dict
from scheduler.scoring.review_math import (
    IMPROVE,
    KEEP,
    MIN_ANONYMOUS_RATERS,
    Comment,
    Figure,
    Gap,
    GapFlag,
    Group,
    Rating,
    Reason,
    Suppressed,
    aggregate,
    release_comments,
    round_mean,
    shrunk_mean,
)
from scheduler.scoring.review_recommendation import (
    Predikat,
    coverage,
    predikat,
    recommend,
    recommend_perilaku,
)
from scheduler.scoring.shipped_instruments import BERAKHLAK_3, BERAKHLAK_5

B, S, A = Expectation.DI_BAWAH, Expectation.SESUAI, Expectation.DI_ATAS
SELF, SUP, PEER, SUB = Relation.SELF, Relation.SUPERVISOR, Relation.PEER, Relation.SUBORDINATE
CODES = BERAKHLAK_3.item_codes

# Two items on the 3-level scale keep the worked examples small enough to check by hand.
TWO = instrument_from_dict(
    {
        "code": "two",
        "scale": {"levels": [{"value": v, "label": str(v)} for v in (1, 2, 3)]},
        "items": [{"code": "A", "name": "A"}, {"code": "B", "name": "B"}],
    }
)


def rate(rater: int, relation: Relation, value: int | None = 2, **items: int | None):
    """All seven core values at ``value``, with per-item exceptions."""
    return [Rating(rater, relation, code, items.get(code, value)) for code in CODES]


def team(*, peers: int = 0, subs: int = 0, supervisor: bool = True, own: bool = True):
    ratings = []
    if own:
        ratings += rate(1, SELF, 3)
    if supervisor:
        ratings += rate(2, SUP, 2)
    for i in range(peers):
        ratings += rate(100 + i, PEER, 2)
    for i in range(subs):
        ratings += rate(200 + i, SUB, 3)
    return ratings


def reason(cell) -> Reason:
    assert isinstance(cell, Suppressed), cell
    return cell.reason


# -- predikat --------------------------------------------------------------


@pytest.mark.parametrize(
    ("perilaku", "hasil", "expected", "indonesian", "english"),
    [
        (A, B, Predikat.BUTUH_PERBAIKAN, "Butuh Perbaikan", "Needs improvement"),
        (A, S, Predikat.BAIK, "Baik", "Good"),
        (A, A, Predikat.SANGAT_BAIK, "Sangat Baik", "Excellent"),
        (S, B, Predikat.BUTUH_PERBAIKAN, "Butuh Perbaikan", "Needs improvement"),
        (S, S, Predikat.BAIK, "Baik", "Good"),
        (S, A, Predikat.BAIK, "Baik", "Good"),
        (B, B, Predikat.SANGAT_KURANG, "Sangat Kurang", "Very poor"),
        (B, S, Predikat.KURANG, "Kurang/Misconduct", "Poor/Misconduct"),
        (B, A, Predikat.KURANG, "Kurang/Misconduct", "Poor/Misconduct"),
    ],
)
def test_predikat_matrix_all_nine_cells(perilaku, hasil, expected, indonesian, english):
    assert predikat(perilaku, hasil) is expected
    assert predikat(int(perilaku), int(hasil)) is expected  # stored as small integers
    assert expected.label_id == indonesian
    assert expected.label == english


def test_expectation_codes_and_labels():
    assert [(e.code, e.label_id) for e in Expectation] == [
        ("di_bawah", "Di bawah ekspektasi"),
        ("sesuai", "Sesuai ekspektasi"),
        ("di_atas", "Di atas ekspektasi"),
    ]


def test_predikat_rejects_values_off_the_scale():
    with pytest.raises(ValueError):
        predikat(4, 2)


# -- recommendation thresholds ----------------------------------------------


@pytest.mark.parametrize(
    ("mean", "expected"),
    [
        (1.0, B),
        (1.66, B),
        (1.6649, B),  # printed 1.66
        (1.665, S),  # printed 1.67
        (5 / 3, S),  # 1.666…, printed 1.67: what is printed is what is judged
        (1.67, S),
        (2.0, S),
        (2.33, S),
        (7 / 3, S),  # 2.333…, printed 2.33
        (2.3349, S),
        (2.335, A),  # printed 2.34
        (2.34, A),
        (3.0, A),
    ],
)
def test_three_level_thresholds(mean, expected):
    assert recommend_perilaku(mean, BERAKHLAK_3) is expected


@pytest.mark.parametrize(
    ("mean", "expected"),
    [(1.0, B), (2.59, B), (2.6, S), (3.0, S), (3.79, S), (3.794, S), (3.795, A), (3.8, A), (5, A)],
)
def test_five_level_thresholds(mean, expected):
    assert recommend_perilaku(mean, BERAKHLAK_5) is expected


def test_round_mean_is_half_up_on_decimal_digits():
    assert round_mean(2.335) == 2.34  # round() would give 2.33 on the binary float
    assert round_mean(2.345) == 2.35
    assert round_mean(5 / 3) == 1.67
    assert round_mean(-0.125) == -0.13


# -- shrunk mean -------------------------------------------------------------


def test_shrunk_mean():
    assert shrunk_mean(3.0, 3, 2.0) == 2.5  # 3 raters vs prior weight 3: halfway
    assert shrunk_mean(3.0, 0, 2.2) == 2.2
    assert shrunk_mean(2.5, 12, 2.0, prior_weight=3) == pytest.approx(2.4)
    # Two perfect ratings no longer outrank twelve good ones.
    assert shrunk_mean(3.0, 2, 2.0) < shrunk_mean(2.8, 12, 2.0)
    with pytest.raises(ValueError):
        shrunk_mean(2.0, -1, 2.0)
    with pytest.raises(ValueError):
        shrunk_mean(2.0, 1, 2.0, prior_weight=0)


# -- aggregation: worked examples --------------------------------------------


def test_worked_example_with_cannot_assess():
    """Self 3/3; supervisor A=2, B cannot assess; peers A=2,3,3 and B=1,2,cannot."""
    ratings = [
        Rating(1, SELF, "A", 3),
        Rating(1, SELF, "B", 3),
        Rating(2, SUP, "A", 2),
        Rating(2, SUP, "B", None),
        Rating(11, PEER, "A", 2),
        Rating(11, PEER, "B", 1),
        Rating(12, PEER, "A", 3),
        Rating(12, PEER, "B", 2),
        Rating(13, PEER, "A", 3),
        Rating(13, PEER, "B", None),
    ]
    result = aggregate(ratings, TWO)

    assert result.cell(Group.SELF) == Figure(3.0, 1)
    assert result.cell(Group.SUPERVISOR, "A") == Figure(2.0, 1)
    assert reason(result.cell(Group.SUPERVISOR, "B")) is Reason.NO_SCORES
    assert result.cell(Group.SUPERVISOR) == Figure(2.0, 1)

    # A: peers (2+3+3)/3; others add the supervisor: (2+2+3+3)/4.
    assert result.cell(Group.PEERS, "A") == Figure(pytest.approx(8 / 3), 3)
    assert result.cell(Group.OTHERS, "A") == Figure(2.5, 4)
    # B: only two peers scored it and the supervisor could not assess: nothing to show.
    assert reason(result.cell(Group.PEERS, "B")) is Reason.BELOW_MINIMUM
    assert reason(result.cell(Group.OTHERS, "B")) is Reason.BELOW_MINIMUM
    # Overall = mean of the shown item means (only A here).
    assert result.cell(Group.PEERS) == Figure(pytest.approx(8 / 3), 3)
    assert result.cell(Group.OTHERS) == Figure(2.5, 4)
    assert reason(result.cell(Group.SUBORDINATES)) is Reason.NO_SCORES

    assert result.gaps["A"] == Gap(3.0, 2.5, 0.5, GapFlag.BLIND_SPOT)
    assert reason(result.gaps["B"]) is Reason.BELOW_MINIMUM
    assert result.overall_gap == Gap(3.0, 2.5, 0.5, GapFlag.BLIND_SPOT)

    # Only one of the two core values survived: that is no basis for a verdict on both.
    assert recommend(result, TWO, hasil_kerja=2) is None
    covered = coverage(result, TWO)
    assert (covered.basis, covered.values, covered.required, covered.enough) == (
        Group.OTHERS,
        ("A",),
        2,
        False,
    )
    # With a coverage of one value (RECOMMENDATION_MIN_VALUES=1) it would be given.
    rec = recommend(result, TWO, hasil_kerja=2, min_values=1)
    assert rec is not None
    assert (rec.basis, rec.mean, rec.n, rec.values) == (Group.OTHERS, 2.5, 4, ("A",))
    assert rec.perilaku is A  # 2.5 ≥ 2.34
    assert rec.predikat is Predikat.BAIK  # di atas × sesuai


def test_worked_example_pooling_and_item_differencing():
    """Supervisor 3/3; peers A=1,2,3 B=2,2,2; subordinates A=3,3,3 B=cannot,3,3."""
    ratings = [Rating(2, SUP, "A", 3), Rating(2, SUP, "B", 3)]
    for rater, (a, b) in {11: (1, 2), 12: (2, 2), 13: (3, 2)}.items():
        ratings += [Rating(rater, PEER, "A", a), Rating(rater, PEER, "B", b)]
    for rater, (a, b) in {21: (3, None), 22: (3, 3), 23: (3, 3)}.items():
        ratings += [Rating(rater, SUB, "A", a), Rating(rater, SUB, "B", b)]
    result = aggregate(ratings, TWO)

    assert result.cell(Group.PEERS, "A") == Figure(2.0, 3)
    assert result.cell(Group.SUBORDINATES, "A") == Figure(3.0, 3)
    assert result.cell(Group.OTHERS, "A") == Figure(pytest.approx(18 / 7), 7)
    # On B only 2 subordinates scored: peers B and others B together would reveal them.
    assert result.cell(Group.OTHERS, "B") == Figure(2.5, 6)  # (3 + 2+2+2 + 3+3) / 6
    assert reason(result.cell(Group.PEERS, "B")) is Reason.DIFFERENCING
    assert reason(result.cell(Group.SUBORDINATES, "B")) is Reason.BELOW_MINIMUM
    # Overalls come from shown items only.
    assert result.cell(Group.PEERS) == Figure(2.0, 3)
    assert result.cell(Group.SUBORDINATES) == Figure(3.0, 3)
    assert result.cell(Group.OTHERS) == Figure(pytest.approx((18 / 7 + 2.5) / 2), 7)
    # No self-assessment: no gaps, but still a recommendation.
    assert reason(result.overall_gap) is Reason.NO_SCORES
    assert recommend(result, TWO).perilaku is A  # 2.54


def test_gap_flags_blind_spot_and_hidden_strength():
    ratings = rate(1, SELF, 2, B1=3, B2=1, B3=3)
    ratings += rate(2, SUP, 2)
    for i in range(3):
        ratings += rate(10 + i, PEER, 2, B3=3)
    gaps = aggregate(ratings, BERAKHLAK_3).gaps
    assert gaps["B1"].flag is GapFlag.BLIND_SPOT  # 3 − 2
    assert gaps["B2"].flag is GapFlag.HIDDEN_STRENGTH  # 1 − 2
    assert gaps["B3"] == Gap(3.0, 2.75, 0.25, None)  # below the 0.5 threshold
    assert gaps["B4"].flag is None


# -- anonymity -----------------------------------------------------------------


def shown(result) -> set[Group]:
    return {g for g, r in result.groups.items() if r.shown}


@pytest.mark.parametrize(
    ("peers", "subs", "supervisor", "visible", "why"),
    [
        (2, 0, True, {Group.SELF, Group.SUPERVISOR}, {"peers": "below", "others": "below"}),
        (3, 0, True, {Group.SELF, Group.SUPERVISOR, Group.PEERS, Group.OTHERS}, {}),
        (2, 0, False, {Group.SELF}, {"peers": "below", "others": "below"}),
        (3, 0, False, {Group.SELF, Group.PEERS, Group.OTHERS}, {}),
        (0, 3, True, {Group.SELF, Group.SUPERVISOR, Group.SUBORDINATES, Group.OTHERS}, {}),
        (
            3,
            3,
            True,
            {Group.SELF, Group.SUPERVISOR, Group.PEERS, Group.SUBORDINATES, Group.OTHERS},
            {},
        ),
        # a small group is pooled, and the large one hidden so it cannot be subtracted
        (3, 1, True, {Group.SELF, Group.SUPERVISOR, Group.OTHERS}, {"peers": "diff"}),
        (3, 2, False, {Group.SELF, Group.OTHERS}, {"peers": "diff", "subordinates": "below"}),
        (2, 3, True, {Group.SELF, Group.SUPERVISOR, Group.OTHERS}, {"subordinates": "diff"}),
        (2, 1, True, {Group.SELF, Group.SUPERVISOR, Group.OTHERS}, {"peers": "below"}),
        (1, 1, True, {Group.SELF, Group.SUPERVISOR}, {"others": "below"}),
        (0, 0, True, {Group.SELF, Group.SUPERVISOR}, {"others": "below", "peers": "none"}),
        (0, 0, False, {Group.SELF}, {"others": "none"}),
    ],
)
def test_group_visibility(peers, subs, supervisor, visible, why):
    result = aggregate(team(peers=peers, subs=subs, supervisor=supervisor), BERAKHLAK_3)
    assert shown(result) == visible
    codes = {"below": Reason.BELOW_MINIMUM, "diff": Reason.DIFFERENCING, "none": Reason.NO_SCORES}
    for group, code in why.items():
        assert reason(result.cell(Group(group))) is codes[code]
    for group in Group:
        if group not in visible:  # no item breakdown of a group not reported
            assert all(isinstance(c, Suppressed) for c in result.groups[group].items.values())


def test_others_never_equals_supervisor_plus_too_few_peers():
    """Supervisor + 2 peers makes 3 "others", but the pool without the supervisor is 2."""
    result = aggregate(team(peers=2), BERAKHLAK_3)
    assert reason(result.cell(Group.OTHERS)) is Reason.BELOW_MINIMUM
    assert recommend(result, BERAKHLAK_3).basis is Group.SUPERVISOR


def test_min_raters_two_and_validation():
    result = aggregate(team(peers=2), BERAKHLAK_3, min_raters=2)
    assert result.cell(Group.PEERS) == Figure(2.0, 2)
    assert result.cell(Group.OTHERS) == Figure(2.0, 3)
    with pytest.raises(ValueError, match="at least 2"):
        aggregate(team(peers=2), BERAKHLAK_3, min_raters=1)


def test_item_level_suppression_when_a_peer_cannot_assess():
    ratings = team(peers=3)
    ratings = [r for r in ratings if not (r.rater_id == 100 and r.item_code == "B5")]
    ratings.append(Rating(100, PEER, "B5", None))
    result = aggregate(ratings, BERAKHLAK_3)
    assert result.cell(Group.PEERS) == Figure(2.0, 3)
    assert reason(result.cell(Group.PEERS, "B5")) is Reason.BELOW_MINIMUM
    assert reason(result.cell(Group.OTHERS, "B5")) is Reason.BELOW_MINIMUM  # sup + 2 peers
    assert reason(result.gaps["B5"]) is Reason.BELOW_MINIMUM
    assert result.cell(Group.SUPERVISOR, "B5") == Figure(2.0, 1)  # attributed: always shown


def test_item_level_differencing_when_a_subordinate_cannot_assess():
    ratings = [r for r in team(peers=4, subs=3) if not (r.rater_id == 200 and r.item_code == "B2")]
    ratings.append(Rating(200, SUB, "B2", None))
    result = aggregate(ratings, BERAKHLAK_3)
    assert shown(result) == set(Group)  # overall every group passes
    assert result.cell(Group.OTHERS, "B2") == Figure(pytest.approx((2 + 4 * 2 + 2 * 3) / 7), 7)
    assert reason(result.cell(Group.PEERS, "B2")) is Reason.DIFFERENCING
    assert reason(result.cell(Group.SUBORDINATES, "B2")) is Reason.BELOW_MINIMUM
    # The subordinates' overall leaves B2 out: no way to recover the two B2 scores from it.
    assert result.cell(Group.SUBORDINATES) == Figure(3.0, 3)


def test_suppressed_cells_carry_no_numbers():
    assert [f.name for f in dataclasses.fields(Suppressed)] == ["reason"]
    result = aggregate(team(peers=2, subs=1), BERAKHLAK_3)
    for group_result in result.groups.values():
        for cell in (group_result.overall, *group_result.items.values()):
            assert isinstance(cell, Figure | Suppressed)


# Property: whatever the answers, the shown anonymous sets never let a reader derive the
# scores of fewer than min_raters peers/subordinates (supervisor and self are known).
answer = st.one_of(st.none(), st.integers(1, 3))
rater_answers = st.tuples(answer, answer, answer)


@settings(max_examples=300, deadline=None)
@given(
    peers=st.lists(rater_answers, max_size=6),
    subs=st.lists(rater_answers, max_size=6),
    boss=st.one_of(st.none(), rater_answers),
    m=st.integers(2, 4),
)
def test_no_shown_figures_reveal_a_small_anonymous_set(peers, subs, boss, m):
    inst = instrument_from_dict(
        {
            "code": "three",
            "scale": {"levels": [{"value": v, "label": str(v)} for v in (1, 2, 3)]},
            "items": [{"code": c, "name": c} for c in ("X", "Y", "Z")],
        }
    )
    ratings = []
    if boss is not None:
        ratings += [Rating(1, SUP, c, v) for c, v in zip("XYZ", boss, strict=True)]
    for i, values in enumerate(peers):
        ratings += [Rating(100 + i, PEER, c, v) for c, v in zip("XYZ", values, strict=True)]
    for i, values in enumerate(subs):
        ratings += [Rating(200 + i, SUB, c, v) for c, v in zip("XYZ", values, strict=True)]
    result = aggregate(ratings, inst, min_raters=m)

    def scorers(relation, item):
        return frozenset(
            r.rater_id
            for r in ratings
            if r.relation is relation and r.item_code == item and r.value is not None
        )

    for item in "XYZ":
        p, b = scorers(PEER, item), scorers(SUB, item)
        sets = []
        if isinstance(result.cell(Group.PEERS, item), Figure):
            sets.append(p)
        if isinstance(result.cell(Group.SUBORDINATES, item), Figure):
            sets.append(b)
        if isinstance(result.cell(Group.OTHERS, item), Figure):
            sets.append(p | b)  # minus the known supervisor
        derivable = set(sets)
        changed = True
        while changed:
            changed = False
            for x in list(derivable):
                for y in list(derivable):
                    if y < x and (x - y) not in derivable:
                        derivable.add(x - y)
                        changed = True
        assert all(len(s) == 0 or len(s) >= m for s in derivable), (item, derivable)

    for group, group_result in result.groups.items():
        cells = [c for c in group_result.items.values() if isinstance(c, Figure)]
        if cells:  # the overall is a function of shown item figures only
            assert group_result.overall.mean == pytest.approx(
                statistics.fmean(c.mean for c in cells)
            )
        else:
            assert isinstance(group_result.overall, Suppressed), group


def test_inconsistent_input_is_refused():
    with pytest.raises(ValueError, match="not in berakhlak3"):
        aggregate([Rating(1, PEER, "B9", 2)], BERAKHLAK_3)
    with pytest.raises(ValueError, match="not on the scale"):
        aggregate([Rating(1, PEER, "B1", 4)], BERAKHLAK_3)
    with pytest.raises(ValueError, match="answered B1 twice"):
        aggregate([Rating(1, PEER, "B1", 2), Rating(1, PEER, "B1", 3)], BERAKHLAK_3)
    with pytest.raises(ValueError, match="two relations"):
        aggregate([Rating(1, PEER, "B1", 2), Rating(1, SUB, "B2", 3)], BERAKHLAK_3)
    with pytest.raises(ValueError, match="more than one self"):
        aggregate([Rating(1, SELF, "B1", 2), Rating(2, SELF, "B1", 3)], BERAKHLAK_3)


def test_recommendation_needs_others_or_supervisor():
    only_self = aggregate(rate(1, SELF, 3), BERAKHLAK_3)
    assert recommend(only_self, BERAKHLAK_3) is None
    result = aggregate(team(peers=3), BERAKHLAK_3)
    rec = recommend(result, BERAKHLAK_3)
    assert (rec.basis, rec.perilaku, rec.hasil_kerja, rec.predikat) == (Group.OTHERS, S, None, None)
    with pytest.raises(ValueError, match="another instrument"):
        recommend(result, BERAKHLAK_5)


def test_five_point_aggregation_and_recommendation():
    ratings = [Rating(2, SUP, c, 4) for c in CODES]
    for i in range(3):
        ratings += [Rating(10 + i, PEER, c, 3 + (i == 0)) for c in CODES]  # 4, 3, 3
    result = aggregate(ratings, BERAKHLAK_5)
    assert result.cell(Group.OTHERS) == Figure(3.5, 4)
    rec = recommend(result, BERAKHLAK_5, hasil_kerja=A)
    assert (rec.perilaku, rec.predikat) == (S, Predikat.BAIK)  # 2.6 ≤ 3.5 < 3.8


# -- comments ------------------------------------------------------------------


def comment_set(peers: int, subs: int = 0, kind: str = KEEP):
    out = [Comment(1, SELF, kind, "I am punctual"), Comment(2, SUP, kind, "Solid year")]
    out += [Comment(100 + i, PEER, kind, f"peer note {i}") for i in range(peers)]
    out += [Comment(200 + i, SUB, kind, f"sub note {i}") for i in range(subs)]
    return out


def test_comments_need_the_minimum_of_anonymous_writers():
    released = release_comments(comment_set(peers=2), rng=random.Random(1))
    assert released.anonymous[KEEP] == Suppressed(Reason.BELOW_MINIMUM)
    assert released.own[KEEP] == ("I am punctual",)
    assert released.supervisor[KEEP] == ("Solid year",)  # attributed, not part of the pool

    released = release_comments(comment_set(peers=2, subs=1), rng=random.Random(1))
    texts = released.anonymous[KEEP]
    assert sorted(texts) == ["peer note 0", "peer note 1", "sub note 0"]
    assert all(isinstance(t, str) for t in texts)  # bare texts: no rater, no relation


def test_comments_are_counted_per_kind_and_blank_ones_ignored():
    comments = [
        *comment_set(peers=3),
        Comment(100, PEER, IMPROVE, "more docs"),
        Comment(101, PEER, IMPROVE, "  "),
    ]
    released = release_comments(comments)
    assert len(released.anonymous[KEEP]) == 3
    assert released.anonymous[IMPROVE] == Suppressed(Reason.BELOW_MINIMUM)


def test_comment_order_is_random_but_depends_only_on_the_seed():
    comments = comment_set(peers=4)
    orders = {
        release_comments(list(p), rng=random.Random(7)).anonymous[KEEP]
        for p in permutations(comments)
    }
    assert len(orders) == 1  # submission order (or rater ids) leave no trace
    expected = sorted(f"peer note {i}" for i in range(4))
    random.Random(7).shuffle(expected)
    assert orders.pop() == tuple(expected)
    seeds = {release_comments(comments, rng=random.Random(s)).anonymous[KEEP] for s in range(20)}
    assert len(seeds) > 1


def test_aggregate_releases_comments_with_the_same_minimum():
    result = aggregate(team(peers=3), BERAKHLAK_3, comments=comment_set(peers=3), min_raters=4)
    assert reason(result.comments.anonymous[KEEP]) is Reason.BELOW_MINIMUM
    with pytest.raises(ValueError, match="two 'keep' comments"):
        release_comments([Comment(100, PEER, KEEP, "a"), Comment(100, PEER, KEEP, "b")])


# -- rater patterns ------------------------------------------------------------


def cycle(rater: int, ratee: int, values, relation: Relation = PEER):
    if isinstance(values, int):
        values = [values] * len(CODES)
    return [CycleRating(rater, ratee, relation, c, v) for c, v in zip(CODES, values, strict=True)]


def test_reciprocal_pairs_at_the_extremes():
    ratings = cycle(1, 2, 3) + cycle(2, 1, 3)  # mutual all-highest
    ratings += cycle(3, 4, 1) + cycle(4, 3, 1, SUB)  # mutual all-lowest, any relation
    ratings += cycle(5, 6, 3) + cycle(6, 5, 1)  # opposite extremes: not this pattern
    ratings += cycle(7, 8, 3) + cycle(8, 7, [3, 3, 3, 3, 3, 3, 2])  # one non-extreme answer
    few = [3, 3, None, None, None, None, None]
    ratings += cycle(9, 10, few) + cycle(10, 9, few)  # two scores are too few to judge
    ratings += cycle(11, 11, 3, SELF) + cycle(12, 13, 3)  # self / one-way
    patterns = rater_patterns(ratings, BERAKHLAK_3)
    assert [(p.rater_a, p.rater_b, p.extreme) for p in patterns.reciprocal] == [
        (1, 2, Extreme.HIGHEST),
        (3, 4, Extreme.LOWEST),
    ]


def test_straight_lining_across_colleagues():
    same = [2, 3, 2, None, 2, 2, 3]
    ratings = cycle(1, 10, same) + cycle(1, 11, same) + cycle(1, 12, same)
    ratings += cycle(2, 10, same) + cycle(2, 11, [2, 3, 2, 2, 2, 2, 3])  # differs on B4
    ratings += cycle(3, 10, same)  # one colleague only
    ratings += cycle(4, 4, same, SELF) + cycle(4, 10, same)  # self is not a colleague
    flags = rater_patterns(ratings, BERAKHLAK_3).straight_lining
    assert [(f.rater_id, f.ratees) for f in flags] == [(1, 3)]


def test_leniency_and_severity_by_z_score():
    ratings = []
    # Raters 1–4 average 2 over three colleagues; rater 5 averages 3: z = 2 exactly.
    for rater in range(1, 5):
        for ratee, value in zip((20, 21, 22), (1, 2, 3), strict=True):
            ratings += cycle(rater, ratee, value)
    for ratee in (20, 21, 22):
        ratings += cycle(5, ratee, 3)
    ratings += cycle(6, 20, 1) + cycle(6, 21, 1)  # only two colleagues: not judged
    outliers = rater_patterns(ratings, BERAKHLAK_3).outliers
    assert [(o.rater_id, o.direction, o.z, o.ratees) for o in outliers] == [
        (5, Direction.LENIENT, 2.0, 3)
    ]

    severe = [r for r in ratings if r.rater_id != 5]
    for ratee in (20, 21, 22):
        severe += cycle(5, ratee, 1)
    outliers = rater_patterns(severe, BERAKHLAK_3).outliers
    assert [(o.rater_id, o.direction) for o in outliers] == [(5, Direction.SEVERE)]

    # Four raters: the largest possible |z| is √3 < 2, so nobody is flagged.
    fewer = [r for r in ratings if r.rater_id not in (4, 6)]
    assert rater_patterns(fewer, BERAKHLAK_3).outliers == ()


def test_minimum_is_three_by_default():
    assert MIN_ANONYMOUS_RATERS == 3


# -- recommendation coverage: enough core values must survive anonymity -----------------


def _peers_who_cannot_assess(*unassessable: str, supervisor: bool = False) -> list[Rating]:
    """Three peers; two of them answer "cannot assess" on ``unassessable``."""
    ratings = rate(11, PEER, 1)
    skipped = dict.fromkeys(unassessable)
    ratings += rate(12, PEER, 1, **skipped) + rate(13, PEER, 1, **skipped)
    if supervisor:
        ratings += rate(2, SUP, 3)
    return ratings


def test_one_surviving_core_value_gives_no_recommendation_and_no_predikat():
    """The issue's ratee: 3 peers, two could not assess B1…B6; only B7 survives."""
    result = aggregate(_peers_who_cannot_assess(*CODES[:6]), BERAKHLAK_3)
    assert result.cell(Group.OTHERS) == Figure(1.0, 3)  # the overall of B7 alone
    assert recommend(result, BERAKHLAK_3, hasil_kerja=2) is None
    covered = coverage(result, BERAKHLAK_3)
    assert (covered.basis, covered.values, covered.total, covered.required) == (
        Group.OTHERS,
        ("B7",),
        7,
        4,
    )
    assert not covered.enough


def test_the_supervisor_stands_in_when_others_cover_too_little():
    result = aggregate(_peers_who_cannot_assess(*CODES[:6], supervisor=True), BERAKHLAK_3)
    rec = recommend(result, BERAKHLAK_3, hasil_kerja=2)
    assert rec is not None
    assert (rec.basis, rec.values, rec.total) == (Group.SUPERVISOR, CODES, 7)
    assert rec.perilaku is A and rec.predikat is Predikat.BAIK


@pytest.mark.parametrize(("skipped", "given"), [(3, True), (4, False)])
def test_four_of_seven_is_the_threshold(skipped: int, given: bool):
    result = aggregate(_peers_who_cannot_assess(*CODES[:skipped]), BERAKHLAK_3)
    rec = recommend(result, BERAKHLAK_3)
    assert (rec is not None) is given
    if rec is not None:
        assert rec.values == CODES[skipped:] and rec.mean == 1.0


def test_the_minimum_is_a_setting_and_never_above_the_instrument():
    result = aggregate(_peers_who_cannot_assess(*CODES[:6]), BERAKHLAK_3)
    assert recommend(result, BERAKHLAK_3, min_values=1) is not None
    full = aggregate(_peers_who_cannot_assess(), BERAKHLAK_3)
    assert recommend(full, BERAKHLAK_3, min_values=7) is not None
    assert recommend(result, BERAKHLAK_3, min_values=7) is None
    assert coverage(full, BERAKHLAK_3, min_values=20).required == 7  # capped at 7
