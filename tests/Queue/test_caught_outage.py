import pytest
import redis

from equipment.Queue.RedisConnection import CaughtOutage


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.ConnectionError("refused"),
        redis.exceptions.TimeoutError("timed out"),
        redis.exceptions.ResponseError("Protocol error: invalid bulk length"),
    ],
)
def test_an_outage_is_caught_and_kept(error):
    with CaughtOutage() as outage:
        raise error
    assert outage.caught and outage.error is error


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.ResponseError("READONLY You can't write against a read only replica"),
        ConnectionRefusedError("not redis-py's: the caller's own"),
        KeyboardInterrupt(),
    ],
)
def test_anything_else_passes_through(error):
    outage = CaughtOutage()
    with pytest.raises(type(error)) as raised, outage:
        raise error
    assert raised.value is error and not outage.caught


def test_a_block_that_ends_normally_caught_nothing():
    def answer() -> str:
        with CaughtOutage():
            return "PONG"
        return "unreachable"

    with CaughtOutage() as outage:
        pass
    assert not outage.caught and answer() == "PONG"
