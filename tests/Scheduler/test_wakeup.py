"""The loop's wake-up: set from another thread or from a signal handler, never a deadlock."""

from __future__ import annotations

import signal
import threading
import time

from equipment.Scheduler.Wakeup import Wakeup


def test_a_set_before_the_wait_returns_at_once():
    wake = Wakeup()
    wake.set()

    assert wake.wait(30) is True


def test_a_set_from_another_thread_ends_the_wait():
    wake = Wakeup()
    threading.Timer(0.05, wake.set).start()
    started = time.monotonic()

    assert wake.wait(30) is True
    assert time.monotonic() - started < 10  # woken, not timed out


def test_a_set_from_a_signal_handler_ends_the_wait():
    wake = Wakeup()
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: wake.set())
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        started = time.monotonic()
        assert wake.wait(30) is True
        assert time.monotonic() - started < 10
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_timeout_returns_false_and_clear_resets():
    wake = Wakeup()
    assert wake.wait(0) is False
    wake.set()
    wake.clear()
    assert wake.is_set() is False


def test_a_set_after_a_clear_wakes_the_next_wait_again():
    wake = Wakeup()
    wake.set()
    wake.clear()
    assert wake.wait(0) is False  # the gate was closed again by clear()
    threading.Timer(0.05, wake.set).start()

    assert wake.wait(30) is True
