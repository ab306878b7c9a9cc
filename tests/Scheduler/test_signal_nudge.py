"""SignalNudge in this process (no child scheduler): what its handlers take from the socket."""

import os
import select
import signal
import threading

import pytest

from equipment.Scheduler import SignalNudge as nudges
from equipment.Scheduler.SignalNudge import SignalNudge

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or not hasattr(signal, "SIGURG"), reason="needs fork and SIGURG"
)


def test_a_forked_childs_handler_leaves_the_parents_noted_signals_to_it(monkeypatch):
    """A job's fork inherits the handlers and the socket: a stop signal sent to both (the
    whole group stopped) had the child's handler empty the parent's byte, and the parent,
    blocked, was never nudged (a 30 s sleep outlived a 0.5 s grace)."""
    assert threading.current_thread() is threading.main_thread()
    monkeypatch.setattr(nudges, "NUDGE_AFTER", 60.0)  # no nudge (it empties it) meanwhile
    nudge = SignalNudge()
    if not nudge.start():
        pytest.skip("SIGURG is taken in this process")
    try:
        nudge._writer.send(bytes([signal.SIGTERM]))  # as Python notes a signal for us
        pid = os.fork()
        if pid == 0:
            nudge.taken()  # the child's stop handler runs
            os._exit(0)
        os.waitpid(pid, 0)

        assert select.select([nudge._reader], [], [], 0)[0], "the parent's signal was taken"
        nudge.taken()  # the parent's own handler does take it
        assert not select.select([nudge._reader], [], [], 0)[0]
    finally:
        nudge.stop()


def test_a_forked_child_notes_its_signals_on_no_socket_of_the_parents():
    """A child's signals written to the parent's socket had the parent nudged, its
    blocking call interrupted, for a signal that was not its own."""
    nudge = SignalNudge()
    if not nudge.start():
        pytest.skip("SIGURG is taken in this process")
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0 if signal.set_wakeup_fd(-1) == -1 else 1)
        _, status = os.waitpid(pid, 0)

        assert os.waitstatus_to_exitcode(status) == 0, "the child still writes to the socket"
        assert signal.set_wakeup_fd(nudge._writer.fileno()) == nudge._writer.fileno()
    finally:
        nudge.stop()


def test_a_sigurg_handler_set_outside_python_is_left_alone(monkeypatch):
    """`getsignal` answers None for a handler an embedding host installed in C: it is the
    application's, so there are no nudges (and stop() would have reset it to the default)."""
    monkeypatch.setattr(nudges.signal, "getsignal", lambda signum: None)

    assert SignalNudge().start() is False


def test_the_watch_works_with_a_descriptor_past_select_s_limit():
    """A process with over 1024 files open gets the socket past FD_SETSIZE: `select`
    refused it, and the watching thread ended at once, silently: no nudge ever."""
    import resource
    import time

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1200
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip("cannot open that many files here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    nudge = SignalNudge()
    try:
        if not nudge.start():
            pytest.skip("SIGURG is taken in this process")
        assert nudge._reader.fileno() >= 1024
        nudge._writer.send(bytes([signal.SIGTERM]))  # noted; no handler of ours empties it
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.05)  # the nudge (SIGURG) runs its handler here, which empties it
            poller = select.poll()
            poller.register(nudge._reader, select.POLLIN)
            if not poller.poll(0):
                break
        else:
            pytest.fail("no nudge: the signal's byte is still there")
    finally:
        nudge.stop()
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
