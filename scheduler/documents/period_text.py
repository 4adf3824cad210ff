"""``ulasan period list|show`` as text for the operator's terminal, and as JSON.

Operator output: English, with the regulation's Indonesian terms (IKM, NRR,
mutu, unsur). Every figure is read from a snapshot (`period_snapshot`): the
latest version once a unit is approved, never recomputed from live rows; the
exact IKM is recomputed from the snapshot's integer sums. An early approval
says so on every line that shows its figures.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

from bot.core.clock import format_operator_time
from scheduler.documents import period_snapshot as snap
from scheduler.documents.ikm_labels import dec, unsur_name
from scheduler.documents.period_snapshot import Figures
from scheduler.documents.text_table import aligned
from scheduler.period_overview import APPROVED, PeriodOverview, UnitOverview
from scheduler.periods import Correction
from scheduler.scoring import skm
from scheduler.scoring.skm_periods import classify
from storage.period_models import SkmPeriod, SkmPeriodVersion

ROMAN = ("I", "II", "III", "IV")
STATE_WORDS = {
    "running": "running (figures so far)",
    "not_cut": "ended, not closed yet (figures so far)",
    "awaiting": "awaiting approval",
    "approved": "approved",
}


def kind_text(period: SkmPeriod) -> str:
    kind = classify(period.first_day, period.last_day)
    if kind.kind == "quarter":
        return f"quarter (TW {ROMAN[kind.number - 1]} {kind.year})"
    if kind.kind == "semester":
        return f"semester (S{kind.number} {kind.year})"
    if kind.kind == "year":
        return f"year ({kind.year})"
    return "custom"


def early_note(period: SkmPeriod) -> str:
    return f"EARLY: approved before the period ended on {period.last_day.isoformat()}"


def _konversi(figures_group: dict[str, Any]) -> tuple[str, str]:
    result = snap.group_result(figures_group)
    if result is None:
        return "-", "-"
    return str(result.konversi_rounded), f"{result.mutu.code} ({result.mutu.label_id})"


def pending_text(pending: Correction | None) -> str:
    if pending is None:
        return "-"
    before, after = pending.konversi()
    n_before, n_after = pending.respondents()
    return (
        f"{pending.entered} entered, {pending.left} left; n {n_before}→{n_after}; "
        f"IKM konversi {before if before is not None else '-'}→"
        f"{after if after is not None else '-'}"
    )


# -- list -----------------------------------------------------------------------------------------


def list_text(overviews: list[PeriodOverview]) -> str:
    if not overviews:
        return "No periods yet: `ulasan period open NAME --from DATE --to DATE`.\n"
    rows = [
        [
            o.period.name,
            kind_text(o.period),
            o.period.first_day.isoformat(),
            o.period.last_day.isoformat(),
            _scope_code(o),
            f"{o.approved}/{len(o.units)}",
            str(o.pending),
            o.status() + (" (early approval)" if any(u.early for u in o.units) else ""),
        ]
        for o in overviews
    ]
    headers = ["name", "kind", "from", "to", "units", "approved", "corrections", "status"]
    return "\n".join(aligned(headers, rows, {5, 6})) + "\n"


def _scope_code(o: PeriodOverview) -> str:
    return o.root.code if o.root is not None else "all"


# -- show -----------------------------------------------------------------------------------------


def show_text(o: PeriodOverview, tz: tzinfo) -> str:
    """The period and one line per unit."""
    out = _header(o, tz)
    rows = []
    for u in o.units:
        konversi, mutu = _konversi(u.figures["overall"])
        rows.append(
            [
                u.unit.code,
                STATE_WORDS[u.state] + (" EARLY" if u.early else ""),
                str(u.version) if u.version else "-",
                str(u.figures["overall"]["respondents"]),
                konversi,
                mutu,
                pending_text(u.pending),
            ]
        )
    headers = ["unit", "state", "version", "n", "IKM konversi", "mutu", "pending correction"]
    out += aligned(headers, rows, {2, 3, 4})
    return "\n".join(out) + "\n"


def _header(o: PeriodOverview, tz: tzinfo) -> list[str]:
    p = o.period
    out = [
        f"Period      : {p.name} — {kind_text(p)}",
        "Units       : "
        + (f"{o.root.code} and its sub-units" if o.root is not None else "every unit"),
        f"Days        : {p.first_day.isoformat()} to {p.last_day.isoformat()} (date of submission)",
        f"Status      : {o.status()}; {o.approved} of {len(o.units)} unit(s) approved",
    ]
    if p.cut_at is not None:
        out.append(f"Closed at   : {format_operator_time(p.cut_at, tz)} (figures cut)")
    else:
        out.append(f"Closes on   : {o.close_on.isoformat()} (first working day after it)")
    return [*out, ""]


def unit_text(o: PeriodOverview, u: UnitOverview, tz: tzinfo, version: int | None = None) -> str:
    """One unit's figures (the latest version, or ``version``), versions, pending correction."""
    figures, shown = _figures_of(u, version)
    out = _header(o, tz)
    out.append(f"Unit        : {u.unit.code} — {u.unit.name}")
    subs = figures["unit"]["sub_units"]
    if subs:
        out.append("  including sub-units: " + ", ".join(s["code"] for s in subs))
    out.append("Figures     : " + _figures_line(u, shown, tz))
    if figures.get("early"):
        out.append("  " + early_note(o.period))
    out += ["", *figures_text(figures), "", *versions_text(u.versions, tz)]
    if u.state == APPROVED:
        out += ["", "Pending correction: " + pending_text(u.pending)]
        if u.pending is not None:
            out.append(
                "  (entered: counted after the version was cut; "
                "left: erased with /hapusdata or moved to another unit)"
            )
        if u.pending is not None:
            out.append(
                f'  publish it with: ulasan period correct "{o.period.name}" --unit {u.unit.code}'
            )
    return "\n".join(out) + "\n"


def _figures_of(u: UnitOverview, version: int | None) -> tuple[Figures, SkmPeriodVersion | None]:
    if version is None:
        return u.figures, (u.versions[-1] if u.versions else None)
    for v in u.versions:
        if v.version == version:
            return snap.loads(v.figures), v
    known = ", ".join(str(v.version) for v in u.versions) or "none"
    raise LookupError(f"{u.unit.code} has no version {version} (versions: {known})")


def _figures_line(u: UnitOverview, shown: SkmPeriodVersion | None, tz: tzinfo) -> str:
    if shown is not None:
        return (
            f"version {shown.version} of {u.version}, published "
            f"{format_operator_time(shown.published_at, tz)} by {shown.published_by}; "
            f"as of {format_operator_time(shown.as_of, tz)}"
        )
    as_of = format_operator_time(datetime.fromisoformat(u.figures["as_of"]), tz)
    return f"{STATE_WORDS[u.state]}; as of {as_of}"


def figures_text(figures: Figures) -> list[str]:
    """n and the sample, IKM, konversi, mutu, the weakest unsur, levies, the previous
    period, NRR per unsur and one line per service."""
    overall = figures["overall"]
    result = snap.group_result(overall)
    out = [f"Respondents (n): {overall['respondents']}", "Sample      : " + _sample(figures)]
    if result is None:
        return [*out, "No respondents in this period."]
    weakest = ", ".join(
        f"{w['code']} {w['name']} (NRR {dec(result.nrr[w['code']], 4)})"
        for w in figures["weakest_three"]
    )
    out += [
        f"IKM (1–4)   : {dec(result.ikm, 4)}",
        f"IKM konversi: {result.konversi_rounded}",
        f"Mutu        : {result.mutu.code} ({result.mutu.label_id})",
        f"Weakest     : {weakest}",
        f"Possible levies (pungli): {figures['levy_signals']}",
        "Previous    : " + _previous(figures, result),
        "",
    ]
    table = [
        [c, unsur_name(c), str(result.sums[c]), str(dec(result.nrr[c], 4))] for c in skm.UNSUR_CODES
    ]
    out += aligned(["code", "unsur", "total", "NRR"], table, {2, 3})
    return [*out, "", *services_text(figures)]


def _sample(figures: Figures) -> str:
    sample = figures["sample"]
    if sample is None:
        return "no population given (ulasan period population)"
    verdict = "reached" if sample["sufficient"] else "NOT reached"
    return (
        f"minimum {sample['minimum']} for a population of {sample['population']} "
        f"(Krejcie–Morgan): {verdict}"
    )


def _previous(figures: Figures, result: skm.IkmResult) -> str:
    previous = figures.get("previous")
    if not previous or previous.get("konversi") is None:
        return "no figures for the period before"
    name = previous["name"] or f"{previous['from']}..{previous['to']}"
    source = f"version {previous['version']}" if previous["source"] == "version" else "live"
    change = result.konversi_rounded - Decimal(str(previous["konversi"])).quantize(Decimal("0.01"))
    sign = "+" if change > 0 else ""
    return (
        f"{name} ({source}): {previous['konversi']:.2f} ({previous['mutu']}), "
        f"n={previous['respondents']}; change {sign}{change}"
    )


def services_text(figures: Figures) -> list[str]:
    rows = []
    for s in figures["services"]:
        konversi, mutu = _konversi(s)
        sample = s["sample"]
        rows.append(
            [
                s["code"],
                s["name"],
                s["unit_code"],
                str(s["respondents"]),
                konversi,
                mutu,
                ", ".join(s["weakest"]) or "-",
                str(s["levy_signals"]) if s["free"] else "-",
                "-" if sample is None else f"{sample['minimum']}/{sample['population']}",
            ]
        )
    headers = ["code", "service", "unit", "n", "konversi", "mutu", "weakest", "levy", "min/pop"]
    return ["Per service", *aligned(headers, rows, {3, 4, 7})]


def versions_text(versions: list[SkmPeriodVersion], tz: tzinfo) -> list[str]:
    if not versions:
        return ["Versions    : none yet"]
    out = ["Versions"]
    for v in versions:
        konversi, mutu = _konversi(snap.loads(v.figures)["overall"])
        line = (
            f"  v{v.version}  published {format_operator_time(v.published_at, tz)} by "
            f"{v.published_by}; as of {format_operator_time(v.as_of, tz)}; "
            f"IKM konversi {konversi} {mutu}" + ("; EARLY" if v.early else "")
        )
        out.append(line)
        for change in json.loads(v.changes):
            out.append(
                f"      changes since v{change['from_version']}: {change['entered']} entered, "
                f"{change['left']} left; n {change['respondents'][0]}→{change['respondents'][1]}"
                f"; IKM konversi {change['konversi'][0]}→{change['konversi'][1]}"
            )
    return out


# -- JSON -----------------------------------------------------------------------------------------


def _moment(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def version_json(v: SkmPeriodVersion, with_figures: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": v.version,
        "published_at": _moment(v.published_at),
        "published_by": v.published_by,
        "as_of": _moment(v.as_of),
        "early": v.early,
        "digest": v.digest,
        "changes": json.loads(v.changes),
    }
    if with_figures:
        out["figures"] = snap.loads(v.figures)
    return out


def pending_json(pending: Correction | None) -> dict[str, Any] | None:
    if pending is None:
        return None
    return pending.change_log(None)[0]


def overview_json(o: PeriodOverview, *, unit_code: str | None = None) -> dict[str, Any]:
    p = o.period
    units = [u for u in o.units if unit_code is None or u.unit.code == unit_code]
    return {
        "period": {
            "name": p.name,
            "kind": classify(p.first_day, p.last_day).kind,
            "from": p.first_day.isoformat(),
            "to": p.last_day.isoformat(),
            "unit": o.root.code if o.root is not None else None,
            "status": o.status(),
            "ended": o.ended,
            "closes_on": o.close_on.isoformat(),
            "cut_at": _moment(p.cut_at),
        },
        "units": [
            {
                "code": u.unit.code,
                "name": u.unit.name,
                "state": u.state,
                "version": u.version,
                "early": u.early,
                "figures": u.figures,
                "versions": [version_json(v, unit_code is not None) for v in u.versions],
                "pending_correction": pending_json(u.pending),
            }
            for u in units
        ],
    }
