import logging
import threading

import pytest

from equipment.Queue.Outage import OutageGuard


class Down(Exception):
    pass


class Denied(Down):
    pass


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time_():
    return FakeTime()


def guard(log, time_, budget=2.0):
    return OutageGuard(
        log, "redis://h:1/0", budget=budget, summary_seconds=60, transient=(Down,),
        fatal=(Denied,), secrets=("s3cret",), clock=time_.clock, sleep=time_.sleep,
    )


def failing():
    raise Down("Connection refused (password s3cret)")


def test_first_failure_retries_within_budget_then_logs_once(log, time_):
    ok, value = guard(log, time_).call(failing, "job")
    assert (ok, value) == (False, None)
    assert 0 < sum(time_.slept) <= 2.0
    assert time_.slept[0] < time_.slept[1]  # backoff grows
    errors = log.find("unreachable", logging.ERROR)
    assert len(errors) == 1 and errors[0].traceback is None
    assert "s3cret" not in errors[0].message and "***" in errors[0].message


def test_during_outage_one_attempt_each_and_a_periodic_summary(log, time_):
    g = guard(log, time_)
    g.call(failing, "job")
    slept = len(time_.slept)
    for _ in range(5):
        time_.now += 5
        assert g.call(failing, "job") == (False, None)
    assert len(time_.slept) == slept  # no more backoff while down
    assert len(log.messages(logging.ERROR)) == 1
    time_.now += 60
    g.call(failing, "job")
    summary = log.find("pushes failed during the Redis outage", logging.ERROR)
    assert len(summary) == 1 and summary[0].message.startswith("7 pushes failed")


def test_recovery_is_logged_with_the_count(log, time_):
    g = guard(log, time_)
    g.call(failing, "job")
    g.call(failing, "job")
    assert g.call(lambda: "id", "job") == (True, "id")
    recovered = log.find("answers again after", logging.WARNING)
    assert len(recovered) == 1 and "2 pushes failed" in recovered[0].message
    assert not g.down
    g.call(lambda: "id", "job")
    assert len(log.find("answers again after")) == 1


def test_a_refusal_is_not_retried(log, time_):
    def denied():
        raise Denied("WRONGPASS")

    assert guard(log, time_).call(denied, "job") == (False, None)
    assert time_.slept == []


def test_transient_failure_then_success_is_quiet(log, time_):
    attempts = iter([Down("x"), None])

    def once_down():
        exc = next(attempts)
        if exc:
            raise exc
        return "ok"

    assert guard(log, time_).call(once_down, "job") == (True, "ok")
    assert log.messages(logging.ERROR) == []


class Stalled(Down):
    """A timeout: the server took the connection and never answered."""


def stalling_guard(log, time_, probe):
    return OutageGuard(
        log, "redis://h:1/0", budget=2.0, summary_seconds=60, transient=(Down,),
        fatal=(Denied,), secrets=("s3cret",), clock=time_.clock, sleep=time_.sleep,
        probe=probe, stalled=(Stalled,), slow_after=1.0, probe_every=1.0,
    )


def stalls():
    raise Stalled("Timeout reading from socket (password s3cret)")


class Probe:
    """Stalls `stalled` times (each costing `cost` seconds of fake time), then answers."""

    def __init__(self, time_, stalled, cost=2.0, then=None):
        self.time_, self.left, self.cost, self.then, self.calls = time_, stalled, cost, then, 0
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self):
        assert self.gate.wait(5)  # a test holds the probe while it looks at the stall
        self.calls += 1
        if self.left:
            self.left -= 1
            self.time_.now += self.cost
            raise Down("Timeout reading from socket")
        if self.then is not None:
            raise self.then
        return True


def finish(g):
    if g.prober is not None:
        g.prober.join(5)
    assert g.prober is None or not g.prober.is_alive()


def test_after_a_stall_pushes_fail_at_once_until_the_probe_sees_the_server(log, time_):
    probe = Probe(time_, stalled=0)
    probe.gate.clear()
    g = stalling_guard(log, time_, probe)
    tries = []

    def op():
        tries.append(1)
        stalls()

    assert g.call(op, "job") == (False, None)
    made = len(tries)  # the first push spent its budget
    assert g.stall is not None and made > 1
    assert g.call(op, "job") == (False, None)
    assert len(tries) == made  # the second one did not try
    probe.gate.set()
    finish(g)  # the probe answered: the thread is gone, and pushes try again
    assert g.stall is None and probe.calls == 1
    assert g.call(lambda: "id", "job") == (True, "id")
    assert len(log.find("answers again after", logging.WARNING)) == 1


def test_while_stalled_no_attempt_is_made_and_failures_are_counted(log, time_):
    g = stalling_guard(log, time_, lambda: True)
    g._ensure_prober = lambda: None  # no probe thread: the server stays stalled
    tries = []

    def op():
        tries.append(1)
        stalls()

    g.call(op, "job")
    made = len(tries)
    for _ in range(3):
        time_.now += 30
        assert g.call(op, "job") == (False, None)
    assert len(tries) == made  # Redis not touched, no time spent
    assert len(log.find("still unreachable", logging.DEBUG)) == 2
    [summary] = log.find("pushes failed during the Redis outage", logging.ERROR)
    assert summary.message.startswith("3 pushes failed") and "Stalled" in summary.message
    assert "s3cret" not in summary.message


def test_a_slow_failure_counts_as_a_stall_whatever_its_kind(log, time_):
    def slow_refusal():
        time_.now += 1.5  # took a connect's worth: no quicker on the next try
        raise Down("Connection reset")

    probe = Probe(time_, stalled=0)
    probe.gate.clear()
    g = stalling_guard(log, time_, probe)
    g.call(slow_refusal, "job")
    assert g.stall is not None
    probe.gate.set()
    finish(g)


def test_a_quick_failure_keeps_one_attempt_per_push_and_no_probe(log, time_):
    g = stalling_guard(log, time_, Probe(time_, stalled=0))
    tries = []

    def refused():
        tries.append(1)
        failing()

    g.call(refused, "job")
    made = len(tries)
    g.call(refused, "job")
    assert len(tries) == made + 1 and g.stall is None and g.prober is None


def test_the_probe_keeps_looking_while_the_server_stalls(log, time_):
    probe = Probe(time_, stalled=3)
    g = stalling_guard(log, time_, probe)
    g.call(stalls, "job")
    finish(g)
    assert probe.calls == 4 and g.stall is None


def test_a_refused_probe_ends_the_stall_one_quick_attempt_per_push_again(log, time_):
    probe = Probe(time_, stalled=1, then=Down("Connection refused"))
    g = stalling_guard(log, time_, probe)
    g.call(stalls, "job")
    finish(g)
    assert g.stall is None
    tries = []

    def refused():
        tries.append(1)
        failing()

    assert g.call(refused, "job") == (False, None)
    assert tries == [1] and g.stall is None


def test_a_stalled_push_starts_a_probe_when_none_runs(log, time_):
    # A forked work horse inherits the stall but not the parent's probe thread.
    g = stalling_guard(log, time_, Probe(time_, stalled=0))
    g._ensure_prober = lambda: None
    g.call(stalls, "job")
    assert g.prober is None
    del g._ensure_prober
    assert g.call(stalls, "job") == (False, None)
    finish(g)
    assert g.stall is None
