"""Score math of 360° reviews: aggregation under the anonymity rule, gaps, comments.

Pure functions over plain values; the storage queries, the bot, the CLI and the
exports all call these, so every one of them shows the same figures and, above
all, suppresses the same ones. Nothing here reads a database or a clock.

The recommended perilaku rating and the predikat kinerja are
`scheduler.scoring.review_recommendation`; rater patterns (for admins) are
`scheduler.scoring.rater_patterns`.

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
from scheduler.scoring.review_instrument import Instrument, Relation

MIN_ANONYMOUS_RATERS = 3
# Pseudo-raters at the unit mean added by `shrunk_mean`: a mean of 3 raters
# moves halfway to the unit mean; one of 12 keeps 80% of its own weight.
DEFAULT_PRIOR_WEIGHT = 3.0

# Comment kinds (the two free-text questions), as in ReviewAssignment columns.
KEEP = "keep"
IMPROVE = "improve"


# -- small helpers --------------------------------------------------------------


def round_mean(value: float, digits: int = 2) -> float:
    """Round half-up as people expect (2.335 → 2.34), not half-even on binary floats."""
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


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
    scores = _Scores.of(_validate(ratings, instrument))
    level = scores.visibility(m)
    codes = instrument.item_codes
    groups = {group: _group_result(scores, group, level, codes, m) for group in Group}
    gaps = {
        code: _gap(groups[Group.SELF].items[code], groups[Group.OTHERS].items[code], instrument)
        for code in codes
    }
    return ReviewResult(
        instrument_code=instrument.code,
        min_raters=m,
        item_codes=codes,
        groups=MappingProxyType(groups),
        gaps=MappingProxyType(gaps),
        overall_gap=_overall_gap(gaps, groups, instrument),
        comments=release_comments(comments, min_raters=m, rng=rng),
    )


@dataclass
class _Scores:
    """by_group[group][item] = {rater: value}; "others" collects every non-self rater."""

    by_group: dict[Group, dict[str, dict[int, int]]]

    @classmethod
    def of(cls, answers: Iterable[Rating]) -> _Scores:
        by_group: dict[Group, dict[str, dict[int, int]]] = {g: defaultdict(dict) for g in Group}
        for a in answers:
            if a.value is None:
                continue
            group = GROUP_OF[a.relation]
            by_group[group][a.item_code][a.rater_id] = a.value
            if group is not Group.SELF:
                by_group[Group.OTHERS][a.item_code][a.rater_id] = a.value
        return cls(by_group)

    def given(self, group: Group, item: str) -> dict[int, int]:
        return self.by_group[group].get(item, {})

    def raters(self, group: Group, item: str | None = None) -> set[int]:
        if item is not None:
            return set(self.given(group, item))
        return {r for per_item in self.by_group[group].values() for r in per_item}

    def visibility(self, m: int) -> dict[Group, Reason | None]:
        """`_visibility` at the overall level (every item)."""
        return _visibility(
            len(self.raters(Group.PEERS)),
            len(self.raters(Group.SUBORDINATES)),
            bool(self.raters(Group.OTHERS)),
            m,
        )


def _item_cell(
    scores: _Scores, group: Group, item: str, level: dict[Group, Reason | None], m: int
) -> Cell:
    """One item's figure for one group: attributed groups always, anonymous ones by the rule."""
    given = scores.given(group, item)
    if group in (Group.SELF, Group.SUPERVISOR):
        if not given:
            return Suppressed(Reason.NO_SCORES)
        return Figure(_mean(given.values()), len(given))
    if level[group] is Reason.NO_SCORES:
        return Suppressed(Reason.NO_SCORES)
    if level[group] is not None:
        return Suppressed(Reason.GROUP_SUPPRESSED)
    reason = _visibility(
        len(scores.raters(Group.PEERS, item)),
        len(scores.raters(Group.SUBORDINATES, item)),
        bool(given),
        m,
    )[group]
    if reason is not None:
        return Suppressed(reason)
    return Figure(_mean(given.values()), len(given))


def _group_result(
    scores: _Scores,
    group: Group,
    level: dict[Group, Reason | None],
    codes: tuple[str, ...],
    m: int,
) -> GroupResult:
    """A group's item cells and its overall: the mean of the SHOWN item means."""
    items = {code: _item_cell(scores, group, code, level, m) for code in codes}
    shown = [code for code in codes if isinstance(items[code], Figure)]
    overall: Cell
    group_reason = level.get(group)
    if shown:
        behind = set().union(*(scores.raters(group, code) for code in shown))
        overall = Figure(_mean(_figure(items[c]).mean for c in shown), len(behind))
    elif group_reason is not None:
        overall = Suppressed(group_reason)
    elif not scores.raters(group):
        overall = Suppressed(Reason.NO_SCORES)
    else:
        overall = Suppressed(Reason.BELOW_MINIMUM)
    return GroupResult(group, overall, MappingProxyType(items))


def _overall_gap(
    gaps: Mapping[str, Gap | Suppressed],
    groups: Mapping[Group, GroupResult],
    instrument: Instrument,
) -> Gap | Suppressed:
    """The mean of the item gaps where both self and others are shown."""
    both = [g for g in gaps.values() if isinstance(g, Gap)]
    if both:
        return _make_gap(
            _mean(g.self_mean for g in both), _mean(g.others_mean for g in both), instrument
        )
    if isinstance(groups[Group.SELF].overall, Suppressed):
        return groups[Group.SELF].overall
    if isinstance(groups[Group.OTHERS].overall, Suppressed):
        return groups[Group.OTHERS].overall
    return Suppressed(Reason.NO_SCORES)  # self and others scored different items


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
