"""Where a run executes: inline in the loop (the default), or in a bounded pool of
background threads (`.in_background()`), so that a slow job does not delay the others.

The pool's threads are daemon threads: at a stop the scheduler waits for background runs
up to `shutdown_grace` (`wait`), and a run still going after that does not keep the
process alive.

A job has at most one run waiting for a thread (`waiting`): while every thread is busy, the
dispatcher skips the occurrences of a job whose previous one still waits, so a pool that
cannot keep up falls behind by one run per job, never by an ever longer queue.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from equipment.Scheduler.RunRecord import RunRecord

#: Background runs at once, by default; more wait their turn in order.
BACKGROUND_THREADS = 8
#: Leaving at once, how long `cancel_waiting` waits for the pool's lock (a pool thread's
#: moment, not the main thread's hold, which lasts until the process has left).
LEAVING_LOCK_WAIT = 0.2


class BackgroundPool:
    def __init__(self, threads: int = BACKGROUND_THREADS) -> None:
        self.threads = threads
        self._work: queue.SimpleQueue[tuple[RunRecord, Callable[[], None]]] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._running: dict[str, RunRecord] = {}  # submitted and not finished, by run ID
        self._waiting: set[str] = set()  # job IDs with a run submitted and not started
        self._taken: set[str] = set()  # run IDs a thread has taken
        self._on_cancel: dict[str, Callable[[], None]] = {}  # by run ID, until taken
        self._busy = 0  # threads running a job now
        self._idle = threading.Condition()

    def submit(
        self, record: RunRecord, work: Callable[[], None], on_cancel: Callable[[], None]
    ) -> None:
        """Run `work()` (which never raises) on a pool thread; or `on_cancel()` instead,
        if a stop cancels the run before a thread takes it (`cancel_waiting`)."""
        with self._idle:
            self._running[record.run_id] = record
            self._waiting.add(record.job_id)
            self._on_cancel[record.run_id] = on_cancel
        self._work.put((record, work))
        if len(self._workers) < self.threads:
            worker = threading.Thread(
                target=self._serve, name=f"scheduler-background-{len(self._workers) + 1}",
                daemon=True,
            )
            self._workers.append(worker)
            worker.start()

    def waiting(self, job_id: str) -> bool:
        """Whether a run of `job_id` waits for a thread (submitted, not started) while every
        thread is busy (a free one takes it at once)."""
        return job_id in self._waiting and self._busy >= self.threads

    def cancel_waiting(self, wait: bool = True) -> None:
        """At a stop: the runs still waiting for a thread will not start; each one's
        `on_cancel()` is called. With `wait=False` (leaving at once), nothing is done when
        the lock stays taken `LEAVING_LOCK_WAIT` (the main thread, stopped by the signal,
        holds it: see `running_unlocked`); a pool thread holds it only a moment, and a
        run left waiting could be taken by a thread that frees up, and would not release
        its `without_overlapping` lock."""
        if not self._idle.acquire(timeout=-1 if wait else LEAVING_LOCK_WAIT):
            return
        try:
            dropped = [r for run_id, r in self._running.items() if run_id not in self._taken]
            cancels = [self._on_cancel.pop(record.run_id) for record in dropped]
            for record in dropped:
                del self._running[record.run_id]
                self._waiting.discard(record.job_id)
            self._idle.notify_all()
        finally:
            self._idle.release()
        for on_cancel in cancels:  # outside the lock: they log, and may release a lock
            on_cancel()

    @property
    def idle(self) -> bool:
        """No run submitted and unfinished (a cheap look: no lock, no copy)."""
        return not self._running

    def running(self) -> list[RunRecord]:
        """Runs submitted and not yet finished, in submission order."""
        with self._idle:
            return list(self._running.values())

    def running_unlocked(self) -> list[RunRecord]:
        """`running()` without the lock, for a process leaving at once: the stop signal's
        handler runs in the main thread wherever it is, `wait()` with the lock held among
        those places, and the thread storing the last records must not wait for a lock
        its own process holds until it has left. (Copying a dict's values is one step in
        CPython: no thread changes the dict in the middle.)"""
        return list(self._running.values())

    def wait(self, timeout: float) -> list[RunRecord]:
        """Wait until every background run has finished, at most `timeout` seconds; return
        those still running."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._idle.wait(min(left, 0.5))
            return list(self._running.values())

    def _serve(self) -> None:
        while True:
            record, work = self._work.get()
            with self._idle:
                if record.run_id not in self._running:  # cancelled at a stop
                    continue
                self._taken.add(record.run_id)
                self._waiting.discard(record.job_id)
                del self._on_cancel[record.run_id]
                self._busy += 1
            try:
                work()
            finally:
                with self._idle:
                    self._busy -= 1
                    self._taken.discard(record.run_id)
                    self._running.pop(record.run_id, None)
                    self._idle.notify_all()
