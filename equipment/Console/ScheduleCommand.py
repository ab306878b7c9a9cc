"""`equipment schedule list` and `equipment schedule plan`: see a project's schedule.

Both run in the project's root (or `--app module:factory`), build its container, and call
the scheduler's `run()` in collect-only mode: jobs are registered, nothing runs, the loop is
not started and Redis is not needed. Mistakes are one line on stderr and exit code 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from equipment.Console.AppLoader import load_app
from equipment.Console.CommandError import EquipmentGroup
from equipment.Errors import EquipmentError
from equipment.Scheduler.Plan import PlannedRun, plan
from equipment.Scheduler.Zones import UTC, format_instant, offset_changes, wall_to_utc, zone_name


@click.group(name="schedule", cls=EquipmentGroup)
def schedule() -> None:
    """See the project's schedule without running it."""


def _app_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--app",
        "app_spec",
        default="app:App",
        show_default=True,
        help="module:factory of the project's container; its .make(base_path) builds it.",
    )(command)


@schedule.command(name="list")
@_app_option
def list_command(app_spec: str) -> None:
    """Each job: ID, schedule in words, zone, next run (local and UTC), last run."""
    scheduler = _load_scheduler(app_spec)
    jobs = sorted(scheduler.schedule.jobs)
    click.echo(f"Scheduler time zone: {zone_name(scheduler.schedule.zone)}; {len(jobs)} job(s)")
    rows = [("ID", "SCHEDULE", "ZONE", "NEXT RUN (LOCAL, UTC)", "LAST RUN")]
    rows += [_job_row(job) for job in jobs]
    if jobs:
        click.echo(_table(rows))


def _job_row(job: Any) -> tuple[str, ...]:
    zone = job.trigger.zone
    last = format_instant(job.last_run_at, zone) if job.last_run_at else "unknown"
    return (job.id, job.describe(), zone_name(zone), format_instant(job.next_run_at, zone), last)


@schedule.command(name="plan")
@_app_option
@click.option("--hours", type=float, default=24.0, show_default=True, help="Window length.")
@click.option("--from", "start_text", help="Window start, ISO 8601 (default: now).")
@click.option("--until", "end_text", help="Window end, ISO 8601 (default: start + --hours).")
def plan_command(app_spec: str, hours: float, start_text: str | None, end_text: str | None) -> None:
    """Every run the scheduler would make in a window, in order, without running anything."""
    if hours <= 0:
        raise EquipmentError(f"--hours must be more than 0, got {hours:g}")
    scheduler = _load_scheduler(app_spec)
    zone = scheduler.schedule.zone
    start = _parse_instant(start_text, "--from", zone) or scheduler.clock.now()
    end = _parse_instant(end_text, "--until", zone) or start + dt.timedelta(hours=hours)
    runs = plan(scheduler, start, end)
    click.echo(
        f"{len(runs)} run(s) from {format_instant(start, zone)} to {format_instant(end, zone)}"
    )
    for line in _plan_lines(runs, _zones(scheduler), start, end):
        click.echo(line)


def _plan_lines(
    runs: Sequence[PlannedRun], zones: list[dt.tzinfo], start: dt.datetime, end: dt.datetime
) -> list[str]:
    """Runs as table rows, with a line wherever one of the jobs' zones changes its offset."""
    events: list[tuple[dt.datetime, int, tuple[str, ...] | str]] = []
    for zone in zones:
        for when, before, after in offset_changes(zone, start, end):
            events.append((when, 0, _change_line(zone, when, before, after)))
    for run in runs:
        row = (run.local_text(), run.utc_text(), run.job_id, run.description)
        events.append((run.scheduled_at, 1, row))
    events.sort(key=lambda event: event[:2])
    rows = [("LOCAL", "UTC", "JOB", "SCHEDULE")]
    rows += [item for _, _, item in events if isinstance(item, tuple)]
    table = iter(_table(rows).splitlines())
    lines = [next(table)]
    for _, _, item in events:
        lines.append(item if isinstance(item, str) else next(table))
    return lines


def _change_line(
    zone: dt.tzinfo, when: dt.datetime, before: dt.timedelta, after: dt.timedelta
) -> str:
    direction = "forward" if after > before else "back"
    old = (when - dt.timedelta(seconds=1)).astimezone(zone)
    new = when.astimezone(zone)
    return (
        f"-- {zone_name(zone)}: clocks go {direction} {abs(after - before)} at "
        f"{when:%Y-%m-%dT%H:%M:%S}Z ({old:%H:%M:%S} {old.tzname()} is followed by "
        f"{new:%H:%M:%S} {new.tzname()})"
    )


def _zones(scheduler: Any) -> list[dt.tzinfo]:
    zones: dict[str, dt.tzinfo] = {}
    for job in scheduler.schedule.jobs:
        zones.setdefault(zone_name(job.trigger.zone), job.trigger.zone)
    return list(zones.values())


def _load_scheduler(app_spec: str) -> Any:
    """The project's scheduler with its jobs registered (collect-only: nothing runs)."""
    container = load_app(app_spec, Path.cwd())
    provider = getattr(container, "scheduler", None)
    if provider is None:
        raise EquipmentError(f"{app_spec}: the container has no 'scheduler'")
    scheduler = provider if hasattr(provider, "collect") else provider()
    if not scheduler.schedule.jobs:
        scheduler.collect()
    return scheduler


def _parse_instant(text: str | None, option: str, zone: dt.tzinfo) -> dt.datetime | None:
    """An ISO 8601 date/time; without an offset it is a wall time in the scheduler's zone."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise EquipmentError(
            f"{option} {text!r} is not an ISO 8601 date/time (e.g. 2026-03-29T00:00 or "
            "2026-03-29T00:00+01:00)"
        ) from None
    return wall_to_utc(value, zone) if value.tzinfo is None else value.astimezone(UTC)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
