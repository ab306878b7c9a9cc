"""One adapter per scheduler, all with the same few operations.

- `interval(seconds, key)`: register a job every `seconds`; returns when it is first due
  (epoch seconds), or None when the peer runs it at once on its first pass;
- `pinned(second, key)`: a job once a minute at :SS;
- `loop(seconds)`: the peer's own blocking loop, stopped from a timer after `seconds`;
- `prepare()` before registering jobs and `settle()` after (both no-ops for most peers),
  then `idle_pass()` (one pass with nothing due) and `next_wakeup()` (seconds until due);
- `starts()`: (key, epoch seconds) of every run.

Peers' libraries are imported inside the adapters, so each worker process imports only its
own peer. Where a peer has no public call for an operation it raises `Unsupported`, or uses
the internal call its own loop makes, said in `NOTES`.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

from peers.recorder import Recorder, enqueued
from peers.stats import Unsupported

UTC = dt.UTC

NOTES = {
    "aps3": "one pass is its internal `_process_jobs()`, the call its own loop makes",
    "rq-cron": "a run is an enqueue to Redis (no worker): lateness is the job's `enqueued_at`",
}


def _after(seconds: float, action: Callable[[], object]) -> threading.Timer:
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.start()
    return timer


def _due_in(seconds: float) -> dt.datetime:
    return dt.datetime.now(UTC) + dt.timedelta(seconds=seconds)


class Peer:
    name = ""
    label = ""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.count = 0

    def prepare(self) -> None:
        """Called before jobs are registered for the pass and wake-up measures."""

    def settle(self) -> None:
        """Called after registration, before the pass and wake-up measures."""

    def first_pass(self) -> None:
        """Start as the peer's loop would and make its first pass (for start-up time)."""
        self.prepare()
        self.settle()
        self.idle_pass()

    def starts(self) -> list[tuple[Hashable, float]]:
        return self.recorder.starts

    def close(self) -> None:
        pass


class Ours(Peer):
    name, label = "ours", "Equipment"

    def __init__(self) -> None:
        super().__init__()
        from equipment.Scheduler.Scheduler import Scheduler

        self.scheduler = Scheduler(settings={"timezone": "UTC"})
        self.schedule = self.scheduler.schedule

    def _name(self) -> str:
        self.count += 1
        return f"job-{self.count}"

    def interval(self, seconds: float, key: Hashable) -> float | None:
        job = self.schedule.every(seconds).seconds.name(self._name()).do(self.recorder.mark, key)
        return job.next_run_at.timestamp()

    def pinned(self, second: int, key: Hashable) -> None:
        every_minute = self.schedule.every().minute.at(f":{second:02d}")
        every_minute.name(self._name()).do(self.recorder.mark, key)

    def loop(self, seconds: float) -> None:
        _after(seconds, self.scheduler.stop)
        self.scheduler.run()

    def idle_pass(self) -> None:
        self.scheduler.tick()

    def next_wakeup(self) -> float | None:
        return self.schedule.idle_seconds


class ScheduleSleeping(Peer):
    """`schedule` 1.2 with the loop its documentation suggests, sleeping until the next job."""

    name, label = "schedule", "schedule, sleep to next"

    def __init__(self) -> None:
        super().__init__()
        import schedule

        self.schedule = schedule.Scheduler()

    def interval(self, seconds: float, key: Hashable) -> float | None:
        job = self.schedule.every(seconds).seconds.do(self.recorder.mark, key)
        return job.next_run.timestamp()  # naive local time, as `schedule` keeps it

    def pinned(self, second: int, key: Hashable) -> None:
        self.schedule.every().minute.at(f":{second:02d}").do(self.recorder.mark, key)

    def pause(self) -> float:
        idle = self.schedule.idle_seconds
        return 60.0 if idle is None else max(0.0, idle)

    def loop(self, seconds: float) -> None:
        stop = threading.Event()
        _after(seconds, stop.set)
        while not stop.is_set():
            self.schedule.run_pending()
            stop.wait(self.pause())

    def idle_pass(self) -> None:
        self.schedule.run_pending()

    def next_wakeup(self) -> float | None:
        return self.schedule.idle_seconds


class OriginalLoop(ScheduleSleeping):
    """The original framework's loop: `run_pending(); sleep(1)`."""

    name, label = "loop", "schedule + sleep(1)"

    def pause(self) -> float:
        return 1.0


class Aps3(Peer):
    name, label = "aps3", "APScheduler 3"

    def __init__(self) -> None:
        super().__init__()
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.store = MemoryJobStore()
        self.scheduler = BlockingScheduler(timezone="UTC", jobstores={"default": self.store})

    def prepare(self) -> None:
        # Jobs added before start() wait in a plain list; the job store is what counts.
        from apscheduler.schedulers.background import BackgroundScheduler

        self.scheduler = BackgroundScheduler(timezone="UTC", jobstores={"default": self.store})
        self.scheduler.start(paused=True)

    def settle(self) -> None:
        self.scheduler.resume()

    def interval(self, seconds: float, key: Hashable) -> float | None:
        due = _due_in(seconds)
        self.scheduler.add_job(
            self.recorder.mark, "interval", seconds=seconds, start_date=due, args=(key,)
        )
        return due.timestamp()

    def pinned(self, second: int, key: Hashable) -> None:
        self.scheduler.add_job(self.recorder.mark, "cron", second=second, args=(key,))

    def loop(self, seconds: float) -> None:
        _after(seconds, lambda: self.scheduler.shutdown(wait=False))
        self.scheduler.start()

    def idle_pass(self) -> None:
        self.scheduler._process_jobs()

    def next_wakeup(self) -> float | None:
        due = self.store.get_next_run_time()
        return None if due is None else (due - dt.datetime.now(UTC)).total_seconds()

    def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


class Aps4(Peer):
    name, label = "aps4", "APScheduler 4"

    def __init__(self) -> None:
        super().__init__()
        from apscheduler import Scheduler

        self.scheduler = Scheduler()
        self.scheduler.__enter__()

    def interval(self, seconds: float, key: Hashable) -> float | None:
        from apscheduler.triggers.interval import IntervalTrigger

        due = _due_in(seconds)
        trigger = IntervalTrigger(seconds=seconds, start_time=due)
        self.scheduler.add_schedule(mark, trigger, args=(self.recorder, key))
        return due.timestamp()

    def pinned(self, second: int, key: Hashable) -> None:
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger(second=second, timezone="UTC")
        self.scheduler.add_schedule(mark, trigger, args=(self.recorder, key))

    def loop(self, seconds: float) -> None:
        _after(seconds, self.scheduler.stop)
        self.scheduler.run_until_stopped()

    def first_pass(self) -> None:
        self.scheduler.start_in_background()

    def idle_pass(self) -> None:
        raise Unsupported("no public one-pass call: its loop runs inside the async data store")

    def next_wakeup(self) -> float | None:
        raise Unsupported("no public next wake-up: its loop runs inside the async data store")

    def close(self) -> None:
        self.scheduler.__exit__(None, None, None)


def mark(recorder: Recorder, key: Hashable) -> None:
    """APScheduler 4 needs a module-level function to reference its task."""
    recorder.mark(key)


class RqCron(Peer):
    """RQ 3's CronScheduler: each run is an enqueue; nothing runs the jobs here."""

    name, label = "rq-cron", "RQ CronScheduler"

    def __init__(self) -> None:
        super().__init__()
        import logging

        from redis import Redis
        from redis.exceptions import ConnectionError
        from rq.cron import CronScheduler

        self.connection = Redis(db=15)
        try:
            self.connection.ping()
        except ConnectionError as error:
            raise Unsupported(f"needs Redis on 127.0.0.1:6379 ({error})") from None
        self.queue_name = f"bench-cron-{uuid.uuid4().hex[:8]}"
        self.cron = CronScheduler(
            self.connection, logging_level=logging.WARNING, name=self.queue_name
        )

    def interval(self, seconds: float, key: Hashable) -> float | None:
        if seconds != int(seconds) or seconds < 1:
            raise Unsupported("intervals are whole seconds")
        self.cron.register(
            enqueued, self.queue_name, args=(key,), interval=int(seconds), name=self.queue_name
        )
        return None  # an interval job is enqueued at once, then every interval after that

    def pinned(self, second: int, key: Hashable) -> None:
        self.cron.register(
            enqueued, self.queue_name, args=(key,), cron=f"* * * * * {second}",
            name=self.queue_name,
        )

    def loop(self, seconds: float) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise Unsupported("its loop installs signal handlers: main thread only")
        _after(seconds, lambda: os.kill(os.getpid(), signal.SIGTERM))
        self.cron.start()

    def settle(self) -> None:
        now = dt.datetime.now(UTC)
        for job in self.cron.get_jobs():  # as after a first pass: nothing due now
            job.set_enqueue_time(now)

    def idle_pass(self) -> None:
        self.cron.enqueue_jobs()

    def next_wakeup(self) -> float | None:
        return self.cron.calculate_sleep_interval()

    def starts(self) -> list[tuple[Hashable, float]]:
        from rq import Queue
        from rq.job import Job

        ids = Queue(self.queue_name, connection=self.connection).get_job_ids()
        jobs = Job.fetch_many(ids, connection=self.connection)
        return [(job.args[0], _epoch(job.enqueued_at)) for job in jobs if job is not None]

    def close(self) -> None:
        from rq import Queue
        from rq.cron import get_cron_job_history_key
        from rq.cron_job_registry import get_registry_key

        Queue(self.queue_name, connection=self.connection).delete(delete_jobs=True)
        self.connection.delete(get_cron_job_history_key(self.queue_name))
        self.connection.zrem(get_registry_key(), self.queue_name)


def _epoch(when: dt.datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


PEERS: dict[str, type[Peer]] = {
    peer.name: peer for peer in (Ours, OriginalLoop, ScheduleSleeping, Aps3, Aps4, RqCron)
}


@contextmanager
def opened(name: str) -> Iterator[Peer]:
    """The named peer, closed afterwards; Unsupported when its library is not installed."""
    try:
        peer = PEERS[name]()
    except ImportError as error:
        raise Unsupported(f"not installed here (no module {error.name})") from None
    try:
        yield peer
    finally:
        peer.close()
