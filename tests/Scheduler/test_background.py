"""`.in_background()` and `.without_overlapping()` in one process: a slow job does not hold
the loop, an occurrence due while the previous run goes on is skipped and said so, the lock
never sticks, and a stop waits for background runs up to shutdown_grace."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from equipment.Scheduler.RunRecord import FAILURE, OVERLAP, POOL_BUSY, SKIPPED, SUCCESS
from equipment.Scheduler.Scheduler import Scheduler

WAIT = 5.0  # a bound on waiting for a pool thread, never reached when the code is right


class Gate:
    """A job that blocks until the test opens the gate; says when it has started."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.started = threading.Event()
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        self.started.set()
        assert self.open.wait(WAIT)


def slow_job() -> None:
    raise AssertionError("replaced by a Gate in each test")


def failing() -> None:
    raise RuntimeError("boom")


def quick() -> None:
    return None


def test_a_background_job_does_not_hold_the_others(scheduler, clock):
    gate = Gate()
    scheduler.schedule.every(1).seconds.in_background().name("slow").do(gate)
    scheduler.schedule.every(1).seconds.do(quick)
    clock.advance(1)
    records = scheduler.tick()
    assert [r.job_id for r in records] == ["quick:every-second"]  # slow's comes later
    assert gate.started.wait(WAIT)
    gate.open.set()
    assert scheduler.schedule.dispatcher.background.wait(WAIT) == []
    clock.advance(0.5)
    [slow] = scheduler.schedule.dispatcher.drain()
    assert slow.job_id == "slow" and slow.outcome == SUCCESS


def test_an_occurrence_due_while_the_previous_run_goes_on_is_skipped(scheduler, clock, log):
    gate = Gate()
    scheduler.schedule.every(1).seconds.in_background().without_overlapping().name("s").do(gate)
    clock.advance(1)
    scheduler.tick()
    assert gate.started.wait(WAIT)
    clock.advance(1)
    [skipped] = scheduler.tick()
    assert skipped.outcome == SKIPPED and skipped.reason == OVERLAP
    [line] = log.find("skipped occurrence", logging.INFO)
    assert skipped.run_id in line.message and "without_overlapping" in line.message
    gate.open.set()
    assert scheduler.schedule.dispatcher.background.wait(WAIT) == []
    clock.advance(1)
    scheduler.tick()
    assert scheduler.schedule.dispatcher.background.wait(WAIT) == []
    assert gate.calls == 2  # the lock was released at the end of the first run


def test_a_full_pool_keeps_one_waiting_run_per_job_and_skips_the_rest(clock, log):
    """All threads busy: the job's next occurrence waits for one, the ones after it are
    skipped and said so, instead of a queue that grows for as long as the pool is behind."""
    scheduler = Scheduler(clock=clock, log=log, settings={"background_threads": 1})
    gate = Gate()
    scheduler.schedule.every(1).seconds.in_background().name("slow").do(gate)
    clock.advance(1)
    scheduler.tick()
    assert gate.started.wait(WAIT)  # the only thread is busy from here on
    skipped = []
    for _ in range(4):
        clock.advance(1)
        skipped += scheduler.tick()  # the first one waits; the three after it are skipped

    assert [(r.outcome, r.reason) for r in skipped] == [(SKIPPED, POOL_BUSY)] * 3
    assert len(scheduler.schedule.dispatcher.background.running()) == 2
    assert len(log.find("is still waiting for a background thread (all 1 busy)")) == 3
    gate.open.set()
    assert scheduler.schedule.dispatcher.background.wait(WAIT) == []
    assert gate.calls == 2


def test_a_run_that_never_got_a_thread_is_reported_as_not_run_at_the_stop(clock, log):
    scheduler = stopping_scheduler(clock, log, grace=0.5)  # time enough for "stuck" to start
    gate = Gate()
    scheduler.schedule.dispatcher.background.threads = 1
    scheduler.schedule.every(1).seconds.in_background().name("stuck").do(gate)
    scheduler.schedule.every(1).seconds.in_background().name("next").do(quick)
    clock.advance(1)
    scheduler.run()

    assert len(log.find("did not finish within shutdown_grace", logging.ERROR)) == 1
    [waiting] = log.find("did not start before the stop", logging.WARNING)
    assert waiting.message.startswith("Background job next did not start before the stop")
    assert not log.find("(between runs)")
    [row] = scheduler.state.history("next")
    assert (row.outcome, row.reason) == (SKIPPED, "stopping")
    gate.open.set()
    assert scheduler.schedule.dispatcher.background.wait(WAIT) == []
    assert not log.find("Job next started")  # a thread freed later does not start it


def test_a_run_dropped_at_the_stop_releases_only_an_overlap_lock_it_took(clock, log):
    """The waiting run of a .without_overlapping() job gives its lock back, and says so when
    that fails; the waiting run of a job without one touches no lock."""
    scheduler = stopping_scheduler(clock, log, grace=0.5)
    gate = Gate()
    scheduler.schedule.dispatcher.background.threads = 1
    scheduler.schedule.every(1).seconds.in_background().name("stuck").do(gate)
    scheduler.schedule.every(1).seconds.in_background().without_overlapping().name("solo").do(
        quick
    )
    scheduler.schedule.every(1).seconds.in_background().name("plain").do(quick)
    released = []

    def release(job_id: str, run_id: str) -> None:
        released.append(job_id)
        raise ConnectionError("lock server gone")

    scheduler.coordinator.locks.release = release
    clock.advance(1)
    scheduler.run()
    gate.open.set()
    assert scheduler.schedule.dispatcher.background.wait(WAIT) == []

    assert released == ["solo"]
    [line] = log.find("its overlap lock was not released", logging.WARNING)
    assert line.message.startswith("Job solo:") and "lock server gone" in line.message
    assert len(log.find("did not start before the stop", logging.WARNING)) == 2


def test_the_lock_is_released_when_a_run_fails(scheduler, clock):
    scheduler.schedule.every(1).seconds.without_overlapping().do(failing)
    outcomes = []
    for _ in range(3):
        clock.advance(1)
        outcomes += [r.outcome for r in scheduler.tick()]
    assert outcomes == [FAILURE] * 3


def test_without_background_the_same_job_never_overlaps_itself(scheduler, clock):
    scheduler.schedule.every(1).seconds.without_overlapping().do(quick)
    for _ in range(3):
        clock.advance(1)
        assert [r.outcome for r in scheduler.tick()] == [SUCCESS]


def stopping_scheduler(clock, log, grace: float) -> Scheduler:
    scheduler = Scheduler(
        log=log, clock=clock, settings={"timezone": "UTC", "shutdown_grace": grace}
    )
    scheduler.should_exit = True  # one pass, then stop
    return scheduler


def test_a_stop_waits_for_background_runs(clock, log):
    scheduler = stopping_scheduler(clock, log, grace=WAIT)
    done = threading.Event()

    def finishes_soon() -> None:
        done.wait(0.05)  # a short run: the stop must wait for it

    scheduler.schedule.every(1).seconds.in_background().name("bg").do(finishes_soon)
    clock.advance(1)
    scheduler.run()
    assert scheduler.schedule.dispatcher.background.running() == []
    assert scheduler.state.load()["bg"].last_outcome == SUCCESS  # its record was written


def test_a_background_run_past_the_grace_is_reported_at_the_stop(clock, log):
    scheduler = stopping_scheduler(clock, log, grace=0.05)
    gate = Gate()
    scheduler.schedule.every(1).seconds.in_background().name("stuck").do(gate)
    clock.advance(1)
    scheduler.run()
    [line] = log.find("did not finish within shutdown_grace", logging.ERROR)
    assert "Background job stuck" in line.message
    gate.open.set()


def test_a_background_run_that_ends_wakes_the_loop_to_store_its_record(scheduler, clock):
    # An idle loop may sleep an hour until its next job: the run's record must not wait
    # for that pass (its history, its metrics, a restart's catch-up all read it).
    woken = threading.Event()
    gate = Gate()
    scheduler.schedule.every(1).hours.in_background().name("slow").do(gate)
    scheduler.schedule.dispatcher.on_background_done = woken.set  # the loop's wake-up
    clock.advance(3600)
    scheduler.tick()
    assert gate.started.wait(WAIT)
    assert not woken.is_set()  # still running

    gate.open.set()

    assert woken.wait(WAIT)
    assert [r.outcome for r in scheduler.schedule.dispatcher.completed] == [SUCCESS]


def test_the_scheduler_wakes_its_loop_when_a_background_run_ends(scheduler):
    # (wired at construction: the callback sets the loop's wake-up)
    scheduler.schedule.dispatcher.on_background_done()

    assert scheduler._wake.is_set()


def test_a_background_run_longer_than_its_interval_says_its_runs_overlap(scheduler, clock, log):
    scheduler.schedule.every(1).seconds.in_background().name("long").do(lambda: clock.advance(2))
    clock.advance(1)
    scheduler.tick()
    assert scheduler.schedule.dispatcher.background.wait(WAIT) == []

    [warning] = log.find("longer than its interval", logging.WARNING)
    assert "its runs overlap on the background threads" in warning.message
    assert "are skipped" not in warning.message


def test_a_pool_with_a_free_thread_skips_nothing(clock, log):
    """Passes close together submit runs before a thread has taken the last one: that run
    is not waiting for want of a thread, and the next occurrence is not skipped."""
    scheduler = Scheduler(clock=clock, log=log, settings={"background_threads": 2})
    scheduler.schedule.every(1).seconds.in_background().name("quick").do(quick)
    handled = []
    for _ in range(200):
        clock.advance(1)
        handled += scheduler.tick()  # no waiting between passes: as run_until drives them
    assert scheduler.schedule.dispatcher.background.wait(WAIT) == []

    assert not [r for r in handled if r.reason == POOL_BUSY]
    assert not log.find("waiting for a background thread")


def test_run_until_runs_a_background_job_once_per_occurrence_in_order(scheduler, clock):
    """In the test kit a background run takes no simulated time: every occurrence runs,
    none is skipped as overlapping or pool busy, and run_until returns every record."""
    from equipment.Scheduler.Testing import run_until

    scheduler.schedule.every(2).seconds.in_background().name("bg").do(quick)
    scheduler.schedule.every(3).seconds.in_background().without_overlapping().name("one").do(
        quick
    )

    records = run_until(scheduler, dt.timedelta(minutes=2))

    by_job = {"bg": [], "one": []}
    for record in records:
        by_job[record.job_id].append(record)
    assert len(by_job["bg"]) == 59 and len(by_job["one"]) == 39
    assert {r.outcome for r in records} == {SUCCESS}
    assert [r.scheduled_at for r in by_job["bg"]] == sorted(r.scheduled_at for r in by_job["bg"])
    assert scheduler.state.load()["bg"].last_outcome == SUCCESS


def test_when_the_grace_runs_out_in_an_inline_run_the_waiting_background_run_is_recorded(
    clock, log
):
    """The stop's grace ran out during an inline run: the background run still waiting for a
    thread is recorded as not started, the one still going as abandoned, and none starts."""
    from equipment.Scheduler.Signals import ShutdownGraceExpired

    scheduler = Scheduler(clock=clock, log=log, settings={"background_threads": 1})
    gate = Gate()
    scheduler.schedule.every(1).seconds.in_background().name("stuck").do(gate)
    scheduler.schedule.every(1).seconds.in_background().name("next").do(quick)

    def cut_short() -> None:
        assert gate.started.wait(WAIT)
        scheduler.stop()  # a stop signal came...
        raise ShutdownGraceExpired("the scheduler was stopping and shutdown_grace ran out")

    scheduler.schedule.every(1).seconds.name("inline").do(cut_short)
    clock.advance(1)
    scheduler.run()

    outcomes = {job: scheduler.state.history(job)[0] for job in ("stuck", "next", "inline")}
    assert (outcomes["next"].outcome, outcomes["next"].reason) == (SKIPPED, "stopping")
    assert outcomes["stuck"].error.startswith("Abandoned: still running when shutdown_grace")
    assert outcomes["inline"].error.startswith("ShutdownGraceExpired")
    gate.open.set()


def test_a_stop_at_once_stores_the_background_run_though_the_loop_holds_the_pool_lock(
    scheduler, clock, monkeypatch
):
    """A second stop signal is handled in the main thread wherever it is: waiting for the
    background runs (`BackgroundPool.wait`), that can be between two steps of
    `Condition.wait` with the pool's lock held. The thread that stores the last records
    must not wait for that lock: the main thread holds it until the process has left."""
    # The bound is not what this is about (a loaded machine may take long to write).
    monkeypatch.setattr("equipment.Scheduler.Scheduler.LAST_WRITE", 10.0)
    gate = Gate()
    scheduler.schedule.every(1).seconds.in_background().name("stuck").do(gate)
    clock.advance(1)
    scheduler.tick()
    assert gate.started.wait(WAIT)
    why = "a second SIGTERM stopped the scheduler at once"
    try:
        with scheduler.schedule.dispatcher.background._idle:  # where the signal found it
            scheduler._store_abandoned(why)  # what the handler does before os._exit
            stored = scheduler.state.history("stuck")
    finally:
        gate.open.set()
    assert [(row.outcome, row.error) for row in stored] == [(FAILURE, f"Abandoned: {why}")]


def test_leaving_at_once_the_waiting_runs_are_cancelled_though_a_pool_thread_holds_the_lock():
    """`cancel_waiting(wait=False)` gives up on a lock the main thread holds for good, not
    on one a pool thread holds a moment (finishing a run): the waiting run was left to be
    started by the next free thread, its `on_cancel` (which releases a
    `without_overlapping` lock) never called."""
    from equipment.Scheduler.Executors import BackgroundPool
    from equipment.Scheduler.RunRecord import RunRecord

    pool = BackgroundPool(threads=1)
    gate = Gate()
    at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    busy = RunRecord.skipped("busy", at, "", "skipped", "")
    waiting = RunRecord.skipped("waiting", at, "", "skipped", "")
    cancelled = threading.Event()
    pool.submit(busy, gate, lambda: None)
    assert gate.started.wait(WAIT)
    pool.submit(waiting, lambda: None, cancelled.set)
    held, release = threading.Event(), threading.Event()

    def hold_a_moment() -> None:
        with pool._idle:
            held.set()
            release.wait(0.05)

    holder = threading.Thread(target=hold_a_moment)
    holder.start()
    assert held.wait(WAIT)
    try:
        pool.cancel_waiting(wait=False)
        assert cancelled.is_set()
    finally:
        holder.join()
        gate.open.set()


def test_two_drains_at_once_take_each_record_once_and_lose_none(scheduler, clock):
    """A stop at once drains in a thread of its own (`equipment-last-records`) while the
    main thread may be draining: each record goes to one of them, and neither raises."""
    from collections import deque

    dispatcher = scheduler.schedule.dispatcher
    scheduler.schedule.every(1).seconds.do(quick)
    scheduler.schedule.every(1).seconds.do(failing)
    clock.advance(1)
    scheduler.schedule.tick()  # two records filed, not drained
    other: list = []

    class Interleaved(deque):
        def popleft(self):  # the other drain runs between this drain's first two pops
            record = super().popleft()
            if not other:
                other.append(None)
                other.append(dispatcher.drain())
            return record

    dispatcher.completed = Interleaved(dispatcher.completed)
    mine = dispatcher.drain()

    drained = mine + other[1]
    assert sorted(r.job_id for r in drained) == ["failing:every-second", "quick:every-second"]
    assert not dispatcher.completed
