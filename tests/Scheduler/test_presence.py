"""A second scheduler process of one project says, at start, that jobs will run twice."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Presence import HEARTBEAT_INTERVAL
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.StateStore import ProcessInfo
from tests.Scheduler import jobs
from tests.Scheduler.conftest import START


def started(state, log: MemoryLogger, at: dt.datetime = START) -> Scheduler:
    scheduler = Scheduler(log=log, clock=FakeClock(at), settings={"timezone": "UTC"}, state=state)
    scheduler.schedule.every(1).minutes.do(jobs.cleanup)
    scheduler.should_exit = True
    scheduler.run()
    return scheduler


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_live_process_of_the_same_project_is_named_in_one_warning():
    state = MemoryStateStore()
    other = ProcessInfo(socket.gethostname(), os.getppid(), START - dt.timedelta(hours=2), START)
    state.heartbeat(other)
    log = MemoryLogger()

    started(state, log)

    [warning] = log.find("Another scheduler of this project is running")
    assert warning.message == (
        f"Another scheduler of this project is running (pid {os.getppid()} on "
        f"{socket.gethostname()}, since 2026-01-05T10:00:00+00:00): every job will run twice "
        "unless coordination is on"
    )


def test_a_dead_process_or_a_stale_heartbeat_does_not_warn_and_is_cleared():
    state = MemoryStateStore()
    host = socket.gethostname()
    state.heartbeat(ProcessInfo(host, dead_pid(), START - dt.timedelta(hours=1), START))
    state.heartbeat(
        ProcessInfo("other-host", 77, START - dt.timedelta(days=1), START - dt.timedelta(hours=1))
    )
    log = MemoryLogger()

    started(state, log)

    assert log.find("Another scheduler") == []
    assert state.processes() == []  # ours said goodbye; the dead ones were cleared


def test_the_loop_beats_while_it_runs_and_says_goodbye_when_it_stops():
    state = MemoryStateStore()
    scheduler = Scheduler(
        log=MemoryLogger(), clock=FakeClock(START), settings={"timezone": "UTC"}, state=state
    )
    scheduler._presence.announce()
    scheduler.clock.advance(HEARTBEAT_INTERVAL)
    scheduler.tick()

    [me] = state.processes()
    assert me.pid == os.getpid()
    assert me.heartbeat_at == START + HEARTBEAT_INTERVAL
