"""A `schedule.Job` whose time arithmetic is done by a `Trigger` on aware instants.

The fluent builder (`every(10).minutes.at(...).do(...)`) is `schedule`'s own. What changes:
`next_run_at` (aware UTC) is the truth and `next_run` (naive local, as in `schedule`) is
derived from it; a run goes through the scheduler's `Dispatcher`; and a job carries an ID,
hooks, environments, conditions and a catch-up rule. Every mistake is refused at
registration, naming the job.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections import deque
from collections.abc import Callable
from typing import Any

import schedule

from equipment.Scheduler import Occurrences
from equipment.Scheduler.Clock import Clock, SystemClock
from equipment.Scheduler.Errors import IntervalError, SchedulerError, ScheduleValueError
from equipment.Scheduler.JobId import callable_name, derive_job_id, direct_push, is_queue_push
from equipment.Scheduler.Occurrences import CatchUp, Missed
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.Trigger import (
    WEEKDAYS,
    AlignedTrigger,
    CalendarTrigger,
    IntervalTrigger,
    Trigger,
)
from equipment.Scheduler.Until import parse_until
from equipment.Scheduler.Zones import (
    format_instant,
    local_zone,
    resolve_zone,
    to_local,
    wall_to_utc,
)

_SYSTEM_CLOCK = SystemClock()
#: The longest interval a job may have: past it, dates overflow (year 9999) and it is a typo.
LONGEST_INTERVAL = dt.timedelta(days=36525)


def _weekday(name: str) -> property:
    """`schedule`'s weekday property, with its error naming the job as ours do."""
    upstream = getattr(schedule.Job, name)

    def select(self: Job) -> Job:
        try:
            return upstream.fget(self)
        except schedule.IntervalError as error:
            raise IntervalError(
                f"every({self.interval}).{name}: {error} Use every().{name}, or "
                f"every({self.interval}).weeks for every {self.interval} weeks."
            ) from None

    return property(select)


class Job(schedule.Job):
    # Our attributes live in slots; `schedule`'s stay in the instance dict, which then stays
    # small and shared between jobs: a job costs about what a `schedule` job does.
    __slots__ = (
        "_next_run_at",
        "trigger",
        "last_run_at",
        "last_record",
        "success_hooks",
        "failure_hooks",
        "conditions",
        "only_in",
        "cron_expression",
        "_name",
        "_id",
        "deadline",
        "window_opened",
        "epoch",
        "pushes_to_queue",
        "push_call",
        "derived_id",
        "order",
        "catch_up_rule",
        "anchor",
        "fingerprint",
        "backlog",
        "missed",
    )

    monday = _weekday("monday")
    tuesday = _weekday("tuesday")
    wednesday = _weekday("wednesday")
    thursday = _weekday("thursday")
    friday = _weekday("friday")
    saturday = _weekday("saturday")
    sunday = _weekday("sunday")

    def __init__(self, interval: int, scheduler: Any = None) -> None:
        self._next_run_at: dt.datetime | None = None
        super().__init__(interval, scheduler)
        self.trigger: Trigger | None = None
        #: The trigger as defined, before an anchor completed it (a day job without
        #: `.at()` takes its time of day from its anchor): set at the first resume.
        self.defined_trigger: Trigger | None = None
        self.last_run_at: dt.datetime | None = None
        self.last_record: RunRecord | None = None
        # Tuples, grown on the rare job that has them: a job costs little at 100,000 jobs.
        self.success_hooks: tuple[Callable[[RunRecord], Any], ...] = ()
        self.failure_hooks: tuple[Callable[[RunRecord], Any], ...] = ()
        self.conditions: tuple[tuple[Callable[[], Any], bool], ...] = ()
        self.only_in: tuple[str, ...] | None = None
        self.cron_expression: str | None = None
        self._name: str | None = None
        self._id: str | None = None
        #: The `until()` deadline as an aware UTC instant, or None.
        self.deadline: dt.datetime | None = None
        #: `until(timedelta)`: when this registration opened the job's window (its
        #: occurrences before then are another window's, see `Schedule._resume`), else None.
        self.window_opened: dt.datetime | None = None
        #: Set by a backward clock step that moved this job's grid, derived from where the
        #: step found it, so that run IDs stay unique although instants repeat.
        self.epoch = ""
        self.pushes_to_queue = False  # do(queue.push, ...): False returned means not queued
        #: (queue, fn, args, kwargs) of a `do(queue.push, fn, ...)` job: pushes falling due
        #: together are sent in one batch.
        self.push_call: tuple[Any, Callable[..., Any], tuple, dict] | None = None
        #: The ID derived from callable and schedule; the schedule may add a twin's ordinal.
        self.derived_id = ""
        self.order = 0  # registration order: ties between jobs due together
        self.catch_up_rule: CatchUp | None = None  # None: the scheduler's default
        #: Where this job's grid is anchored: its first registration ever (from the state).
        self.anchor: dt.datetime | None = None
        self.fingerprint = ""
        #: Missed occurrences that still run, oldest first (`catch_up(all=True)`).
        self.backlog: deque[dt.datetime] | tuple[()] = ()
        #: What the job missed while no scheduler ran, as found at registration.
        self.missed: Missed | None = None
        #: `.in_background()`: runs on the background pool, not in the loop.
        self.background = False
        #: `.without_overlapping()`: an occurrence due while a run is going is skipped.
        self.exclusive = False

    # -- the two views of the next run -------------------------------------------------

    @property
    def next_run_at(self) -> dt.datetime | None:
        """The next run as an aware UTC instant: what the scheduler really uses."""
        return self._next_run_at

    @next_run_at.setter
    def next_run_at(self, value: dt.datetime | None) -> None:
        self._next_run_at = value
        reindex = getattr(getattr(self, "scheduler", None), "reindex", None)
        if reindex is not None:
            reindex(self)

    @property
    def next_run(self) -> dt.datetime | None:  # type: ignore[override]
        """The next run as a naive local datetime, as `schedule` has always exposed it."""
        if self._next_run_at is None:
            return None
        return to_local(self._next_run_at, local_zone())

    @next_run.setter
    def next_run(self, value: dt.datetime | None) -> None:
        if value is None:
            self.next_run_at = None
        elif value.tzinfo is None:
            self.next_run_at = wall_to_utc(value, local_zone())
        else:
            self.next_run_at = value.astimezone(dt.UTC)

    @property
    def last_run(self) -> dt.datetime | None:  # type: ignore[override]
        """The last run's end as a naive local datetime, as `schedule` exposes it."""
        at = getattr(self, "last_run_at", None)
        return None if at is None else to_local(at, local_zone())

    @last_run.setter
    def last_run(self, value: dt.datetime | None) -> None:
        if value is not None and value.tzinfo is None:
            value = wall_to_utc(value, local_zone())
        self.last_run_at = value

    def __lt__(self, other: schedule.Job) -> bool:
        return self._sort_key() < other._sort_key()  # type: ignore[attr-defined]

    def _sort_key(self) -> dt.datetime:
        return self._next_run_at or dt.datetime.max.replace(tzinfo=dt.UTC)

    # -- identity --------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """Stable across restarts: set with `.name()` or derived from callable and schedule."""
        if self._id is None:
            raise SchedulerError("a job has an ID only once .do() has registered it")
        return self._id

    @property
    def explicit_name(self) -> str | None:
        """The `.name()` given, if any."""
        return self._name

    def assign_id(self, job_id: str) -> None:
        """Called once by the schedule: the ID it gave this job; random draws follow it."""
        self._id = job_id
        if self.trigger is not None:
            self.trigger = self.trigger.seeded(job_id)

    def name(self, job_id: str) -> Job:
        """Give the job an explicit ID (before `.do()`), e.g. `.name("nightly-report")`."""
        if not isinstance(job_id, str) or not job_id.strip():
            raise ScheduleValueError(f"name() needs a non-empty string, got {job_id!r}")
        if self.job_func is not None:
            raise SchedulerError(f"name({job_id!r}) must come before .do()")
        self._name = _printable_id(job_id.strip())
        return self

    # -- extensions of the builder -----------------------------------------------------------

    def on_success(self, callback: Callable[[RunRecord], Any]) -> Job:
        """Call `callback(record)` after each successful run."""
        self._require_callable(callback, "on_success()")
        self.success_hooks += (callback,)
        return self

    def on_failure(self, callback: Callable[[RunRecord], Any]) -> Job:
        """Call `callback(record)` after each failed run."""
        self._require_callable(callback, "on_failure()")
        self.failure_hooks += (callback,)
        return self

    def catch_up(self, within: dt.timedelta, all: bool = False) -> Job:  # noqa: A002
        """Run occurrences missed while no scheduler ran, if they are at most `within` old:
        the latest one once, or with `all=True` each one, oldest first (before `.do()`)."""
        where = self._name or self._phrase()
        if not isinstance(within, dt.timedelta) or within < dt.timedelta(0):
            raise ScheduleValueError(
                f"job {where}: catch_up(within=...) needs a timedelta of zero or more, "
                f"got {within!r} (e.g. catch_up(within=timedelta(hours=6)))"
            )
        if not isinstance(all, bool):
            raise ScheduleValueError(f"job {where}: catch_up(all=...) must be True or False")
        if self.job_func is not None:
            raise SchedulerError(f"job {where}: catch_up() must come before .do()")
        self.catch_up_rule = CatchUp(within, all)
        return self

    def in_background(self) -> Job:
        """Run on the scheduler's pool of background threads, so that a slow run does not
        delay the other jobs (the loop goes on at once)."""
        self.background = True
        return self

    def without_overlapping(self) -> Job:
        """Skip an occurrence that falls due while the previous run is still going (here, in
        a background thread or on another replica); the skip is logged with its run ID."""
        self.exclusive = True
        return self

    def environments(self, *names: str) -> Job:
        """Register the job only where `config.app.env()` is one of `names`."""
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ScheduleValueError("environments() needs one or more environment names")
        self.only_in = tuple(names)
        return self

    def when(self, predicate: Callable[[], Any]) -> Job:
        """Run an occurrence only if `predicate()` is true at that moment."""
        self._require_callable(predicate, "when()")
        self.conditions += ((predicate, True),)
        return self

    def skip(self, predicate: Callable[[], Any]) -> Job:
        """Skip an occurrence when `predicate()` is true at that moment."""
        self._require_callable(predicate, "skip()")
        self.conditions += ((predicate, False),)
        return self

    # -- schedule's builder, validated -----------------------------------------------------------

    def at(self, time_str: str, tz: Any = None) -> Job:
        if self.at_time is not None:  # `schedule` keeps the last, silently
            raise ScheduleValueError(
                f"at({time_str!r}) on {self._phrase()}: at() is given once per job (register "
                "a job for each time)"
            )
        try:
            super().at(time_str)
        except schedule.ScheduleValueError as error:
            raise ScheduleValueError(self._at_problem(time_str, error)) from None
        if tz is not None:
            self.at_time_zone = resolve_zone(tz, f"at({time_str!r}, {tz!r})")
        return self

    def _at_problem(self, time_str: Any, error: Exception) -> str:
        if self.unit not in ("days", "hours", "minutes") and not self.start_day:
            return (
                f"at({time_str!r}) cannot be used on {self._phrase()}: at() applies to "
                "days, hours, minutes and weekdays"
            )
        formats = {"days": "HH:MM or HH:MM:SS", "hours": "MM:SS or :MM", "minutes": ":SS"}
        wanted = formats["days"] if self.start_day else formats.get(self.unit or "", "?")
        return f"at({time_str!r}) on {self._phrase()}: not a valid time (expected {wanted})"

    def until(self, until_time: Any) -> Job:
        """Run up to a deadline. One already past is not an error here: code that ran for
        days meets its deadline at some restart, and the registration that follows leaves
        the job out with a warning (`Schedule.register`). A negative span is a mistake in
        the code whenever it runs, and is refused."""
        if isinstance(until_time, dt.timedelta) and until_time < dt.timedelta(0):
            named = f" (job {self._name!r})" if self._name else ""
            raise ScheduleValueError(
                f"until({until_time!r}) on {self.describe()}{named}: a negative span, so the "
                "job would never run"
            )
        now = self._clock().now()
        # The scheduler's zone, not the job's: `.at("03:00", "Asia/Tokyo")` before or after
        # `.until(...)` must not move the deadline (and `schedule` reads it in local time).
        self.deadline = parse_until(until_time, now, self._scheduler_zone())
        self.window_opened = now if isinstance(until_time, dt.timedelta) else None
        self.cancel_after = to_local(self.deadline, local_zone())
        return self

    def do(self, job_func: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
        self._require_callable(job_func, "do()")
        self._refuse_generator(job_func)
        self.job_func = functools.partial(job_func, *args, **kwargs)
        try:
            functools.update_wrapper(self.job_func, job_func)
        except (AttributeError, TypeError):  # callables without __name__ etc.
            pass
        self.trigger = self.trigger or self._build_trigger()
        self._check_cron_builder()
        self.pushes_to_queue = is_queue_push(self.job_func)
        self.push_call = direct_push(self.job_func)
        self.fingerprint = self.trigger.fingerprint()
        # A zone is part of the ID only when the job names its own: with the scheduler's
        # zone (often "local"), the ID must not change from one host to another.
        words = self.trigger.describe() if self.at_time_zone else self.trigger.words()
        self.derived_id = derive_job_id(self.job_func, words)
        if self.scheduler is None:
            raise SchedulerError(
                "Unable to add job to schedule: the job is not associated with a scheduler"
            )
        self.scheduler.register(self)  # type: ignore[attr-defined]
        return self

    def _check_cron_builder(self) -> None:
        if self.cron_expression is None:
            return
        if self.unit != "cron" or self.start_day or self.latest is not None:
            raise ScheduleValueError(
                f"cron({self.cron_expression!r}) takes all its timing from the expression: "
                "units, weekdays and .to() do not apply to it"
            )

    def _require_callable(self, value: Any, where: str) -> None:
        if not callable(value):
            raise ScheduleValueError(
                f"{where} on {self._phrase()} needs a callable, got {value!r} "
                "(pass the function itself, not the result of calling it)"
            )

    def _refuse_generator(self, job_func: Callable[..., Any]) -> None:
        """A generator function's call only makes a generator: none of its body would run,
        while every run was logged a success. (An `async def` job is run to its end.)"""
        if inspect.isgeneratorfunction(job_func) or inspect.isasyncgenfunction(job_func):
            name = callable_name(job_func)
            consume = "" if inspect.isasyncgenfunction(job_func) else f" (lambda: list({name}()))"
            raise ScheduleValueError(
                f"do({name}) on {self._phrase()}: it is a generator function (it has "
                "`yield`), so calling it runs none of its body; make it a plain function, or "
                f"pass one that consumes it{consume}"
            )

    def _phrase(self) -> str:
        unit = self.unit or "(no unit)"
        base = f"every({self.interval})" + (f".to({self.latest})" if self.latest else "")
        return f"{base}.{self.start_day or unit}"

    # -- triggers ------------------------------------------------------------------------

    def _zone(self) -> dt.tzinfo:
        if self.at_time_zone is not None:
            return self.at_time_zone
        return self._scheduler_zone()

    def _scheduler_zone(self) -> dt.tzinfo:
        zone = getattr(self.scheduler, "zone", None)
        return zone if zone is not None else local_zone()

    def _build_trigger(self) -> Trigger:
        self._check_interval()
        zone = self._zone()
        rng = getattr(self.scheduler, "rng", None)
        extra: dict[str, Any] = {"rng": rng} if rng is not None else {}
        if self.unit in ("days", "weeks"):
            weekday = WEEKDAYS.index(self.start_day) if self.start_day else None
            return CalendarTrigger(
                self.interval, self.unit, zone, self.at_time, weekday, self.latest, **extra
            )
        if self.at_time is not None:
            return AlignedTrigger(
                self.interval, self.unit, zone, self.latest, at=self.at_time, **extra
            )
        return IntervalTrigger(self.interval, self.unit, zone, self.latest, **extra)

    def _check_interval(self) -> None:
        if self.unit not in ("seconds", "minutes", "hours", "days", "weeks"):
            raise ScheduleValueError(
                f"{self._phrase()}: choose a unit (seconds, minutes, hours, days, weeks or a "
                "weekday) before .do()"
            )
        if isinstance(self.interval, bool) or not isinstance(self.interval, int):
            raise IntervalError(f"{self._phrase()}: the interval must be a whole number")
        if self.interval < 1:
            raise IntervalError(
                f"every({self.interval}): the interval must be a positive whole number"
            )
        if self.latest is not None and (
            not isinstance(self.latest, int) or self.latest < self.interval
        ):
            raise ScheduleValueError(
                f"{self._phrase()}: to({self.latest}) must not be below the interval "
                f"{self.interval}"
            )
        if self.start_day and self.start_day not in WEEKDAYS:
            raise ScheduleValueError(
                f"{self._phrase()}: unknown weekday {self.start_day!r} (use .monday … .sunday)"
            )
        if self.start_day and self.unit != "weeks":
            raise ScheduleValueError(f"{self._phrase()}: a weekday job must be weekly")
        longest = max(self.interval, self.latest or 0)
        try:
            too_long = dt.timedelta(**{self.unit: longest}) > LONGEST_INTERVAL
        except OverflowError:
            too_long = True
        if too_long:
            raise IntervalError(
                f"{self._phrase()}: an interval longer than {LONGEST_INTERVAL.days} days "
                "cannot be scheduled"
            )

    def _schedule_next_run(self) -> None:
        """Compute the next run from now (registration uses the stored grid instead)."""
        if self.trigger is None:
            self.trigger = self._build_trigger()
        now = self._clock().now()
        if self._next_run_at is None:
            self.next_run_at = self.trigger.anchored(now).first(now)
        else:
            self.next_run_at = Occurrences.next_run(self.trigger, self._next_run_at, now)

    def grid(self, anchor: dt.datetime) -> Trigger:
        """The job's trigger on the grid anchored at `anchor`: from its definition, not
        from the anchor this process first gave it (another process may have anchored the
        grid first, and a day job without `.at()` takes its time of day from the anchor)."""
        trigger = self.defined_trigger or self.trigger
        assert trigger is not None
        return trigger.anchored(anchor)

    def left_out_because(self, now: dt.datetime) -> str:
        """Why a job left out for its `until()` deadline has no run, for the operator views:
        the deadline and what `never_runs` says of it now."""
        deadline = format_instant(self.deadline, self._zone())
        return f"its until() deadline, {deadline}, {self.never_runs(now) or 'has passed'}"

    def never_runs(self, now: dt.datetime) -> str | None:
        """Why the job's `until()` deadline leaves it no run from `now` on, or None."""
        if self.is_overdue(now):
            return "has passed"
        first = self._next_run_at
        if first is not None and self.is_overdue(first):
            return f"comes before its first run, {format_instant(first, self._zone())}"
        return None

    def shift(self, delta: dt.timedelta) -> None:
        """Move the next run by `delta` (a backward wall-clock step for elapsed-time jobs).

        The new grid's epoch is where the step found the job, so every process that sees
        the same step names the new occurrences the same."""
        if self._next_run_at is not None:
            self.epoch = f"{self._next_run_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
            if self.backlog:  # the catch-up still to run moves with the grid it is on
                self.backlog = deque(self.trigger.realign(at + delta) for at in self.backlog)
            self.next_run_at = self.trigger.realign(self._next_run_at + delta)

    # -- running ---------------------------------------------------------------------------------

    def _clock(self) -> Clock:
        return getattr(self.scheduler, "clock", None) or _SYSTEM_CLOCK

    @property
    def should_run(self) -> bool:
        assert self._next_run_at is not None, "must run _schedule_next_run before"
        return self._clock().now() >= self._next_run_at

    def is_overdue(self, when: dt.datetime) -> bool:
        """Whether `when` is past the job's `until()` deadline."""
        if self.deadline is None:
            return False
        if when.tzinfo is None:
            when = wall_to_utc(when, local_zone())
        return when > self.deadline

    def run(self) -> Any:
        """Run the due occurrence now and reschedule, through the scheduler's dispatcher."""
        dispatcher = getattr(self.scheduler, "dispatcher", None)
        if dispatcher is None:
            from equipment.Log.NullLogger import NullLogger
            from equipment.Scheduler.Dispatcher import Dispatcher

            dispatcher = Dispatcher(self._clock(), NullLogger())
        return dispatcher.fire(self)

    def remember(self, record: RunRecord) -> None:
        """Keep `record` as this job's last run (`last_run`, as in `schedule`, is local)."""
        self.last_run_at = record.finished_at or self._clock().now()
        self.last_record = record

    def describe(self) -> str:
        """The schedule in words ('every day at 03:00:00 (Europe/Madrid)')."""
        return self.trigger.describe() if self.trigger else self._phrase()

    def __repr__(self) -> str:
        if self.cron_expression is None:
            return super().__repr__()
        target = callable_name(self.job_func.func) if self.job_func else "[None]"
        return f"{self.describe()} do {target}()"


def _printable_id(job_id: str) -> str:
    """A name() without control or invisible characters. An ID is in every log line, in the
    commands' tables and in the status page's addresses: a newline in one forges a log line
    and breaks the table, a right-to-left override shows it reversed, and neither can be
    typed back to `equipment schedule pause`."""
    bad = next(
        (char for at, char in enumerate(job_id) if not _shows(job_id, at)), None
    )
    if bad is not None:
        raise ScheduleValueError(
            f"name({job_id!r}) has a character that is not printable ({bad!r}): a job ID is "
            "shown in log lines, tables and addresses; use letters, digits and punctuation"
        )
    return job_id


#: Zero-width non-joiner and joiner: part of how some words are written (Persian, the
#: Indic scripts) and of emoji sequences (a family, a rainbow flag), joining their sides.
_JOINERS = frozenset("\u200c\u200d")


def _shows(job_id: str, at: int) -> bool:
    """Whether the character at `at` may be in a job ID: a printable one, or a joiner
    between two visible characters (alone or at an end it would only hide)."""
    char = job_id[at]
    if char.isprintable():
        return True
    if char not in _JOINERS or at == 0 or at == len(job_id) - 1:
        return False
    before, after = job_id[at - 1], job_id[at + 1]
    return all(c.isprintable() and not c.isspace() for c in (before, after))
