import logging

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
