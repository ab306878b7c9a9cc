"""Two schedulers sharing one Redis, in one process, on the fake clock: one runs each
occurrence, a standby takes over on the same grid, a stale leader runs nothing."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.History import LAST_STOPPING, NO_LEADER
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.State.RedisStateStore import RedisStateStore

JOB = "work:every-10-seconds"


def work() -> None:
    return None


def replica_on(coordinator, state, clock) -> Scheduler:
    """A replica's scheduler: its coordinator, its view of the shared state, the clock."""
    return Scheduler(
        log=MemoryLogger(),
        clock=clock,
        settings={"timezone": "UTC"},
        state=state,
        coordinator=coordinator,
    )


@pytest.fixture
def replica(make_coordinator, client, prefix, clock):
    def make(name: str, catch_up: dt.timedelta | None = None) -> Scheduler:
        coordinator = make_coordinator(name)
        state = RedisStateStore(client, prefix, "redis test", name)
        scheduler = replica_on(coordinator, state, clock)
        job = scheduler.schedule.every(10).seconds
        if catch_up is not None:
            job = job.catch_up(within=catch_up, all=True)
        job.do(work)
        scheduler.schedule.sync_state()
        coordinator.start(lambda: None, campaign=False)
        return scheduler

    return make


def run_for(clock, seconds: int, *replicas: Scheduler) -> None:
    for _ in range(seconds):
        clock.advance(1)
        for scheduler in replicas:
            scheduler.coordinator.step()
            scheduler.tick()


def history(scheduler: Scheduler) -> list[tuple[str, str]]:
    rows = scheduler.state.history(JOB, limit=1000)
    return [(row.replica, row.run_id) for row in reversed(rows)]


def test_only_the_leader_runs_and_a_standby_writes_nothing(replica, clock):
    a, b = replica("a:1"), replica("b:2")
    run_for(clock, 60, a, b)
    rows = history(a)
    assert [who for who, _ in rows] == ["a:1"] * 6
    assert len({run_id for _, run_id in rows}) == 6
    assert a.leading and not b.leading


def test_a_standby_takes_over_on_the_same_grid_and_reports_what_nobody_ran(
    replica, clock, client
):
    a, b = replica("a:1"), replica("b:2")
    run_for(clock, 30, a, b)
    clock.advance(25)  # a dies; its lease runs out
    client.delete(a.coordinator.lease.key)
    run_for(clock, 30, b)
    rows = history(b)
    # a ran three; nobody led for two (b recorded them as missed: nobody handled them, so
    # they name no replica); b ran three
    assert [who for who, _ in rows] == ["a:1"] * 3 + [None] * 2 + ["b:2"] * 3
    outcomes = [row.outcome for row in reversed(b.state.history(JOB, limit=100))]
    assert outcomes == ["success"] * 3 + ["missed"] * 2 + ["success"] * 3
    instants = [run_id.split("@")[1] for _, run_id in rows]
    assert instants == sorted(set(instants))  # no run twice
    assert all(at.endswith(("00Z", "10Z", "20Z", "30Z", "40Z", "50Z")) for at in instants)
    [missed] = b.log.find("missed", logging.WARNING)
    assert "missed 2 occurrence(s) while no replica led" in missed.message
    assert "skipped" in missed.message
    stored = [row for row in b.state.history(JOB, limit=100) if row.outcome == "missed"]
    assert {row.reason for row in stored} == {"no replica led"}
    assert b.log.find("Leading with fencing token 2", logging.INFO)


def test_an_occurrence_the_dead_leader_claimed_is_not_counted_as_missed(replica, clock, client):
    from equipment.Scheduler.RunRecord import UNRECORDED, RunRecord

    a, b = replica("a:1"), replica("b:2")
    run_for(clock, 30, a, b)  # a ran :10, :20, :30
    at_40 = clock.now() + dt.timedelta(seconds=10)
    assert a.coordinator.claim(RunRecord.of_occurrence(JOB, at_40, ""))  # then a dies
    clock.advance(25)
    client.delete(a.coordinator.lease.key)
    run_for(clock, 1, b)  # b leads at 12:00:56: only :50 went without a leader

    [missed] = b.log.find("missed 1 occurrence(s)", logging.WARNING)
    assert "missed 1 occurrence(s) while no replica led" in missed.message
    rows = {row.scheduled_at.second: row.reason for row in b.state.history(JOB, limit=10)
            if row.outcome == "missed"}
    # :40 is history too: nobody can tell whether it ran, and why can say so.
    assert rows == {50: "no replica led", 40: UNRECORDED}
    [claimed] = b.log.find("was claimed by the previous leader", logging.WARNING)
    assert f"occurrence {JOB}@" in claimed.message and "it may have started" in claimed.message


def test_what_the_takeover_missed_follows_the_catch_up_rule(replica, clock, client):
    a = replica("a:1", catch_up=dt.timedelta(minutes=5))
    b = replica("b:2", catch_up=dt.timedelta(minutes=5))
    run_for(clock, 30, a, b)
    clock.advance(25)
    client.delete(a.coordinator.lease.key)
    run_for(clock, 5, b)  # to 12:01:00
    instants = [run_id.split("@")[1] for _, run_id in history(b)]
    assert len(instants) == len(set(instants)) == 6  # a: :10-:30; b: :40 :50, 01:00
    assert instants == sorted(instants)


def test_a_stale_leader_runs_nothing_and_writes_nothing(replica, clock, client):
    a, b = replica("a:1"), replica("b:2")
    run_for(clock, 20, a, b)
    client.delete(a.coordinator.lease.key)  # a was paused past its lease
    b.coordinator.step()
    b.tick()  # b leads from 12:00:20
    clock.advance(10)
    a.coordinator.lease.valid_until = a.clock.monotonic() + 5  # a still trusts its lease
    a.tick()  # resumed before its renewal thread noticed: Redis refuses the claim
    assert [who for who, _ in history(a)] == ["a:1"] * 2
    assert a.coordinator.log.find("lost the scheduler lease", logging.WARNING)
    run_for(clock, 10, a, b)
    assert [who for who, _ in history(a)] == ["a:1"] * 2 + ["b:2"] * 2


def test_a_standby_of_a_new_version_changes_the_shared_grid_only_once_it_leads(
    make_coordinator, client, prefix, clock
):
    """A rolling deploy: the old version leads, a replica of the new one (another interval
    under the same job ID) waits. Only when it takes over does the job start afresh."""

    def version(name: str, seconds: int) -> Scheduler:
        coordinator = make_coordinator(name)
        scheduler = Scheduler(
            log=MemoryLogger(),
            clock=clock,
            settings={"timezone": "UTC"},
            state=RedisStateStore(client, prefix, "redis test", name),
            coordinator=coordinator,
        )
        scheduler.schedule.every(seconds).seconds.name("job").do(work)
        coordinator.start(lambda: None, campaign=False)
        return scheduler

    old = version("old:1", 10)
    run_for(clock, 30, old)
    new = version("new:2", 20)
    run_for(clock, 20, old, new)

    stored = old.state.load()["job"]
    assert stored.fingerprint == old.schedule.get_job("job").fingerprint
    assert stored.last_run_id == old.schedule.get_job("job").last_record.run_id
    assert not new.leading

    clock.advance(25)  # the old version is stopped; its lease runs out
    client.delete(old.coordinator.lease.key)
    run_for(clock, 1, new)
    assert new.leading
    assert new.state.load()["job"].fingerprint == new.schedule.get_job("job").fingerprint


def test_a_leader_finding_the_shared_state_lost_writes_it_again(replica, clock, client):
    a = replica("a:1")
    run_for(clock, 10, a)
    client.delete(a.state.jobs_key, a.coordinator.lease.key)  # Redis restarted empty
    run_for(clock, 11, a)
    stored = a.state.load()[JOB]
    assert stored.last_outcome == "success" and stored.last_scheduled is not None


def test_replicas_keep_to_max_sleep_where_a_single_process_would_sleep_an_hour(
    make_coordinator, client, prefix
):
    # Across hosts a crashed replica can be told only by its heartbeat, so a replica's loop
    # never sleeps past max_sleep (its lease wakes it anyway); alone, it sleeps until its job.
    from equipment.Scheduler.Clock import FakeClock

    watching = FakeClock(watches_wall_clock=True)
    alone = Scheduler(log=MemoryLogger(), clock=watching, settings={"timezone": "UTC"})
    replica = Scheduler(
        log=MemoryLogger(),
        clock=watching,
        settings={"timezone": "UTC", "max_sleep": 30},
        state=RedisStateStore(client, prefix, "redis test", "a:1"),
        coordinator=make_coordinator("a:1"),
    )
    replica._leading = True  # as once it has taken the lead

    assert alone._longest_sleep() == 3600
    assert replica._longest_sleep() == 30


def test_a_leader_that_retakes_the_lease_does_not_call_its_own_runs_a_dead_leaders(
    make_coordinator, client, prefix, clock
):
    coordinator = make_coordinator("a:1")
    a = Scheduler(
        log=MemoryLogger(),
        clock=clock,
        settings={"timezone": "UTC"},
        state=RedisStateStore(client, prefix, "redis test", "a:1"),
        coordinator=coordinator,
    )
    release = threading.Event()
    a.schedule.every(10).seconds.in_background().do(release.wait, 5)
    a.schedule.sync_state()
    coordinator.start(lambda: None, campaign=False)
    run_for(clock, 10, a)  # :10 runs in the background, past the pass
    release.set()
    assert a.schedule.dispatcher.background.wait(5) == []  # done; its record waits for a pass
    client.delete(coordinator.lease.key)  # a Redis blip: the lease is lost, then retaken
    run_for(clock, 1, a)

    assert not a.log.find("claimed by the previous leader")
    rows = a.state.history(a.schedule.jobs[0].id, limit=10)
    assert [(row.scheduled_at.second, row.outcome) for row in rows] == [(10, "success")]


def test_a_leader_that_stops_gives_back_what_it_claimed_ahead_and_the_next_one_runs_it(
    replica, clock, client
):
    """A rolling deploy's SIGTERM just before a job falls due: the leader had claimed that
    occurrence ahead (the loop does, a second before); it did not run it, so the standby
    does, and nothing says a leader died."""
    a, b = replica("a:1"), replica("b:2")
    run_for(clock, 29, a, b)  # a ran :10 and :20; 12:00:29 now
    a.schedule.claim_ahead(clock.now() + dt.timedelta(seconds=1))  # :30, as the loop does
    a.should_exit = True  # the stop comes before :30 falls due
    a.run()

    [given] = a.log.find("Gave back 1 occurrence(s) claimed ahead", logging.INFO)
    assert "the next leader runs them" in given.message
    run_for(clock, 1, b)  # 12:00:30: b leads, and runs :30
    assert [(who, run_id[-3:]) for who, run_id in history(b)] == [
        ("a:1", "10Z"), ("a:1", "20Z"), ("b:2", "30Z")
    ]
    assert not b.log.find("claimed by the previous leader")


def test_a_claim_given_back_moves_the_mark_to_the_occurrence_before_it(replica, clock, client):
    """Only the occurrence claimed ahead goes back: the ones the leader ran stay claimed,
    so that no later leader can run them again (its records may not be stored yet)."""
    a = replica("a:1")
    run_for(clock, 29, a)
    a.schedule.claim_ahead(clock.now() + dt.timedelta(seconds=1))
    assert a.coordinator.claimed()[JOB][1].second == 30

    assert a.schedule.give_back_claims() == 1
    assert a.coordinator.claimed()[JOB][1].second == 20
    assert a.schedule.give_back_claims() == 0  # given back once


def test_a_leader_whose_last_records_were_not_stored_keeps_its_claims(replica, clock):
    """Then the marks are what keeps the next leader from running those runs again."""
    from equipment.Scheduler.RunRecord import RunRecord

    a = replica("a:1")
    run_for(clock, 29, a)
    a.schedule.claim_ahead(clock.now() + dt.timedelta(seconds=1))
    a._writer.pending = [RunRecord.of_occurrence(JOB, clock.now(), "")]  # the store failed

    a._give_back_claims()

    assert a.coordinator.claimed()[JOB][1].second == 30
    assert not a.log.find("Gave back")


def test_a_replica_whose_start_fails_hands_the_lead_over_at_once(
    make_coordinator, client, prefix, clock
):
    """run() raising at its start, after it took the lease, in a process that goes on (an
    app that embeds the scheduler and retries): the lease is released and its renewal
    thread stopped, or it would hold the lead for ever with no loop to run jobs. (A
    metrics port in use is refused before the lease and the first heartbeat.)"""
    from equipment.Scheduler.Errors import SchedulerError

    coordinator = make_coordinator("a:1")
    state = RedisStateStore(client, prefix, "redis test", "a:1")
    a = replica_on(coordinator, state, clock)
    a.schedule.every(10).seconds.do(lambda: None)

    def fails() -> None:
        assert coordinator.holder() is not None  # it leads by now
        raise SchedulerError("its operations cannot start")

    a._start_operations = fails  # type: ignore[method-assign]
    with pytest.raises(SchedulerError, match="cannot start"):
        a.run()

    assert coordinator.holder() is None  # a standby leads at its next round
    assert a.lifecycle.phase.value == "stopped"  # its loop is not running
    assert not any(t.name == "scheduler-lease" and t.is_alive() for t in threading.enumerate())
    assert state.processes() == []  # no replica left listed as running
    # No goodbye: the scheduler before it may have crashed, so no start after it may take
    # the last stop for a clean one (and run an occurrence late that was run already).
    assert [span.stopped for span in state.spans()] == [False]


def test_what_fell_due_while_the_leader_finished_a_job_at_its_stop_runs_on_the_next(
    replica, clock
):
    """A rolling deploy's SIGTERM while a job runs: the leader starts nothing more, and
    hands over only when that job ends, 5 s later. The :30 occurrence fell due meanwhile;
    the standby that takes the lead half a second after runs it, late, not missed."""
    a, b = replica("a:1"), replica("b:2")

    def long_job() -> None:
        a.stop()  # the SIGTERM comes as it runs
        clock.advance(5)

    a.schedule.every().minute.at(":29").name("long").do(long_job)
    run_for(clock, 28, a, b)  # a ran :10 and :20
    a.run()  # 12:00:29: the long job; stopped and handed over at 12:00:34
    clock.advance(0.5)
    b.coordinator.step()
    b.tick()

    assert [(who, run_id[-3:]) for who, run_id in history(b)] == [
        ("a:1", "10Z"), ("a:1", "20Z"), ("b:2", "30Z")
    ]
    assert not b.log.find("missed")


def test_after_a_long_stop_of_the_leader_the_next_runs_the_latest_and_says_why_not_the_rest(
    replica, clock
):
    rows = long_stop_then_takeover(replica("a:1"), replica("b:2"), clock)

    assert (rows[40].outcome, rows[40].replica) == ("success", "b:2")
    assert (rows[30].outcome, rows[30].reason) == ("missed", LAST_STOPPING)


def long_stop_then_takeover(
    a: Scheduler, b: Scheduler, clock, midway=lambda: None, after=lambda: None
) -> dict:
    """`a` leads; at 12:00:29 a job of its own gets the stop signal and runs 15 s more
    (:30 and :40 fall due meanwhile; `midway()` at 12:00:36.5); `after()` its goodbye, `b`
    takes the lead half a second later. Returns the history of JOB by second."""

    def long_job() -> None:
        a.stop()
        clock.advance(7.5)
        midway()
        clock.advance(7.5)

    a.schedule.every().minute.at(":29").name("long").do(long_job)
    named_as_its_process(a, clock.now() + dt.timedelta(seconds=28))
    run_for(clock, 28, a, b)
    a.run()
    after()
    clock.advance(0.5)
    b.coordinator.step()
    b.tick()
    return {row.scheduled_at.second: row for row in b.state.history(JOB, limit=10)}


def named_as_its_process(scheduler: Scheduler, run_at: dt.datetime) -> None:
    """The ticks before `scheduler.run()` (called at `run_at`) name the process in their
    rows as its heartbeats will, as a scheduler's rows always do (`run()` names it before
    its first pass): rows and spans then tell which replica ran the job."""
    from equipment.Scheduler.State.StateStore import ProcessInfo

    scheduler.schedule.dispatcher.replica = ProcessInfo.this_process(run_at).process_id


def standby_says_goodbye(state, name: str, since: dt.datetime, at: dt.datetime) -> None:
    """A standby of the replicas (not under test) that beat from `since` and stopped at
    `at`, as its `Presence` writes it: a quick stop, nothing to finish."""
    from equipment.Scheduler.State.StateStore import ProcessInfo

    state.heartbeat(ProcessInfo("s", 3, since, since, name))
    state.heartbeat(ProcessInfo("s", 3, since, at, name, next_beat_by=at, stopping_since=at))


def test_a_standby_stopping_after_the_leader_does_not_shorten_the_handover(replica, clock):
    """A rolling deploy stops the leader (which finishes a long job first) and a standby,
    which says goodbye just after it: the goodbye that tells what the handover may run is
    the leader's, whose stop began 15 s before; :40 fell due in it and ran nowhere."""
    a, b = replica("a:1"), replica("b:2")  # (a first: it leads)

    def standby_stops() -> None:  # just after the leader's goodbye
        standby_says_goodbye(b.state, "s:3", clock.now() - dt.timedelta(seconds=40), clock.now())

    rows = long_stop_then_takeover(a, b, clock, after=standby_stops)

    assert (rows[40].outcome, rows[40].replica) == ("success", "b:2")
    assert rows[30].outcome == "missed"


def test_a_standby_that_stopped_before_the_leader_does_not_say_why_the_leader_missed(
    replica, clock
):
    """The standby stopped (a quick goodbye) during the leader's long stop: what fell due
    before it is missed because the leader was stopping, not because a long run held the
    standby's loop (it runs none)."""
    a, b = replica("a:1"), replica("b:2")  # (a first: it leads)

    def standby_stops() -> None:  # after :30, before :40
        standby_says_goodbye(b.state, "s:3", clock.now() - dt.timedelta(seconds=40), clock.now())

    rows = long_stop_then_takeover(a, b, clock, midway=standby_stops)

    assert (rows[40].outcome, rows[40].replica) == ("success", "b:2")
    assert (rows[30].outcome, rows[30].reason) == ("missed", LAST_STOPPING)


def test_after_the_leader_died_a_standbys_goodbye_does_not_say_why_it_missed(
    replica, clock, client
):
    """The leader dies (no goodbye); a standby stops cleanly just before the next one takes
    the lead: what fell due meanwhile was missed for want of a leader, not because a long
    run held the standby's loop (it runs none)."""
    a, b = replica("a:1"), replica("b:2")
    run_for(clock, 30, a, b)  # a ran :10, :20, :30
    clock.advance(19)  # a dies; :40 falls due
    standby_says_goodbye(b.state, "s:3", clock.now() - dt.timedelta(seconds=49), clock.now())
    client.delete(a.coordinator.lease.key)
    run_for(clock, 1, b)

    rows = {row.scheduled_at.second: row for row in b.state.history(JOB, limit=10)}
    assert (rows[40].outcome, rows[40].reason) == ("missed", NO_LEADER)
