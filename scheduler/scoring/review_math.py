"""Score math of 360° reviews: aggregation with anonymity, recommendation, predikat.

Pure functions over plain values; the storage queries, the bot, the CLI and the
exports all call these, so every one of them shows the same figures and, above
all, suppresses the same ones. Nothing here reads a database or a clock.

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

Figures. For each relation group (self, supervisor, peers, subordinates) and
for "others" (supervisor + peers + subordinates): the mean per item over the
scores given (a "cannot assess" answer is no score, and a rater counts for an
item only if they scored it), and the overall = the mean of the group's SHOWN
item means, so every core value weighs the same and a suppressed item never
leaks through the overall. Each shown figure carries n, the number of raters
behind it (for the overall: raters who scored at least one of those items).
The gap per item is self − others where both are shown; the overall gap is the
mean of those item gaps. A gap ≥ the instrument's ``gap_threshold`` (after
rounding to two decimals) flags a blind spot, ≤ −threshold a hidden strength.

ANONYMITY RULE (m = min_raters, default `MIN_ANONYMOUS_RATERS` = 3, at least 2).
Self and supervisor are attributed: shown whenever they scored, even as a
group of one. Peers and subordinates are anonymous. Let p and b be the numbers
of peers and subordinates who scored (at least one item for the overall level,
that item for the item level). The supervisor never counts towards the pool.

===================  =============  =============  ===========
p, b                 peers          subordinates   others
===================  =============  =============  ===========
p ≥ m, b = 0         shown          NO_SCORES      shown
p = 0, b ≥ m         NO_SCORES      shown          shown
p ≥ m, b ≥ m         shown          shown          shown
p ≥ m, 0 < b < m     DIFFERENCING   BELOW_MINIMUM  shown
0 < p < m, b ≥ m     BELOW_MINIMUM  DIFFERENCING   shown
0 < p, b < m ≤ p+b   BELOW_MINIMUM  BELOW_MINIMUM  shown
p + b < m            BELOW_MINIMUM  BELOW_MINIMUM  BELOW_MINIMUM
                     or NO_SCORES   or NO_SCORES   (NO_SCORES if nobody)
===================  =============  =============  ===========

(Reason codes name why a figure is suppressed.)

Why this is enough: a reader knows the self and supervisor figures (and is
perhaps the supervisor), and the n of every shown figure, so from shown means
they can compute exactly three anonymous sets: peers, subordinates and
others − supervisor = peers + subordinates, and, when both others and one
group are shown, others − supervisor − that group = the other group. Each
row above shows only figures whose derivable sets all have 0 or ≥ m raters: a
small group is pooled into "others" only when the pool without the supervisor
reaches m, and a large group is then hidden because others minus it would
reveal the small one (pooling wins over showing the large group on its own,
so nobody's answers are dropped). Removing figures never reveals more, so:

- the same table is applied per item with that item's p and b, and an item
  figure is shown only if its group is also shown at the overall level (no
  breakdown by item of a group that is not reported);
- the overall and the gaps are computed from shown item figures only, so
  they add nothing that could be derived;
- when a rater answered "cannot assess" the item's p or b drops, which can
  suppress that item (e.g. 4 peers, 3 subordinates overall but only 2
  subordinates on B5: B5 shows others only).

What is still visible: counts. Shown figures carry n and suppressed ones a
reason, so a reader can tell "no peers scored" from "too few peers"; counts
say how many rated, never what they answered. Results are per ratee; any
breakdown across ratees (unit, team) must apply the same rule to its own
groups. Results must be released only after the cycle closes (the caller).

Comments: the ratee's own and the supervisor's are attributed; peers' and
subordinates' comments form one anonymous pool per kind (keep doing /
improve), released only when at least m distinct raters in the pool wrote
one, as bare texts (no rater, no relation) in random order (sorted first, then
shuffled with the given RNG, so the order depends on the seed only).

Result types cannot hold a suppressed figure: a cell is either a `Figure`
(mean, n) or a `Suppressed` (reason only).

Rater patterns (`rater_patterns`, for admins, never blocking); self-ratings
are ignored and a rater's answers on a ratee count only with ≥
`PATTERN_MIN_SCORES` scores:

- reciprocal extremes: A rated B and B rated A, and every score each gave the
  other is the scale's highest (both "all-highest") or both gave only the
  lowest;
- straight-lining: a rater who rated ≥ 2 colleagues and gave every one of
  them exactly the same answer on every item (cannot-assess included);
- leniency / severity: for raters who rated ≥ `OUTLIER_MIN_RATEES` colleagues,
  the rater's mean (of their per-ratee means) as a z-score against the mean
  and population standard deviation of all such raters' means; |z| ≥
  `OUTLIER_Z` (2) flags lenient (z > 0) or severe. With N such raters |z| can
  never exceed √(N − 1), so flags need at least 5 of them.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType

from bot.core.i18n import N_
from scheduler.scoring.review_instrument import Expectation, Instrument, Relation

MIN_ANONYMOUS_RATERS = 3
# Pseudo-raters at the unit mean added by `shrunk_mean`: a mean of 3 raters
# moves halfway to the unit mean; one of 12 keeps 80% of its own weight.
DEFAULT_PRIOR_WEIGHT = 3.0
PATTERN_MIN_SCORES = 3
OUTLIER_MIN_RATEES = 3
OUTLIER_Z = 2.0
_Z_TOLERANCE = 1e-9  # z computed as exactly 2 can land at 1.9999999999999998

# Comment kinds (the two free-text questions), as in ReviewAssignment columns.
KEEP = "keep"
IMPROVE = "improve"


# -- predikat -------------------------------------------------------------


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


# -- recommendation and small helpers --------------------------------------


def round_mean(value: float, digits: int = 2) -> float:
    """Round half-up as people expect (2.335 → 2.34), not half-even on binary floats."""
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def recommend_perilaku(mean: float, instrument: Instrument) -> Expectation:
    """The recommended perilaku rating for a mean on the instrument's scale."""
    shown = round_mean(mean)
    if shown >= instrument.bands.di_atas_from:
        return Expectation.DI_ATAS
    if shown >= instrument.bands.sesuai_from:
        return Expectation.SESUAI
    return Expectation.DI_BAWAH


def shrunk_mean(
    mean: float, n: int, prior_mean: float, prior_weight: float = DEFAULT_PRIOR_WEIGHT
) -> float:
    """A Bayesian (shrunk) mean for ranking: ``(n·mean + k·prior) / (n + k)``.

    ``n`` raters at ``mean`` are pooled with ``k = prior_weight`` imaginary
    raters at ``prior_mean`` (the unit mean), so two enthusiastic ratings do not
    outrank twelve good ones. Use it to rank only; show the plain mean and n.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if prior_weight <= 0:
        raise ValueError("prior_weight must be above 0")
    return (n * mean + prior_weight * prior_mean) / (n + prior_weight)


# -- aggregation -----------------------------------------------------------


class Group(StrEnum):
    SELF = "self"
    SUPERVISOR = "supervisor"
    PEERS = "peers"
    SUBORDINATES = "subordinates"
    OTHERS = "others"  # everyone but self

    @property
    def label(self) -> str:
        return _GROUP_LABELS[self]


_GROUP_LABELS = {
    Group.SELF: N_("Self"),
    Group.SUPERVISOR: N_("Supervisor"),
    Group.PEERS: N_("Peers"),
    Group.SUBORDINATES: N_("Subordinates"),
    Group.OTHERS: N_("Others"),
}

GROUP_OF: Mapping[Relation, Group] = MappingProxyType(
    {
        Relation.SELF: Group.SELF,
        Relation.SUPERVISOR: Group.SUPERVISOR,
        Relation.PEER: Group.PEERS,
        Relation.SUBORDINATE: Group.SUBORDINATES,
    }
)


class Reason(StrEnum):
    """Why a figure is not shown."""

    NO_SCORES = "no_scores"  # nobody in the group scored this
    BELOW_MINIMUM = "below_minimum"  # fewer raters than the minimum
    DIFFERENCING = "differencing"  # together with a shown figure it would reveal a smaller group
    GROUP_SUPPRESSED = "group_suppressed"  # no item breakdown of a group that is not reported


class GapFlag(StrEnum):
    BLIND_SPOT = "blind_spot"  # self much higher than others
    HIDDEN_STRENGTH = "hidden_strength"  # self much lower than others

    @property
    def label(self) -> str:
        return _GAP_LABELS[self]


_GAP_LABELS = {GapFlag.BLIND_SPOT: N_("Blind spot"), GapFlag.HIDDEN_STRENGTH: N_("Hidden strength")}


@dataclass(frozen=True)
class Rating:
    """One answer of one rater about the ratee; value None = cannot assess."""

    rater_id: int
    relation: Relation
    item_code: str
    value: int | None


@dataclass(frozen=True)
class Comment:
    rater_id: int
    relation: Relation
    kind: str  # KEEP or IMPROVE
    text: str


@dataclass(frozen=True)
class Figure:
    mean: float
    n: int  # raters behind the mean


@dataclass(frozen=True)
class Suppressed:
    reason: Reason


Cell = Figure | Suppressed


@dataclass(frozen=True)
class GroupResult:
    group: Group
    overall: Cell
    items: Mapping[str, Cell]  # item code → cell, in instrument order

    @property
    def shown(self) -> bool:
        return isinstance(self.overall, Figure)


@dataclass(frozen=True)
class Gap:
    self_mean: float
    others_mean: float
    gap: float  # self − others
    flag: GapFlag | None


@dataclass(frozen=True)
class Comments:
    own: Mapping[str, tuple[str, ...]]  # the ratee's self-assessment comments, by kind
    supervisor: Mapping[str, tuple[str, ...]]  # attributed to the supervisor, by kind
    anonymous: Mapping[str, tuple[str, ...] | Suppressed]  # peers + subordinates, by kind


@dataclass(frozen=True)
class ReviewResult:
    """Everything that may leave the database about one ratee in one cycle."""

    instrument_code: str
    min_raters: int
    item_codes: tuple[str, ...]
    groups: Mapping[Group, GroupResult]
    gaps: Mapping[str, Gap | Suppressed]
    overall_gap: Gap | Suppressed
    comments: Comments

    def cell(self, group: Group, item_code: str | None = None) -> Cell:
        result = self.groups[group]
        return result.overall if item_code is None else result.items[item_code]


@dataclass(frozen=True)
class Recommendation:
    basis: Group  # OTHERS, or SUPERVISOR when others are not shown
    mean: float
    n: int
    perilaku: Expectation
    hasil_kerja: Expectation | None
    predikat: Predikat | None  # only with a hasil kerja rating


def _visibility(peers: int, subordinates: int, anyone: bool, m: int) -> dict[Group, Reason | None]:
    """The anonymity table of the module docstring for one level (None = shown)."""

    def alone(own: int, other: int) -> Reason | None:
        if own == 0:
            return Reason.NO_SCORES
        if own < m:
            return Reason.BELOW_MINIMUM
        if 0 < other < m:
            return Reason.DIFFERENCING  # others − supervisor − this group = the small one
        return None

    if peers + subordinates >= m:
        others = None
    else:
        others = Reason.BELOW_MINIMUM if anyone else Reason.NO_SCORES
    return {
        Group.PEERS: alone(peers, subordinates),
        Group.SUBORDINATES: alone(subordinates, peers),
        Group.OTHERS: others,
    }


def _validate(ratings: Iterable[Rating], instrument: Instrument) -> list[Rating]:
    out: list[Rating] = []
    relation_of: dict[int, Relation] = {}
    seen: set[tuple[int, str]] = set()
    codes = set(instrument.item_codes)
    for rating in ratings:
        relation = Relation(rating.relation)
        if rating.item_code not in codes:
            raise ValueError(f"item {rating.item_code!r} is not in {instrument.code}")
        if rating.value is not None and rating.value not in instrument.scale:
            raise ValueError(f"value {rating.value!r} is not on the scale of {instrument.code}")
        if relation_of.setdefault(rating.rater_id, relation) is not relation:
            raise ValueError(f"rater {rating.rater_id} appears in two relations")
        key = (rating.rater_id, rating.item_code)
        if key in seen:
            raise ValueError(f"rater {rating.rater_id} answered {rating.item_code} twice")
        seen.add(key)
        out.append(Rating(rating.rater_id, relation, rating.item_code, rating.value))
    if sum(1 for r in relation_of.values() if r is Relation.SELF) > 1:
        raise ValueError("more than one self rater")
    return out


def _mean(values: Iterable[float]) -> float:
    return statistics.fmean(values)


def aggregate(
    ratings: Iterable[Rating],
    instrument: Instrument,
    *,
    comments: Iterable[Comment] = (),
    min_raters: int = MIN_ANONYMOUS_RATERS,
    rng: random.Random | None = None,
) -> ReviewResult:
    """Aggregate one ratee's ratings in one cycle under the anonymity rule.

    ``ratings``: every answer of every rater about this ratee (submitted
    reviews); ``comments``: their non-empty free texts. Raises ValueError on
    inconsistent input (unknown item, value off the scale, a rater twice on
    one item or in two relations, two self raters).
    """
    if min_raters < 2:
        raise ValueError("min_raters must be at least 2 (1 would make peers identifiable)")
    m = min_raters
    answers = _validate(ratings, instrument)
    codes = instrument.item_codes

    # scores[group][item] = {rater: value}; "others" collects every non-self rater.
    scores: dict[Group, dict[str, dict[int, int]]] = {g: defaultdict(dict) for g in Group}
    for a in answers:
        if a.value is None:
            continue
        group = GROUP_OF[a.relation]
        scores[group][a.item_code][a.rater_id] = a.value
        if group is not Group.SELF:
            scores[Group.OTHERS][a.item_code][a.rater_id] = a.value

    def raters(group: Group, item: str | None = None) -> set[int]:
        if item is not None:
            return set(scores[group].get(item, {}))
        return {r for per_item in scores[group].values() for r in per_item}

    level = _visibility(
        len(raters(Group.PEERS)),
        len(raters(Group.SUBORDINATES)),
        bool(raters(Group.OTHERS)),
        m,
    )

    def item_cell(group: Group, item: str) -> Cell:
        given = scores[group].get(item, {})
        if group in (Group.SELF, Group.SUPERVISOR):
            if not given:
                return Suppressed(Reason.NO_SCORES)
            return Figure(_mean(given.values()), len(given))
        if level[group] is Reason.NO_SCORES:
            return Suppressed(Reason.NO_SCORES)
        if level[group] is not None:
            return Suppressed(Reason.GROUP_SUPPRESSED)
        reason = _visibility(
            len(raters(Group.PEERS, item)),
            len(raters(Group.SUBORDINATES, item)),
            bool(given),
            m,
        )[group]
        if reason is not None:
            return Suppressed(reason)
        return Figure(_mean(given.values()), len(given))

    groups: dict[Group, GroupResult] = {}
    for group in Group:
        items = {code: item_cell(group, code) for code in codes}
        shown = [code for code in codes if isinstance(items[code], Figure)]
        overall: Cell
        group_reason = level.get(group)
        if shown:
            behind = set().union(*(raters(group, code) for code in shown))
            overall = Figure(_mean(_figure(items[c]).mean for c in shown), len(behind))
        elif group_reason is not None:
            overall = Suppressed(group_reason)
        elif not raters(group):
            overall = Suppressed(Reason.NO_SCORES)
        else:
            overall = Suppressed(Reason.BELOW_MINIMUM)
        groups[group] = GroupResult(group, overall, MappingProxyType(items))

    gaps = {
        code: _gap(groups[Group.SELF].items[code], groups[Group.OTHERS].items[code], instrument)
        for code in codes
    }
    both = [g for g in gaps.values() if isinstance(g, Gap)]
    overall_gap: Gap | Suppressed
    if both:
        overall_gap = _make_gap(
            _mean(g.self_mean for g in both), _mean(g.others_mean for g in both), instrument
        )
    elif isinstance(groups[Group.SELF].overall, Suppressed):
        overall_gap = groups[Group.SELF].overall
    elif isinstance(groups[Group.OTHERS].overall, Suppressed):
        overall_gap = groups[Group.OTHERS].overall
    else:
        overall_gap = Suppressed(Reason.NO_SCORES)  # self and others scored different items

    return ReviewResult(
        instrument_code=instrument.code,
        min_raters=m,
        item_codes=codes,
        groups=MappingProxyType(groups),
        gaps=MappingProxyType(gaps),
        overall_gap=overall_gap,
        comments=release_comments(comments, min_raters=m, rng=rng),
    )


def _figure(cell: Cell) -> Figure:
    assert isinstance(cell, Figure)
    return cell


def _make_gap(self_mean: float, others_mean: float, instrument: Instrument) -> Gap:
    gap = self_mean - others_mean
    shown = round_mean(gap)
    flag = None
    if shown >= instrument.gap_threshold:
        flag = GapFlag.BLIND_SPOT
    elif shown <= -instrument.gap_threshold:
        flag = GapFlag.HIDDEN_STRENGTH
    return Gap(self_mean, others_mean, gap, flag)


def _gap(own: Cell, others: Cell, instrument: Instrument) -> Gap | Suppressed:
    if isinstance(own, Suppressed):
        return own
    if isinstance(others, Suppressed):
        return others
    return _make_gap(own.mean, others.mean, instrument)


def release_comments(
    comments: Iterable[Comment],
    *,
    min_raters: int = MIN_ANONYMOUS_RATERS,
    rng: random.Random | None = None,
) -> Comments:
    """Attributed self/supervisor comments; the anonymous pool only at ≥ min_raters writers."""
    rng = rng if rng is not None else random.Random()
    own: dict[str, list[str]] = defaultdict(list)
    boss: dict[str, list[str]] = defaultdict(list)
    pool: dict[str, dict[int, str]] = defaultdict(dict)
    for comment in comments:
        text = comment.text.strip()
        if not text:
            continue
        relation = Relation(comment.relation)
        if relation is Relation.SELF:
            own[comment.kind].append(text)
        elif relation is Relation.SUPERVISOR:
            boss[comment.kind].append(text)
        else:
            if comment.rater_id in pool[comment.kind]:
                raise ValueError(f"rater {comment.rater_id} has two {comment.kind!r} comments")
            pool[comment.kind][comment.rater_id] = text
    anonymous: dict[str, tuple[str, ...] | Suppressed] = {}
    for kind in sorted(pool):
        by_rater = pool[kind]
        if len(by_rater) < min_raters:
            anonymous[kind] = Suppressed(Reason.BELOW_MINIMUM)
            continue
        # Sorting first drops any trace of rater ids or submission order.
        texts = sorted(by_rater.values())
        rng.shuffle(texts)
        anonymous[kind] = tuple(texts)
    return Comments(
        own=MappingProxyType({k: tuple(v) for k, v in own.items()}),
        supervisor=MappingProxyType({k: tuple(v) for k, v in boss.items()}),
        anonymous=MappingProxyType(anonymous),
    )


def recommend(
    result: ReviewResult, instrument: Instrument, hasil_kerja: Expectation | int | None = None
) -> Recommendation | None:
    """The recommended perilaku rating (and predikat with a hasil kerja rating), or None.

    Based on the shown "others" overall, else on the supervisor's overall;
    None when neither is shown (self-ratings alone never recommend).
    """
    if result.instrument_code != instrument.code:
        raise ValueError("the result was aggregated with another instrument")
    for basis in (Group.OTHERS, Group.SUPERVISOR):
        cell = result.groups[basis].overall
        if isinstance(cell, Figure):
            perilaku = recommend_perilaku(cell.mean, instrument)
            hasil = Expectation(hasil_kerja) if hasil_kerja is not None else None
            return Recommendation(
                basis=basis,
                mean=cell.mean,
                n=cell.n,
                perilaku=perilaku,
                hasil_kerja=hasil,
                predikat=predikat(perilaku, hasil) if hasil is not None else None,
            )
    return None


# -- rater patterns --------------------------------------------------------


@dataclass(frozen=True)
class CycleRating:
    """One answer in a cycle, with both ends named (for rater patterns)."""

    rater_id: int
    ratee_id: int
    relation: Relation
    item_code: str
    value: int | None


class Extreme(StrEnum):
    HIGHEST = "highest"
    LOWEST = "lowest"


class Direction(StrEnum):
    LENIENT = "lenient"
    SEVERE = "severe"


@dataclass(frozen=True)
class ReciprocalPair:
    rater_a: int  # the smaller id
    rater_b: int
    extreme: Extreme


@dataclass(frozen=True)
class StraightLiner:
    rater_id: int
    ratees: int  # how many colleagues got the identical answers


@dataclass(frozen=True)
class Outlier:
    rater_id: int
    ratees: int
    z: float  # rounded to two decimals
    direction: Direction


@dataclass(frozen=True)
class RaterPatterns:
    reciprocal: tuple[ReciprocalPair, ...]
    straight_lining: tuple[StraightLiner, ...]
    outliers: tuple[Outlier, ...]


def rater_patterns(
    ratings: Iterable[CycleRating],
    instrument: Instrument,
    *,
    min_scores: int = PATTERN_MIN_SCORES,
    min_ratees: int = OUTLIER_MIN_RATEES,
    z_threshold: float = OUTLIER_Z,
) -> RaterPatterns:
    """Patterns worth an admin's look in one cycle (see the module docstring)."""
    codes = instrument.item_codes
    # answers[rater][ratee][item] = value (None = cannot assess); self-ratings skipped.
    answers: dict[int, dict[int, dict[str, int | None]]] = defaultdict(lambda: defaultdict(dict))
    for r in ratings:
        if Relation(r.relation) is Relation.SELF or r.rater_id == r.ratee_id:
            continue
        answers[r.rater_id][r.ratee_id][r.item_code] = r.value

    def scored(rater: int, ratee: int) -> list[int]:
        return [v for v in answers[rater][ratee].values() if v is not None]

    low, high = instrument.scale.lowest, instrument.scale.highest

    def extreme(rater: int, ratee: int) -> Extreme | None:
        values = scored(rater, ratee) if ratee in answers.get(rater, {}) else []
        if len(values) < min_scores:
            return None
        if all(v == high for v in values):
            return Extreme.HIGHEST
        if all(v == low for v in values):
            return Extreme.LOWEST
        return None

    reciprocal = []
    for a in sorted(answers):
        for b in sorted(answers[a]):
            if a < b and a in answers.get(b, {}):
                end = extreme(a, b)
                if end is not None and extreme(b, a) is end:
                    reciprocal.append(ReciprocalPair(a, b, end))

    straight = []
    for rater in sorted(answers):
        vectors = {
            tuple(answers[rater][ratee].get(code) for code in codes) for ratee in answers[rater]
        }
        count = len(answers[rater])
        if count >= 2 and len(vectors) == 1:
            (vector,) = vectors
            if sum(v is not None for v in vector) >= min_scores:
                straight.append(StraightLiner(rater, count))

    rater_means: dict[int, tuple[float, int]] = {}
    for rater in sorted(answers):
        per_ratee = [_mean(vs) for ratee in answers[rater] if (vs := scored(rater, ratee))]
        if len(per_ratee) >= min_ratees:
            rater_means[rater] = (_mean(per_ratee), len(per_ratee))
    outliers = []
    if len(rater_means) >= 2:
        means = [mean for mean, _ in rater_means.values()]
        centre, spread = _mean(means), statistics.pstdev(means)
        if spread > 0:
            for rater, (mean, count) in rater_means.items():
                z = (mean - centre) / spread
                if abs(z) >= z_threshold - _Z_TOLERANCE:
                    direction = Direction.LENIENT if z > 0 else Direction.SEVERE
                    outliers.append(Outlier(rater, count, round_mean(z), direction))

    return RaterPatterns(tuple(reciprocal), tuple(straight), tuple(outliers))
