"""``ulasan cycle calibration NAME``: BKPSDM sees the raters' calibration per OPD.

Counts only (raters, completed, skipped, the completion rate), per OPD (the top
of each rater's unit tree); never who answered what.
"""

from __future__ import annotations

import json

import click

from bot.cli.common import format_option, get_settings
from bot.cli.cycle import _run


@click.command("calibration")
@click.argument("name")
@format_option("table", "json")
def calibration_command(name: str, output_format: str) -> None:
    """Calibration completion per OPD in cycle NAME (raters, completed, skipped, %)."""
    from storage import calibration, review_cycles

    async def work(session):  # type: ignore[no-untyped-def]
        cycle = await review_cycles.cycle_named(session, name)
        return cycle.name, await calibration.completion_by_opd(session, cycle.id)

    cycle_name, rows = _run(get_settings(), work)
    if output_format == "json":
        data = [
            {
                "opd": r.opd,
                "raters": r.raters,
                "completed": r.completed,
                "skipped": r.skipped,
                "percent": r.percent,
            }
            for r in rows
        ]
        click.echo(json.dumps({"cycle": cycle_name, "opd": data}, indent=2))
        return
    click.echo(f'Calibration in "{cycle_name}" per OPD:')
    click.echo(f"{'OPD':<16} {'raters':>6} {'done':>6} {'skipped':>7} {'%':>4}")
    for r in rows:
        click.echo(f"{r.opd:<16} {r.raters:>6} {r.completed:>6} {r.skipped:>7} {r.percent:>4}")


@click.command("calibration-sets")
def calibration_sets_command() -> None:
    """Check the calibration situations: each file, shipped or the home's calibration/ folder.

    One line per file (instrument, version, situations, example or own, where it is read
    from); a broken file is one line naming it and the problem, and the exit status is 1.
    """
    from scheduler.scoring.calibration_vignettes import CalibrationSetError, read_set, set_files

    broken = 0
    home = get_settings(verify_database=False).calibration_dir
    for name, origin in sorted(set_files(home).items()):
        try:
            found = read_set(name, origin)
        except CalibrationSetError as exc:
            broken += 1
            click.echo(f"BROKEN  {exc}")
            continue
        kind = "example content" if found.example else "own"
        click.echo(
            f"ok      {found.instrument} v{found.version}: {len(found.vignettes)} situations, "
            f"{kind} ({origin})"
        )
    if broken:
        raise SystemExit(1)
