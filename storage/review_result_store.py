"""Materialised results of closed 360° cycles: written once by the rollup, read by the reports.

`materialise_cycle` stores only what `scheduler.scoring.review_math.aggregate`
released: figures as (mean, n) or as a suppressed cell (reason only), the
released comments in their released order, never a per-rater row.
`materialised_results` reads them back as equal `RateeResults` when they were
written for this cycle's closing time, instrument and ``min_raters`` (None
otherwise: the caller computes, `storage.review_result_load`). The perilaku
decision and names are always read live (they can change after close), and
the recommendation is recomputed from the stored figures (a pure function;
its coverage minimum, ``RECOMMENDATION_MIN_VALUES``, is a setting that may
change after the rows were written; the stored ``rec_*`` columns keep the one
of that moment).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.review_instrument import Expectation, Instrument, InstrumentError
from scheduler.scoring.review_math import (
    Comments,
    Figure,
    Gap,
    GapFlag,
    Group,
    GroupResult,
    Reason,
    ReviewResult,
    Suppressed,
)
from scheduler.scoring.review_recommendation import MIN_VALUES, coverage, recommend
from scheduler.scoring.shipped_instruments import get_instrument
from storage.review_models import CLOSED, ReviewCycle
from storage.review_result_load import (
    closed_cycle,
    decisions,
    info,
    instrument_of,
    load,
    matches_recorded,
    people,
    results_of,
    sorted_ids,
)
from storage.review_result_types import Completion, RateeResults
from storage.rollup_models import (
    ANONYMOUS,
    OVERALL,
    OWN,
    RESULT_GROUPS,
    SUPERVISOR_SOURCE,
    ReviewResultComment,
    ReviewResultCycle,
    ReviewResultItem,
    ReviewResultRatee,
)

# -- writing ---------------------------------------------------------------------------------


def _cell_values(cell: Figure | Suppressed) -> tuple[float | None, int | None, str | None]:
    if isinstance(cell, Figure):
        return cell.mean, cell.n, None
    return None, None, cell.reason.value


def _gap_values(gap: Gap | Suppressed) -> dict[str, Any]:
    if isinstance(gap, Gap):
        return {
            "gap_self": gap.self_mean,
            "gap_others": gap.others_mean,
            "gap": gap.gap,
            "gap_flag": gap.flag.value if gap.flag else None,
            "gap_reason": None,
        }
    return {
        "gap_self": None,
        "gap_others": None,
        "gap": None,
        "gap_flag": None,
        "gap_reason": gap.reason.value,
    }


def _materialised_rows(
    item: RateeResults,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of one ratee: facts, one row per item (and the overall), comments."""
    key = {"cycle_id": item.cycle.id, "ratee_id": item.ratee.id}
    result = item.result
    rec = item.recommendation
    ratee = {
        **key,
        "supervisor_id": item.supervisor_id,
        "received_submitted": item.received.submitted,
        "received_total": item.received.total,
        "hasil_kerja": int(item.hasil_kerja) if item.hasil_kerja is not None else None,
        "rec_basis": rec.basis.value if rec else None,
        "rec_mean": rec.mean if rec else None,
        "rec_n": rec.n if rec else None,
        "rec_perilaku": int(rec.perilaku) if rec else None,
    }
    items = []
    for code in (*result.item_codes, OVERALL):
        row: dict[str, Any] = {**key, "item_code": code}
        for group in Group:
            cell = result.cell(group, None if code == OVERALL else code)
            mean, n, reason = _cell_values(cell)
            row |= {f"{group.value}_mean": mean, f"{group.value}_n": n}
            row[f"{group.value}_reason"] = reason
        row |= _gap_values(result.overall_gap if code == OVERALL else result.gaps[code])
        items.append(row)
    comments = []
    pools: list[tuple[str, Mapping[str, Any]]] = [
        (OWN, result.comments.own),
        (SUPERVISOR_SOURCE, result.comments.supervisor),
        (ANONYMOUS, result.comments.anonymous),
    ]
    for source, by_kind in pools:
        # One running position per source keeps both the order of the kinds and
        # the released order of the texts.
        position = 0
        for kind, texts in by_kind.items():
            if isinstance(texts, Suppressed):
                position += 1
                comments.append(
                    {**key, "source": source, "kind": kind, "position": position}
                    | {"text": None, "reason": texts.reason.value}
                )
                continue
            for text in texts:
                position += 1
                comments.append(
                    {**key, "source": source, "kind": kind, "position": position}
                    | {"text": text, "reason": None}
                )
    return ratee, items, comments


async def drop_materialised(session: AsyncSession, cycle_id: int) -> None:
    """Remove a cycle's materialised rows (before rewriting them, or once it is not closed)."""
    for model in (ReviewResultComment, ReviewResultItem, ReviewResultRatee, ReviewResultCycle):
        await session.execute(delete(model).where(model.cycle_id == cycle_id))


async def materialise_cycle(
    session: AsyncSession,
    cycle_id: int,
    *,
    min_raters: int,
    now: datetime,
    min_values: int = MIN_VALUES,
) -> int:
    """Compute a closed cycle's results from the answers and store only what was released.

    Replaces whatever was stored for the cycle; returns the number of ratees.
    """
    cycle = await closed_cycle(session, cycle_id)
    data = await load(session, cycle, None)
    results = [results_of(data, ratee, min_raters, min_values) for ratee in sorted_ids(data)]
    await drop_materialised(session, cycle.id)
    await session.execute(
        insert(ReviewResultCycle).values(
            cycle_id=cycle.id,
            closed_at=cycle.closed_at,
            instrument=cycle.instrument,
            min_raters=min_raters,
            materialised_at=now,
        )
    )
    ratees, items, comments = [], [], []
    for item in results:
        ratee, rows, texts = _materialised_rows(item)
        ratees.append(ratee)
        items += rows
        comments += texts
    for model, rows in (
        (ReviewResultRatee, ratees),
        (ReviewResultItem, items),
        (ReviewResultComment, comments),
    ):
        if rows:
            # The table's own INSERT (Core), every row with the same columns: one
            # batch per table. The ORM's bulk insert left a None out of a row and
            # split the rows wherever their Nones differed (one INSERT per row:
            # 0.6 s under the write lock for a cycle of 2,000 assignments).
            await session.execute(insert(model.__table__), rows)
    return len(results)


async def cycles_to_materialise(
    session: AsyncSession, *, min_raters: int, everything: bool = False
) -> tuple[list[int], list[int]]:
    """(closed cycles to write or rewrite, materialised cycles that are no longer closed).

    A cycle is rewritten when it has never been written, or was written for
    another closing time, instrument or minimum of anonymous raters (or with
    ``everything``). Cycles with an instrument this version does not know, or whose
    instrument file changed since the cycle opened (`matches_recorded`), are left alone:
    their results cannot be computed (results refuse them) and what is stored stays.
    """
    cycles = (
        await session.execute(
            select(
                ReviewCycle.id,
                ReviewCycle.closed_at,
                ReviewCycle.instrument,
                ReviewCycle.instrument_digest,
            ).where(ReviewCycle.status == CLOSED)
        )
    ).all()
    marks = {
        row.cycle_id: row
        for row in (
            await session.execute(
                select(
                    ReviewResultCycle.cycle_id,
                    ReviewResultCycle.closed_at,
                    ReviewResultCycle.instrument,
                    ReviewResultCycle.min_raters,
                )
            )
        ).all()
    }
    stale = []
    for cycle_id, closed_at, instrument, digest in cycles:
        try:
            if not matches_recorded(get_instrument(instrument), digest):
                continue  # its file changed since it opened: keep what is stored
        except InstrumentError:
            continue
        mark = marks.get(cycle_id)
        if (
            everything
            or mark is None
            or (mark.closed_at, mark.instrument, mark.min_raters)
            != (closed_at, instrument, min_raters)
        ):
            stale.append(cycle_id)
    closed = {row[0] for row in cycles}
    dropped = sorted(cycle_id for cycle_id in marks if cycle_id not in closed)
    return sorted(stale), dropped


# -- reading ---------------------------------------------------------------------------------


async def materialised_results(
    session: AsyncSession,
    cycle: ReviewCycle,
    *,
    min_raters: int,
    ratee_ids: Sequence[int] | None = None,
    min_values: int = MIN_VALUES,
) -> list[RateeResults] | None:
    """The stored results of a closed cycle, by name; None when none fit (compute instead).

    A fixed number of statements whatever the number of ratees.
    """
    mark = await session.scalar(
        select(ReviewResultCycle).where(ReviewResultCycle.cycle_id == cycle.id)
    )
    if mark is None or (mark.closed_at, mark.instrument, mark.min_raters) != (
        cycle.closed_at,
        cycle.instrument,
        min_raters,
    ):
        return None
    instrument = instrument_of(cycle)
    rows = await _stored_rows(session, cycle.id, ratee_ids)
    ratees = rows.ratees
    wanted = {r.ratee_id for r in ratees} | {r.supervisor_id for r in ratees if r.supervisor_id}
    found = await people(session, wanted) if wanted else {}
    found_decisions = await decisions(session, cycle.id, ratee_ids)
    cycle_info = info(cycle)
    out = []
    for row in ratees:
        if row.ratee_id not in found:
            continue
        result = _result_from(
            instrument, min_raters, rows.items[row.ratee_id], rows.texts[row.ratee_id]
        )
        hasil = Expectation(row.hasil_kerja) if row.hasil_kerja is not None else None
        out.append(
            RateeResults(
                cycle=cycle_info,
                ratee=found[row.ratee_id],
                instrument=instrument,
                result=result,
                # Recomputed from the stored figures: the coverage rule is a setting.
                recommendation=recommend(result, instrument, hasil, min_values=min_values),
                hasil_kerja=hasil,
                decision=found_decisions.get(row.ratee_id),
                received=Completion(row.received_submitted, row.received_total),
                supervisor_id=row.supervisor_id,
                coverage=coverage(result, instrument, min_values),
            )
        )
    return sorted(out, key=lambda r: (r.ratee.name.casefold(), r.ratee.nip))


@dataclass
class _StoredRows:
    ratees: Sequence[ReviewResultRatee]
    items: dict[int, dict[str, Any]]  # ratee id → item code → row
    texts: dict[int, list[Any]]  # ratee id → comment rows, by source and position


async def _stored_rows(
    session: AsyncSession, cycle_id: int, ratee_ids: Sequence[int] | None
) -> _StoredRows:
    """The cycle's materialised rows (of ``ratee_ids`` only, when given): three statements."""

    def scoped(model: Any) -> Any:
        statement = select(model).where(model.cycle_id == cycle_id)
        if ratee_ids is not None:
            statement = statement.where(model.ratee_id.in_(list(ratee_ids)))
        return statement

    ratees = (await session.scalars(scoped(ReviewResultRatee))).all()
    items: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in await session.scalars(scoped(ReviewResultItem)):
        items[row.ratee_id][row.item_code] = row
    texts: dict[int, list[Any]] = defaultdict(list)
    comment_rows = scoped(ReviewResultComment).order_by(
        ReviewResultComment.ratee_id, ReviewResultComment.source, ReviewResultComment.position
    )
    for row in await session.scalars(comment_rows):
        texts[row.ratee_id].append(row)
    return _StoredRows(ratees, items, texts)


def _cell_from(row: Any, group: str) -> Figure | Suppressed:
    mean = getattr(row, f"{group}_mean")
    if mean is None:
        return Suppressed(Reason(getattr(row, f"{group}_reason")))
    return Figure(mean, getattr(row, f"{group}_n"))


def _gap_from(row: Any) -> Gap | Suppressed:
    if row.gap is None:
        return Suppressed(Reason(row.gap_reason))
    flag = GapFlag(row.gap_flag) if row.gap_flag else None
    return Gap(row.gap_self, row.gap_others, row.gap, flag)


def _result_from(
    instrument: Instrument, min_raters: int, items: Mapping[str, Any], texts: Sequence[Any]
) -> ReviewResult:
    codes = instrument.item_codes
    groups = {
        Group(group): GroupResult(
            Group(group),
            _cell_from(items[OVERALL], group),
            MappingProxyType({code: _cell_from(items[code], group) for code in codes}),
        )
        for group in RESULT_GROUPS
    }
    pools: dict[str, dict[str, Any]] = {OWN: {}, SUPERVISOR_SOURCE: {}, ANONYMOUS: {}}
    for row in texts:  # ordered by source and position
        pool = pools[row.source]
        if row.text is None:
            pool[row.kind] = Suppressed(Reason(row.reason))
        else:
            pool[row.kind] = (*pool.get(row.kind, ()), row.text)
    return ReviewResult(
        instrument_code=instrument.code,
        min_raters=min_raters,
        item_codes=codes,
        groups=MappingProxyType({group: groups[group] for group in Group}),
        gaps=MappingProxyType({code: _gap_from(items[code]) for code in codes}),
        overall_gap=_gap_from(items[OVERALL]),
        comments=Comments(
            own=MappingProxyType(pools[OWN]),
            supervisor=MappingProxyType(pools[SUPERVISOR_SOURCE]),
            anonymous=MappingProxyType(pools[ANONYMOUS]),
        ),
    )
