"""`equipment schedule run|pause|resume|health|history|why`: operate a project's scheduler.

Each command loads the project as `schedule list` does (collect-only: nothing runs by
itself) and reads or writes the scheduler's state store, so it works while the scheduler
runs in another process, on any replica, and when none runs. A user's mistake is one line
and exit code 2 (an unknown job ID names the closest known IDs); a failed run or an
unhealthy scheduler is one line and exit code 1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import signal
import threading
from collections.abc import Iterator
from typing import Any

import click

from equipment.Console.ScheduleCommand import (
    _app_option,
    _load_scheduler,
    _parse_count,
    _reading_state,
    _state_errors,
    _table,
    schedule,
)
from equipment.Errors import EquipmentError
from equipment.Scheduler import Health, History, HistoryText, Why
from equipment.Scheduler.State.StateStore import (
    HistoryEntry,
    ProcessInfo,
    StateNotOurs,
    StateStoreError,
    StateUnreachable,
)
from equipment.Scheduler.Zones import UTC, format_instant, wall_to_utc

#: A failed run, an unhealthy scheduler: not a usage mistake (2), a result.
FAILED = 1
#: A run the user stopped with Ctrl-C: the shell's code for it.
INTERRUPTED = 130
#: The longest span a seconds option takes (timedelta and the heartbeat arithmetic take it).
MAX_SECONDS = 315_360_000


def find_job(scheduler: Any, job_id: str) -> Any:
    """The job `job_id` names (registered, or left out for its until() deadline), or a
    one-line error naming the closest known IDs."""
    job = scheduler.schedule.job_named(job_id)
    if job is not None:
        return job
    ids = sorted(job.id for job in scheduler.schedule.jobs)
    close = difflib.get_close_matches(job_id, ids, n=3, cutoff=0.3) or ids[:3]
    hint = f"; closest: {', '.join(close)}" if close else "; the project has no jobs"
    raise EquipmentError(f"no job {job_id!r}{hint} (equipment schedule list shows them all)")


@schedule.command(name="run")
@_app_option
@click.argument("job_id")
def run_command(app_spec: str, job_id: str) -> None:
    """Run one job now, as a scheduled run would (conditions, hooks, logging, queue, record)."""
    scheduler = _load_scheduler(app_spec, writes=True)
    job = find_job(scheduler, job_id)
    dispatcher = scheduler.schedule.dispatcher
    dispatcher.replica = ProcessInfo.this_process(scheduler.clock.now()).process_id
    try:
        with _ctrl_c_stops(scheduler), _state_errors(scheduler.state.location):
            record = dispatcher.run_now(job)
    except KeyboardInterrupt:
        _store_manual_run(scheduler)  # the run, cut short: history says so
        click.echo(f"{job.id}: interrupted (Ctrl-C)", err=True)
        raise SystemExit(INTERRUPTED) from None
    _store_manual_run(scheduler)
    took = f" in {record.duration * 1000:.1f} ms" if record.started_at else ""
    if record.succeeded:
        click.echo(f"{job.id}: success{took} (run {record.run_id})")
        return
    reason = record.reason or ""
    what = record.error_line() if record.outcome == "failure" else Why.REASONS.get(reason, reason)
    # The command's answer, as a success's is (the exit code tells them apart).
    click.echo(f"{job.id}: {record.outcome}{took}: {what} (run {record.run_id})")
    raise SystemExit(FAILED)


def _store_manual_run(scheduler: Any) -> None:
    """The manual run's history row. The run happened whatever the store says now (Redis
    gone since the command loaded): a row it cannot take is a note, and the run's outcome
    stays the command's answer and exit code, since a retry would run the job again."""
    try:
        with _state_errors(scheduler.state.location):
            scheduler.state.record(scheduler.schedule.dispatcher.drain())
    except StateStoreError as error:
        click.echo(f"note: the run is not in the history: {error}", err=True)


@contextlib.contextmanager
def _ctrl_c_stops(scheduler: Any) -> Iterator[None]:
    """Ctrl-C during `schedule run` stops the run as a stop signal stops the scheduler's:
    the run is interrupted (logged and recorded as such), not a failure of the job's own."""

    def interrupt(signum: int, frame: Any) -> None:
        scheduler.stop()  # first: the KeyboardInterrupt below is then the stop's
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@schedule.command(name="pause")
@_app_option
@click.argument("job_id")
def pause_command(app_spec: str, job_id: str) -> None:
    """Stop starting a job's occurrences, on every running scheduler, until `resume`."""
    scheduler = _load_scheduler(app_spec, writes=True)
    job = find_job(scheduler, job_id)
    with _state_errors(scheduler.state.location):
        scheduler.state.set_paused(job.id, True, scheduler.clock.now())
        click.echo(
            f"{job.id} paused: running schedulers skip its occurrences from within a second "
            f"(equipment schedule resume {job.id} undoes it)"
        )
        _warn_if_no_scheduler_ran(scheduler)


def _warn_if_no_scheduler_ran(scheduler: Any) -> None:
    """A pause stored where no scheduler has ever run holds nothing back that runs now: say
    so, in case this shell is configured otherwise than the schedulers are."""
    if scheduler.state.spans():
        return
    click.echo(
        f"note: no scheduler has run with this state ({scheduler.state.location}) yet, so it "
        "applies from the first one that does; if schedulers run already, this shell's "
        "settings name another state than theirs (its kind, its path, its Redis URL, or "
        "APP_NAME, which prefixes its keys in Redis)",
        err=True,
    )


@schedule.command(name="resume")
@_app_option
@click.argument("job_id")
def resume_command(app_spec: str, job_id: str) -> None:
    """Let a paused job run again from its next occurrence."""
    scheduler = _load_scheduler(app_spec, writes=True)
    job = find_job(scheduler, job_id)
    with _state_errors(scheduler.state.location):
        was = job.id in scheduler.state.paused()
        scheduler.state.set_paused(job.id, False, scheduler.clock.now())
        zone = job.trigger.zone
        if job.id in scheduler.schedule.left_out:
            next_run = f"no run left: {job.left_out_because(scheduler.clock.now())}"
        else:
            next_run = f"next run {format_instant(job.next_run_at, zone)}"
        click.echo(f"{job.id} resumed: {next_run}" if was else f"{job.id} was not paused")
        _warn_if_no_scheduler_ran(scheduler)


@schedule.command(name="health")
@_app_option
@click.option(
    "--max-age",
    "max_age_text",
    metavar="SECONDS",
    help="How late a heartbeat may be, past the next one its scheduler promised, and still "
    "count as alive.  [default: max(60, 3 x max_sleep)]",
)
@click.option(
    "--stuck-after",
    "stuck_text",
    metavar="SECONDS",
    help=f"A run is never stuck before this.  [default: {Health.STUCK_AFTER:g}]",
)
def health_command(app_spec: str, max_age_text: str | None, stuck_text: str | None) -> None:
    """Exit 0 when a scheduler's heartbeat is not late and no job is stuck; else 1 and the
    reason."""
    max_age = _seconds(max_age_text, "--max-age")
    stuck_after = _seconds(stuck_text, "--stuck-after")
    try:
        scheduler = _load_scheduler(app_spec)
        if max_age is None:
            max_age = Health.stale_after(scheduler.settings.max_sleep).total_seconds()
        report = _reading_state(
            lambda: Health.check(
                scheduler.state,
                scheduler.clock.now(),
                max_age,
                Health.STUCK_AFTER if stuck_after is None else stuck_after,
            ),
            scheduler.state.location,
        )
    except (StateUnreachable, StateNotOurs) as error:  # no scheduler can use it: not healthy
        report = Health.Health(False, str(error))
    if report.ok:
        click.echo(f"ok: {report.reason}")
        return
    click.echo(f"unhealthy: {report.reason}")  # the answer, as "ok: ..." is
    raise SystemExit(FAILED)


@schedule.command(name="history")
@_app_option
@click.argument("job_id")
@click.option("--limit", "limit_text", metavar="N", help="Show the newest N.  [default: 20]")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def history_command(app_spec: str, job_id: str, limit_text: str | None, as_json: bool) -> None:
    """A job's occurrences, newest first: outcome, replica, lateness, duration, queue job."""
    limit = _parse_count(limit_text, "--limit", 20, minimum=1)
    scheduler = _load_scheduler(app_spec)
    job = scheduler.schedule.job_named(job_id)
    with _state_errors(scheduler.state.location):
        if job is None:  # removed from the code, perhaps: its rows stay for history_days
            lines = _stored_lines(scheduler, job_id, limit)
            zone = scheduler.schedule.zone
            if not as_json:
                click.echo(f"{job_id} is not a job of this project's code now; its stored runs:")
        else:
            settings = scheduler.settings
            lines = History.timeline(
                job, scheduler.state, scheduler.clock.now(), settings.max_sleep, limit,
                settings.history_days,
            )
            zone = job.trigger.zone  # as `list` and the status page show the job's times
    if as_json:
        for line in lines:
            click.echo(json.dumps(_as_json(line)))
        return
    if not lines:
        click.echo(f"{job_id}: no occurrence recorded yet")
        return
    rows = [("SCHEDULED", "OUTCOME", "REPLICA", "LATE", "DURATION", "QUEUE JOB")]
    rows += [_history_row(line, zone) for line in lines]
    click.echo(_table(rows))


@schedule.command(name="why")
@_app_option
@click.argument("job_id")
@click.option(
    "--at",
    "at_text",
    required=True,
    help='The time asked about: "2026-03-29 02:30" in the scheduler\'s zone, or ISO with an '
    "offset.",
)
def why_command(app_spec: str, job_id: str, at_text: str) -> None:
    """What happened to the occurrence at (or nearest to) a time, and the evidence."""
    typed = _parse_at(at_text)
    scheduler = _load_scheduler(app_spec)
    job = find_job(scheduler, job_id)
    zone, where = scheduler.schedule.zone, scheduler.state.location
    wall = typed if typed.tzinfo is None else None
    at = wall_to_utc(typed, zone) if wall is not None else typed.astimezone(UTC)
    question = Why.Question(
        job=job,
        at=at,
        wall=wall,
        zone=zone,
        now=scheduler.clock.now(),
        max_sleep=scheduler.settings.max_sleep,
        catch_up=job.catch_up_rule or scheduler.schedule.catch_up,
        coordination=scheduler.schedule.dispatcher.coordinator.mode,
        shutdown_grace=scheduler.settings.shutdown_grace,
    )
    click.echo(_reading_state(lambda: Why.explain(question, scheduler.state), where))


def _parse_at(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise EquipmentError(
            f"--at {text!r} is not a date and time (e.g. \"2026-03-29 02:30\" or "
            "2026-03-29T02:30+02:00)"
        ) from None
    if value.year < 2 or value.year > 9998:
        raise EquipmentError(f"--at {text!r} is out of range (years 2 to 9998)")
    return value


def _seconds(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise EquipmentError(f"{option} {text!r} is not a number of seconds") from None
    if not 0 < value <= MAX_SECONDS:
        raise EquipmentError(
            f"{option} must be more than 0 and at most {MAX_SECONDS} seconds (10 years), "
            f"got {text}"
        )
    return value


def _stored_lines(scheduler: Any, job_id: str, limit: int) -> list[History.Occurrence]:
    """The stored history of `job_id`, a job the code does not register; none: the
    usual error naming the jobs it does."""
    lines = History.stored_lines(scheduler.state, job_id, limit)
    if not lines:
        find_job(scheduler, job_id)
    return lines


def _history_row(line: History.Occurrence, zone: dt.tzinfo) -> tuple[str, ...]:
    return tuple(HistoryText.cells(line, zone).values())


def _as_json(line: History.Occurrence) -> dict[str, object]:
    entry: HistoryEntry = line.entry
    data: dict[str, object] = {
        key: (value.isoformat() if isinstance(value, dt.datetime) else value)
        for key, value in vars(entry).items()
    }
    if line.count > 1:
        data["count"] = line.count
        data["last_scheduled_at"] = line.last.isoformat() if line.last else None
    return data
