"""What a queued job starts and leaves running is ended with it (`Leftovers`).

Real processes, each test bounded: a few seconds of waiting at most, never a fixed sleep.
"""

import os
import signal
import subprocess
import sys

import pytest

from equipment.Queue.Leftovers import Ended, end_group, group_members
from equipment.Queue.QueueFactory import QueueFactory
from tests.Queue import jobs
from tests.Queue.helpers import alive, kill_alive, recorded, wait_for, worker_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# A process group of its own (as a work horse's), holding a shell and two children of it;
# the children ignore SIGTERM when told to.
GROUP = """
import os, subprocess, sys, time
os.setpgrp()
trap = "trap '' TERM; " if sys.argv[1] == "stubborn" else ""
kids = [subprocess.Popen(["sh", "-c", trap + "sleep 60 & wait"]) for _ in range(2)]
print(os.getpid(), flush=True)
time.sleep(60)
"""


def group(kind: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", GROUP, kind], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert int(proc.stdout.readline()) == proc.pid
    return proc


def members_after_leader(proc: subprocess.Popen) -> list[int]:
    """Let the group's leader end (as a horse does), leaving the rest of its group."""
    assert wait_for(lambda: len(group_members(proc.pid)) == 5, 5)
    proc.kill()
    proc.wait(5)
    left = group_members(proc.pid)
    assert len(left) == 4 and proc.pid not in left  # two shells, two sleeps
    return left


@pytest.mark.parametrize("kind", ["polite", "stubborn"])
def test_end_group_stops_what_the_leader_left_then_kills_what_ignores_sigterm(kind):
    proc = group(kind)
    left: list[int] = []
    try:
        left = members_after_leader(proc)
        ended = end_group(proc.pid, grace=0.5)
        assert list(ended.terminated) == left
        assert wait_for(lambda: not any(alive(pid) for pid in left), 5)
        assert group_members(proc.pid) == []
        # The shells' `trap '' TERM` is inherited by their sleeps: all four need SIGKILL.
        assert list(ended.killed) == (left if kind == "stubborn" else [])
    finally:
        kill_alive(left)


def test_an_empty_group_is_left_alone():
    nobody = 2**22 + 7  # above the largest PID Linux gives (pid_max is at most 2**22)
    assert group_members(nobody) == [] and end_group(nobody) == Ended()


def redis_config(queue_name):
    return {
        "connection": "redis",
        "redis": {"host": "127.0.0.1", "port": "6379", "db": "15", "queues": queue_name},
    }


def test_processes_a_job_leaves_running_end_when_it_ends(
    tmp_path, log, redis_conn, queue_name, key
):
    """A job that started a subprocess, a multiprocessing.Process and an os.fork child and
    returned left all three running (re-parented to init) after the job, and after the
    worker stopped. Bounded: about 2 s of jobs and waiting, 15 s at worst."""
    config = redis_config(queue_name)
    proc = worker_process(tmp_path, config)
    pids: list[int] = []
    try:
        assert QueueFactory(config, log).push(jobs.start_children, key) is True
        assert wait_for(lambda: len(recorded(redis_conn, key)) == 3, 10)
        pids = [int(pid) for pid in recorded(redis_conn, key)]
        assert wait_for(lambda: not any(alive(pid) for pid in pids), 5), pids
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
    finally:
        kill_alive([proc.pid, *pids])
    [line] = [text for text in output.splitlines() if "running after it ended" in text]
    assert line.startswith("WARNING Job ") and "(tests.Queue.jobs.start_children) left 3 " in line
    assert all(str(pid) in line for pid in pids) and "SIGKILL" not in line


def test_processes_of_a_running_job_end_when_its_worker_is_killed(
    tmp_path, log, redis_conn, queue_name, key
):
    """kill -9 of the worker killed its work horse (ParentDeath) but not what the job had
    started: they ran on, re-parented to init. Bounded: about 5 s, 25 s at worst."""
    config = redis_config(queue_name)
    proc = worker_process(tmp_path, config)
    pids: list[int] = []
    try:
        assert QueueFactory(config, log).push(jobs.start_children, key, 60) is True
        assert wait_for(lambda: len(recorded(redis_conn, key)) == 3, 10)
        pids = [int(pid) for pid in recorded(redis_conn, key)]
        proc.kill()
        proc.wait(5)
        assert wait_for(lambda: not any(alive(pid) for pid in pids), 5), pids
        output, _ = proc.communicate(timeout=10)  # the end: its last writers are gone
    finally:
        kill_alive([proc.pid, *pids])
    [line] = [text for text in output.splitlines() if "running when its worker died" in text]
    assert line.startswith("WARNING Job ") and "(tests.Queue.jobs.start_children) left 3 " in line
    assert all(str(pid) in line for pid in pids)


def test_the_guard_ignores_a_sigterm_while_its_worker_lives_and_stops_when_told():
    """A SIGTERM sent to the worker's whole group reaches the guard too: not the worker's
    death, so the watched job's processes are left alone. Here this test is the worker."""
    from equipment.Queue.GroupGuard import GroupGuard

    proc = group("polite")
    ended: list[object] = []
    guard = GroupGuard(lambda extra, what: ended.append(what))
    try:
        guard.ensure_running()
        guard.watch(proc.pid, {"rq_job_id": "j1", "function": "f"})
        os.kill(guard.pid, signal.SIGTERM)  # at once: it was forked with SIGTERM blocked
        assert not wait_for(lambda: not alive(guard.pid), 0.5)
        assert len(group_members(proc.pid)) == 5
        guard.stop()
        assert not alive(guard.pid or 0) and guard.pid == 0
    finally:
        guard.stop()
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    assert ended == []  # (a forked guard's callback runs in the guard, not here)


def test_the_guard_is_told_the_job_in_memory_it_shares_and_a_huge_name_is_cut():
    from equipment.Queue.GroupGuard import GroupGuard

    guard = GroupGuard(lambda extra, what: None)
    assert guard.watched() == (0, {})
    guard.watch(1234, {"rq_job_id": "j1", "function": "app.f", "run_id": "r"})
    assert guard.watched() == (1234, {"rq_job_id": "j1", "function": "app.f", "run_id": "r"})
    guard.watch(99, {"rq_job_id": "j2", "function": "g", "run_id": "é" * 10_000})
    assert guard.watched() == (99, {"rq_job_id": "j2", "function": "g"})
    guard.clear()
    assert guard.watched() == (0, {})
