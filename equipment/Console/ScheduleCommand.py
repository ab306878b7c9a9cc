"""`equipment schedule list` and `equipment schedule plan`: see a project's schedule.

(The commands that operate it, `run`, `pause`, `health`, `history`, `why`, are in
`OperateCommand`.)

Both run in the project's root (or `--app module:factory`), build its container, and call
the scheduler's `run()` in collect-only mode: jobs are registered, nothing runs, the loop is
not started and Redis is not needed. Mistakes are one line on stderr and exit code 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import math
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from equipment.Console.AppLoader import load_app
from equipment.Console.CommandError import EquipmentGroup
from equipment.Errors import EquipmentError
from equipment.Scheduler.Health import stale_after
from equipment.Scheduler.LastOutcome import last_outcome
from equipment.Scheduler.Plan import JobCount, PlannedRun, count_runs, iter_plan
from equipment.Scheduler.State.StateFactory import as_an_operator
from equipment.Scheduler.State.StateStore import StateStoreError, redis_errors_said
from equipment.Scheduler.WindowedNextRun import a_scheduler_runs, next_run_text
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
    """Each job: ID, schedule in words, zone, next run (local and UTC), last run and outcome."""
    scheduler = _load_scheduler(app_spec)
    jobs = sorted(scheduler.schedule.jobs)
    where = scheduler.state.location
    states = _reading_state(scheduler.state.load, where)
    paused = _reading_state(scheduler.state.paused, where)
    windows = _reading_state(scheduler.state.windows, where)
    now = scheduler.clock.now()
    running = _reading_state(
        lambda: a_scheduler_runs(scheduler.state, scheduler.settings.max_sleep, now), where
    )
    click.echo(
        f"Scheduler time zone: {zone_name(scheduler.schedule.zone)}; {len(jobs)} job(s); "
        f"state: {scheduler.state.location}"
    )
    rows = [("ID", "SCHEDULE", "ZONE", "NEXT RUN (LOCAL, UTC)", "LAST RUN", "OUTCOME", "PAUSED")]
    rows += _reading_state(  # (a skip's reason is read from the history)
        lambda: [
            _job_row(
                job,
                states.get(job.id),
                paused.get(job.id),
                scheduler.state,
                next_run_text(
                    job,
                    job.next_run_at,
                    job.id in states,
                    windows.get(job.id),
                    running,
                    now,
                ),
            )
            for job in jobs
        ],
        where,
    )
    if jobs:
        click.echo(_table(rows))
    if getattr(scheduler, "coordinated", False):
        _reading_state(lambda: _echo_replicas(scheduler), where)


def _reading_state(read: Callable[[], Any], location: str) -> Any:
    """`read()`, with a Redis (coordination's state) that does not answer, or refuses, as
    one line naming where the state is (`location`), as the scheduler's own line does: "start
    Redis" only when it is down, the credentials when it refused them."""
    with _state_errors(location):
        return read()


@contextlib.contextmanager
def _state_errors(location: str) -> Iterator[None]:
    """What `_reading_state` does for one read, for a whole command's reads and writes: a
    Redis that goes down between two of them is one line too, not a traceback; and so is a
    SQLite file that refuses a write (this user may not write it, a read-only volume, a
    lock held longer than a write waits)."""
    try:
        with redis_errors_said(location):
            yield
    except sqlite3.Error as error:
        raise StateStoreError(f"scheduler state: cannot use {location}: {error}") from None


def _echo_replicas(scheduler: Any) -> None:
    """The replicas (from their heartbeats), which one leads and its fencing token."""
    coordinator = scheduler.coordinator
    holder = coordinator.holder()
    lead = (
        f"{holder.replica} leads with fencing token {holder.token}"
        if holder
        else "no replica leads now"
    )
    click.echo(
        f"Coordination: {coordinator.mode} at {coordinator.where}, lease "
        f"{scheduler.settings.lease_seconds:g}s; {lead}"
    )
    processes = sorted(scheduler.state.processes(), key=lambda p: p.started_at)
    if not processes:
        return
    zone = scheduler.schedule.zone
    now, stale = scheduler.clock.now(), stale_after(scheduler.settings.max_sleep)
    rows = [("REPLICA", "STARTED", "LAST HEARTBEAT", "ROLE")]
    for process in processes:
        leads = holder is not None and process.process_id.startswith(f"{holder.replica}:")
        if leads and holder:
            role = f"leader (fencing token {holder.token})"
        elif process.is_alive(now, stale):
            role = "standby"
        else:  # killed, or its host gone: its record stays until a scheduler starts
            role = "gone (no heartbeat since)"
        rows.append(
            (
                process.process_id,
                format_instant(process.started_at, zone),
                format_instant(process.heartbeat_at, zone),
                role,
            )
        )
    click.echo(_table(rows))


def _job_row(
    job: Any,
    stored: Any,
    paused_since: dt.datetime | None,
    state: Any,
    next_run: str,
) -> tuple[str, ...]:
    """The job's cells: ID, schedule, zone, next run (as given), last run, last outcome,
    paused."""
    zone = job.trigger.zone
    schedule = job.describe()
    if job.deadline is not None and job.window_opened is None:  # (a window: see next run)
        schedule += f", until {format_instant(job.deadline, zone)}"
    row = (job.id, schedule, zone_name(zone), next_run)
    paused = "" if paused_since is None else f"since {format_instant(paused_since, zone)}"
    if stored is None or stored.last_run_id is None:
        return (*row, "never", "", paused)
    last_run = format_instant(stored.last_started, zone) if stored.last_started else "never"
    return (*row, last_run, last_outcome(stored, state, zone), paused)


#: The longest window `plan` looks at.
MAX_HOURS = 366 * 24
#: Windows must end before this, so that stepping a trigger past the end cannot overflow.
LAST_INSTANT = dt.datetime(9999, 1, 1, tzinfo=UTC)
DEFAULT_COLLAPSE = 100
DEFAULT_LIMIT = 500


@schedule.command(name="plan")
@_app_option
@click.option(
    "--hours",
    "hours_text",
    metavar="HOURS",
    help=f"Window length, more than 0 and at most {MAX_HOURS} (366 days).  [default: 24]",
)
@click.option("--from", "start_text", help="Window start, ISO 8601 (default: now).")
@click.option("--until", "end_text", help="Window end, ISO 8601 (default: start + --hours).")
@click.option(
    "--job",
    "job_patterns",
    multiple=True,
    metavar="ID",
    help="Show only this job, every run in full (repeatable; shell-style wildcards work).",
)
@click.option(
    "--collapse",
    "collapse_text",
    metavar="N",
    help="A job with more than N runs in the window is one summary line, unless named with "
    f"--job.  [default: {DEFAULT_COLLAPSE}]",
)
@click.option(
    "--limit",
    "limit_text",
    metavar="N",
    help=f"Print at most N runs, then how many more there are.  [default: {DEFAULT_LIMIT}]",
)
def plan_command(
    app_spec: str,
    hours_text: str | None,
    start_text: str | None,
    end_text: str | None,
    job_patterns: tuple[str, ...],
    collapse_text: str | None,
    limit_text: str | None,
) -> None:
    """Every run the scheduler would make in a window, in order, without running anything.

    Jobs with more than --collapse runs in the window (a job every second) are summed up in
    one line each; --job ID shows chosen jobs in full.
    """
    if hours_text is not None and end_text is not None:
        raise EquipmentError("--hours and --until both set the window's end; give one of them")
    hours = _parse_hours(hours_text)
    collapse = _parse_count(collapse_text, "--collapse", DEFAULT_COLLAPSE, minimum=0)
    limit = _parse_count(limit_text, "--limit", DEFAULT_LIMIT, minimum=1)
    _parse_instant(start_text, "--from", UTC)  # a malformed date is refused before loading
    _parse_instant(end_text, "--until", UTC)
    scheduler = _load_scheduler(app_spec)
    zone = scheduler.schedule.zone
    start = _parse_instant(start_text, "--from", zone) or scheduler.clock.now()
    end = _parse_instant(end_text, "--until", zone) or _add_hours(start, hours)
    _check_window(start, end, start_text, end_text)
    chosen = _chosen_jobs(list(scheduler.schedule.jobs), job_patterns)
    counts = {job.id: count_runs(job, start, end) for job in chosen}
    full = [job for job in chosen if job_patterns or counts[job.id].runs <= collapse]
    collapsed = [job for job in chosen if job not in full]
    total = sum(count.runs for count in counts.values())
    more = "" if all(count.complete for count in counts.values()) else "more than "
    click.echo(
        f"{more}{total:,} run(s) from {format_instant(start, zone)} to {format_instant(end, zone)}"
    )
    reason = _before_first_run(chosen, end, zone, bool(job_patterns)) if total == 0 else None
    if reason:
        click.echo(reason)
    paused = _reading_state(scheduler.state.paused, scheduler.state.location)
    held = sorted(job.id for job in chosen if job.id in paused)
    if held:
        click.echo(
            f"Paused now, so these runs are skipped unless resumed: {', '.join(held)}"
        )
    if collapsed:
        click.echo(
            f"{len(collapsed)} job(s) with more than {collapse:,} runs each, summed up "
            "(--job ID lists a job's runs):"
        )
        for line in _summary_lines([counts[job.id] for job in collapsed]):
            click.echo(line)
    if not full:
        return
    printed = 0
    for line, is_run in _plan_lines(
        iter_plan(full, start, end), full, _zones(scheduler), start, end, limit
    ):
        click.echo(line)
        printed += is_run
    shown = sum(counts[job.id].runs for job in full)
    if printed < shown or not all(counts[job.id].complete for job in full):
        rest = f"{shown - printed:,}"
        if not all(counts[job.id].complete for job in full):
            rest = f"more than {rest}"
        runs = "run" if rest == "1" else "runs"
        click.echo(f"... and {rest} more {runs} (narrow with --job or a shorter window)")


def _before_first_run(
    jobs: list[Any], end: dt.datetime, zone: dt.tzinfo, chosen: bool
) -> str | None:
    """Why a window has no run, when it is because every job starts after it ends."""
    firsts = [getattr(job, "next_run_at", None) for job in jobs]
    if not jobs or any(first is None or first < end for first in firsts):
        return None
    first, job = min(zip(firsts, jobs, strict=True), key=lambda pair: pair[0])
    which = ("the chosen job" if len(jobs) == 1 else "every chosen job") if chosen else (
        "every job"
    )
    earliest = "its first run" if len(jobs) == 1 else f"the earliest first run ({job.id})"
    return (
        f"The window ends before the first run of {which}: {earliest} is at "
        f"{format_instant(first, zone)}."
    )


def _parse_hours(text: str | None) -> float:
    if text is None:
        return 24.0
    try:
        hours = float(text)
    except ValueError:
        raise EquipmentError(
            f"--hours {text!r} is not a number of hours (e.g. 24 or 1.5)"
        ) from None
    if not math.isfinite(hours) or hours <= 0:
        raise EquipmentError(f"--hours must be more than 0 and finite, got {text}")
    if hours > MAX_HOURS:
        raise EquipmentError(
            f"--hours {text} is more than {MAX_HOURS} (366 days); plan at most a year at a time"
        )
    return hours


#: The largest count an option takes: more lines than anyone reads, and within what
#: SQLite and the formatting below take.
MAX_COUNT = 1_000_000


def _parse_count(text: str | None, option: str, default: int, *, minimum: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise EquipmentError(f"{option} {text!r} is not a whole number") from None
    if value < minimum:
        raise EquipmentError(f"{option} must be at least {minimum}, got {value}")
    if value > MAX_COUNT:
        raise EquipmentError(f"{option} must be at most {MAX_COUNT}, got {text}")
    return value


def _add_hours(start: dt.datetime, hours: float) -> dt.datetime:
    try:
        return start + dt.timedelta(hours=hours)
    except OverflowError:
        raise EquipmentError(
            f"{hours:g} hours after {start:%Y-%m-%d} is past the year 9999"
        ) from None


def _check_window(
    start: dt.datetime, end: dt.datetime, start_text: str | None, end_text: str | None
) -> None:
    if end <= start:
        what = f"--until {end_text}" if end_text else f"the window's end ({end:%Y-%m-%d %H:%M})"
        since = f"--from {start_text}" if start_text else f"now ({start:%Y-%m-%d %H:%M})"
        raise EquipmentError(f"{what} is not after {since}: the window ends before it starts")
    if end >= LAST_INSTANT:
        what = f"--until {end_text}" if end_text else f"the window's end ({end:%Y-%m-%d %H:%M})"
        raise EquipmentError(f"{what} is too late: a window must end before 9999-01-01")
    if end - start > dt.timedelta(hours=MAX_HOURS):
        raise EquipmentError(
            f"the window from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC is longer "
            "than 366 days; plan at most a year at a time"
        )


def _matches(job: Any, pattern: str) -> bool:
    return job.id == pattern or fnmatch.fnmatchcase(job.id, pattern)


def _chosen_jobs(jobs: list[Any], patterns: tuple[str, ...]) -> list[Any]:
    """The jobs --job names (exact IDs or shell-style patterns), or all jobs."""
    for pattern in patterns:
        if not any(_matches(job, pattern) for job in jobs):
            known = ", ".join(sorted(job.id for job in jobs)) or "none"
            raise EquipmentError(f"--job {pattern!r} matches no job (the jobs: {known})")
    if not patterns:
        return jobs
    return [job for job in jobs if any(_matches(job, pattern) for pattern in patterns)]


def _summary_lines(counts: list[JobCount]) -> list[str]:
    """One row per collapsed job: ID, schedule, how many runs, first and last."""
    rows = []
    for count in counts:
        if not count.complete:
            runs = f"more than {count.runs:,} runs"
        elif count.drawn:
            runs = f"about {count.runs:,} runs"
        else:
            runs = f"{count.runs:,} runs"
        first = count.first.local_text() if count.first else "?"
        last = f"to {count.last.local_text()}" if count.last else "onwards"
        rows.append(("  " + count.job_id, count.description, runs, f"from {first} {last}"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  ".join(
            [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]), row[3]]
        )
        for row in rows
    ]


def _plan_lines(
    runs: Iterator[PlannedRun],
    jobs: list[Any],
    zones: list[dt.tzinfo],
    start: dt.datetime,
    end: dt.datetime,
    limit: int,
) -> Iterator[tuple[str, bool]]:
    """(line, is a run): a heading, then up to `limit` runs as table rows, with a line where
    one of the zones changes its offset. Lazy: rows are padded to widths known beforehand,
    so one run at a time is held, however many are printed."""
    changes = sorted(
        (when, index, _change_line(zone, when, before, after))
        for index, zone in enumerate(zones)
        for when, before, after in offset_changes(zone, start, end)
    )
    widths = _widths(jobs, start, [when for when, _, _ in changes])

    def row(cells: tuple[str, ...]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths, strict=True)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    yield row(("LOCAL", "UTC", "JOB", "SCHEDULE")), False
    pending = iter(changes)
    change = next(pending, None)
    printed = 0
    for run in runs:
        if printed == limit:
            return
        while change is not None and change[0] <= run.scheduled_at:
            yield change[2], False
            change = next(pending, None)
        yield row((run.local_text(), run.utc_text(), run.job_id, run.description)), True
        printed += 1
    while change is not None:
        yield change[2], False
        change = next(pending, None)


def _widths(jobs: list[Any], start: dt.datetime, changes: list[dt.datetime]) -> list[int]:
    """Widths of the LOCAL, UTC and JOB columns, from every zone abbreviation in the window."""
    local = len("LOCAL")
    for zone in {id(job.trigger.zone): job.trigger.zone for job in jobs}.values():
        for moment in [start, *changes]:
            name = moment.astimezone(zone).tzname() or ""
            local = max(local, len("2026-03-29 03:00:00 ") + len(name))
    return [local, len("2026-03-29T01:00:00Z"), max([len("JOB"), *(len(job.id) for job in jobs)])]


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


def _load_scheduler(app_spec: str, writes: bool = False) -> Any:
    """The project's scheduler with its jobs registered (collect-only: nothing runs), on
    the state store as it is (see `as_an_operator`); `writes`: the command stores some."""
    container = load_app(app_spec, Path.cwd())
    provider = getattr(container, "scheduler", None)
    if provider is None:
        raise EquipmentError(f"{app_spec}: the container has no 'scheduler'")
    with as_an_operator(writes):
        scheduler = provider if hasattr(provider, "collect") else provider()
    if not scheduler.schedule.jobs:
        scheduler.schedule.describing = True  # its registrations start no grid
        _reading_state(scheduler.collect, scheduler.state.location)  # registration reads it
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
    try:
        instant = wall_to_utc(value, zone) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        instant = None
    if instant is None or instant.year < 2:  # year 1 in UTC is year 0 in New York
        raise EquipmentError(
            f"{option} {text!r} is out of range: a window must lie between the years 2 and 9998"
        )
    return instant


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
