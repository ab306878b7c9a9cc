"""The due index: registration without a scan, passes that touch no job, and `schedule`'s
own ways of editing jobs (the list, `next_run`, `clear`, `cancel_job`) kept in step."""

from __future__ import annotations

import datetime as dt

import pytest
import schedule

from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Job import Job
from equipment.Scheduler.JobList import JobList
from tests.Scheduler import jobs
from tests.Scheduler.conftest import START

MINUTE = dt.timedelta(minutes=1)


def no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self):
        raise AssertionError("the job list was scanned")

    monkeypatch.setattr(JobList, "__iter__", refuse)


def test_registration_looks_up_ids_without_scanning_the_jobs(scheduler, monkeypatch):
    for minutes in range(1, 200):
        scheduler.schedule.every(minutes).minutes.do(jobs.cleanup)
    no_scan(monkeypatch)

    scheduler.schedule.every(999).minutes.do(jobs.cleanup)
    with pytest.raises(SchedulerError, match="two jobs have the ID 'same'"):
        scheduler.schedule.every(1).hours.name("same").do(jobs.cleanup)
        scheduler.schedule.every(2).hours.name("same").do(jobs.cleanup)


def test_a_pass_with_nothing_due_and_the_next_wake_up_touch_no_job(scheduler, monkeypatch):
    for minutes in range(1, 200):
        scheduler.schedule.every(minutes).minutes.do(jobs.cleanup)
    scheduler.tick()
    no_scan(monkeypatch)
    monkeypatch.setattr(Job, "should_run", property(lambda self: pytest.fail("looked at a job")))

    assert scheduler.tick() == []
    assert scheduler.schedule.idle_seconds == 60.0


def test_editing_the_job_list_directly_keeps_the_index_right(scheduler, clock):
    first = scheduler.schedule.every(1).minutes.do(jobs.cleanup)
    second = scheduler.schedule.every(2).minutes.do(jobs.cleanup)
    third = scheduler.schedule.every(3).minutes.do(jobs.cleanup)

    scheduler.schedule.jobs.remove(first)
    assert scheduler.schedule.next_run_at() == second.next_run_at
    del scheduler.schedule.jobs[0]
    assert scheduler.schedule.next_run_at() == third.next_run_at
    scheduler.schedule.jobs[:] = [first]
    assert scheduler.schedule.next_run_at() == first.next_run_at
    scheduler.schedule.jobs.clear()
    assert scheduler.schedule.next_run_at() is None
    scheduler.schedule.jobs = [second]
    assert scheduler.schedule.get_job(second.id) is second
    clock.advance(120)
    assert [record.job_id for record in scheduler.tick()] == [second.id]


def test_schedules_own_clear_and_cancel_job_keep_the_index_right(scheduler):
    tagged = scheduler.schedule.every(1).minutes.do(jobs.cleanup).tag("reports")
    other = scheduler.schedule.every(5).minutes.do(jobs.cleanup)

    scheduler.schedule.clear("reports")
    assert scheduler.schedule.next_run_at() == other.next_run_at
    assert scheduler.schedule.get_job(tagged.id) is None
    scheduler.schedule.cancel_job(other)
    assert scheduler.schedule.idle_seconds is None


def test_assigning_next_run_re_times_the_job(scheduler, clock):
    job = scheduler.schedule.every(1).hours.do(jobs.cleanup)
    scheduler.schedule.every(2).hours.do(jobs.cleanup)

    job.next_run = dt.datetime.now() + dt.timedelta(hours=5)  # naive local, as in schedule
    assert scheduler.schedule.get_next_run() < job.next_run
    job.next_run_at = START + MINUTE
    assert scheduler.schedule.next_run_at() == START + MINUTE
    clock.advance(60)
    assert [record.job_id for record in scheduler.tick()] == [job.id]


def test_jobs_due_together_run_in_registration_order(scheduler, clock):
    names = ["c", "a", "b"]
    for name in names:
        scheduler.schedule.every(1).minutes.name(name).do(jobs.cleanup)
    clock.advance(60)

    assert [record.job_id for record in scheduler.tick()] == names


def test_a_job_cancelled_by_its_deadline_leaves_the_index_and_says_so(scheduler, clock, log):
    scheduler.schedule.every(1).minutes.until(START + dt.timedelta(minutes=2)).do(jobs.cleanup)

    for _ in range(4):
        clock.advance(60)
        scheduler.tick()

    assert scheduler.schedule.jobs == []
    assert scheduler.schedule.idle_seconds is None
    [ended] = log.find("reached its until() deadline")
    assert ended.message.startswith("Job cleanup:every-minute reached its until() deadline (")


def test_twins_get_ordinals_in_registration_order(scheduler):
    a = scheduler.schedule.every().hour.do(jobs.rebuild_report, 1)
    b = scheduler.schedule.every().hour.do(jobs.rebuild_report, 2)
    c = scheduler.schedule.every().hour.do(jobs.rebuild_report, 3)

    assert [a.id, b.id, c.id] == [
        "rebuild_report:every-hour",
        "rebuild_report:every-hour#2",
        "rebuild_report:every-hour#3",
    ]
    assert isinstance(scheduler.schedule, schedule.Scheduler)


def _due_index_with(count: int):
    from equipment.Scheduler.DueIndex import DueIndex

    class Entry:
        def __init__(self, at: dt.datetime, order: int) -> None:
            self.next_run_at, self.order = at, order

    index = DueIndex()
    entries = [Entry(START + dt.timedelta(seconds=n % 3), n) for n in range(count)]
    for entry in entries:
        index.push(entry)
    return index, entries


def test_a_pass_takes_each_live_entry_once_past_re_timed_and_discarded_ones():
    index, entries = _due_index_with(6)  # due at +0, +1, +2, +0, +1, +2 s
    entries[0].next_run_at = START + dt.timedelta(seconds=1)  # re-timed: its +0 s entry is stale
    index.push(entries[0])
    index.discard(entries[3])

    # (due together: in registration order, the re-timed first)
    assert index.pop_due(START + dt.timedelta(seconds=1)) == [entries[0], entries[1], entries[4]]
    assert not index.holds(entries[0])
    assert index.pop_due(START + dt.timedelta(seconds=5)) == [entries[2], entries[5]]
    assert index.peek() is None


def test_staged_entries_come_out_in_order_merged_with_the_heap():
    index, entries = _due_index_with(9)
    index.stage(START + dt.timedelta(seconds=1))  # the six due at +0 s and +1 s
    assert all(index.holds(entry) for entry in entries)
    assert index.peek() is entries[0]

    late = entries[8]  # due at +2 s, on the heap; re-timed to before the staged +1 s ones
    late.next_run_at = START + dt.timedelta(milliseconds=500)
    index.push(late)

    due = index.pop_due(START + dt.timedelta(seconds=1))
    assert [entry.order for entry in due] == [0, 3, 6, 8, 1, 4, 7]
    assert index.pop_due(START + dt.timedelta(seconds=5)) == [entries[2], entries[5]]
    assert index.peek() is None


def test_a_staged_entry_that_is_re_timed_or_discarded_is_skipped():
    index, entries = _due_index_with(6)
    index.stage(START + dt.timedelta(seconds=2))
    index.discard(entries[0])
    entries[3].next_run_at = START + dt.timedelta(minutes=5)
    index.push(entries[3])

    due = index.pop_due(START + dt.timedelta(seconds=2))

    assert entries[0] not in due and entries[3] not in due and len(due) == 4
    assert index.peek() is entries[3]
    index.clear()
    assert index.peek() is None and len(index) == 0


def test_a_job_whose_run_is_replaced_is_run_through_it(scheduler, clock):
    job = scheduler.schedule.every(1).minutes.do(jobs.cleanup)
    calls = []
    job.run = lambda: calls.append(job.id)  # as a test's mock.patch.object(job, "run") does

    clock.advance(60)
    scheduler.tick()

    assert calls == [job.id]


def test_staging_again_puts_what_was_staged_before_back_in_order():
    index, entries = _due_index_with(6)
    index.stage(START + dt.timedelta(seconds=1))  # an early wake-up: nothing taken
    late = entries[5]  # due at +2 s, re-timed to before everything staged
    late.next_run_at = START - dt.timedelta(seconds=1)
    index.push(late)
    index.stage(START + dt.timedelta(seconds=1))

    due = index.pop_due(START)
    assert [entry.order for entry in due] == [5, 0, 3]
