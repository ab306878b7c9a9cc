"""Pausing a job: its occurrences are skipped (reason "paused") on every process sharing the
state store, within the second the pause cache lives, and the pause survives restarts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Pauses import Pauses
from equipment.Scheduler.RunRecord import SKIPPED, SUCCESS
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore
from equipment.Scheduler.Testing import run_until

START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
calls: list[str] = []


def work() -> None:
    calls.append("work")


class CountingStore(MemoryStateStore):
    reads = 0

    def paused(self) -> dict[str, dt.datetime]:
        self.reads += 1
        return super().paused()


def make(state: object, clock: FakeClock) -> Scheduler:
    scheduler = Scheduler(log=MemoryLogger(), clock=clock, settings={"timezone": "UTC"},
                          state=state)  # type: ignore[arg-type]
    scheduler.schedule.every(10).seconds.name("work").do(work)
    return scheduler


def test_a_paused_job_is_skipped_with_reason_paused_and_runs_after_resume() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    scheduler = make(state, clock)
    state.set_paused("work", True, clock.now())

    paused = run_until(scheduler, dt.timedelta(seconds=30))
    state.set_paused("work", False, clock.now())
    resumed = run_until(scheduler, dt.timedelta(seconds=30))

    assert {(r.outcome, r.reason) for r in paused} == {(SKIPPED, "paused")}
    assert {r.outcome for r in resumed} == {SUCCESS}
    assert state.history("work", limit=100)[-1].reason == "paused"


def test_the_paused_set_is_read_at_most_once_a_second_for_all_jobs() -> None:
    clock, state = FakeClock(START), CountingStore()
    scheduler = Scheduler(clock=clock, settings={"timezone": "UTC"}, state=state)
    for index in range(50):
        scheduler.schedule.every(1).seconds.name(f"job-{index}").do(work)

    run_until(scheduler, dt.timedelta(seconds=10))

    assert 1 <= state.reads <= 11


def test_a_pause_reaches_a_second_replica_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    clock = FakeClock(START)
    one, two = make(SqliteStateStore(path), clock), make(SqliteStateStore(path), clock)
    run_until(one, dt.timedelta(seconds=1))
    run_until(two, dt.timedelta(seconds=1))

    SqliteStateStore(path).set_paused("work", True, clock.now())  # `schedule pause`, elsewhere
    clock.advance(1)  # the cache's second
    skipped = run_until(one, dt.timedelta(seconds=20)) + run_until(two, dt.timedelta(seconds=20))
    restarted = make(SqliteStateStore(path), clock)
    after_restart = run_until(restarted, dt.timedelta(seconds=20))

    assert skipped and {r.reason for r in skipped} == {"paused"}
    assert after_restart and {r.reason for r in after_restart} == {"paused"}


def test_a_store_that_cannot_be_read_keeps_the_last_known_pauses() -> None:
    state, clock = MemoryStateStore(), FakeClock(START)
    state.set_paused("work", True, clock.now())
    pauses = Pauses(state, clock)
    assert pauses.is_paused("work")

    def broken() -> dict[str, dt.datetime]:
        raise OSError("disk gone")

    state.paused = broken  # type: ignore[method-assign]
    clock.advance(2)

    assert pauses.is_paused("work")


def test_each_record_names_its_replica_once_the_loop_runs() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    scheduler = make(state, clock)
    clock.advance(10)  # the job is due at the loop's one pass
    scheduler.should_exit = True

    scheduler.run()

    (process,) = state.spans()
    assert state.history("work")[0].replica == process.process_id


def test_claims_made_ahead_for_a_paused_job_do_not_pile_up():
    """A batching coordinator claims each pass's occurrences ahead; a paused job's are never
    fired, and each is replaced by the job's next claim instead of being kept."""
    from equipment.Scheduler.Clock import FakeClock
    from equipment.Scheduler.Coordination.Coordinator import SingleProcess
    from equipment.Scheduler.Scheduler import Scheduler

    class Batching(SingleProcess):
        batches_claims = True
        claimed: list[str] = []

        def claim_many(self, records):
            granted = {record.run_id for record in records}
            self.claimed.extend(granted)
            return granted

    clock = FakeClock()
    coordinator = Batching()
    scheduler = Scheduler(clock=clock, coordinator=coordinator, settings={"timezone": "UTC"})
    job = scheduler.schedule.every(1).seconds.name("paused").do(lambda: None)
    scheduler.state.set_paused("paused", True, clock.now())
    dispatcher = scheduler.schedule.dispatcher

    for _ in range(50):
        clock.advance(1)
        dispatcher.prepare([job])
        scheduler.tick()

    assert len(coordinator.claimed) >= 50  # claimed every time, never fired
    assert len(dispatcher._claims) <= 1


def test_the_paused_set_is_read_again_ahead_of_a_burst_so_the_burst_does_not_read_it():
    from equipment.Scheduler.Clock import FakeClock
    from equipment.Scheduler.Pauses import Pauses
    from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore

    class Counting(MemoryStateStore):
        reads = 0

        def paused(self):
            Counting.reads += 1
            return super().paused()

    clock, state = FakeClock(), Counting()
    pauses = Pauses(state, clock, ttl=1.0)
    pauses.is_paused("a")
    clock.advance(0.9)
    pauses.refresh(ahead=0.25)  # would be stale within the burst: read now
    clock.advance(0.2)
    state.set_paused("a", True, clock.now())

    assert pauses.is_paused("a") is False  # the burst uses the read made just before it
    assert Counting.reads == 2
    clock.advance(1.0)
    assert pauses.is_paused("a") is True
