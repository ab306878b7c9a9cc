import subprocess
import sys

import pytest

from equipment.Errors import ConfigError
from equipment.Queue.QueueFactory import QueueFactory
from equipment.Queue.SyncQueue import SyncQueue


def test_no_config_gives_sync(log):
    assert isinstance(QueueFactory(config=None, log=log), SyncQueue)
    assert isinstance(QueueFactory(config={"connection": "SYNC "}, log=log), SyncQueue)


def test_redis_gives_redis_driver_without_connecting(log):
    queue = QueueFactory(config={"connection": "redis", "redis": {"port": "1"}}, log=log)
    assert type(queue).__name__ == "RedisQueue"
    assert queue.name == "default"


def test_unknown_driver_lists_the_valid_names():
    expected = r"queue.connection must be one of redis, sync, got 'sqs'"
    with pytest.raises(ConfigError, match=expected):
        QueueFactory(config={"connection": "sqs"})


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"port": "abc"}, "queue.redis.port must be a whole number"),
        ({"db": "-1"}, "queue.redis.db must be between 0 and 2147483646"),
        ({"push_retry_seconds": "soon"}, "queue.redis.push_retry_seconds must be a number"),
        ({"ssl": "maybe"}, "queue.redis.ssl must be true or false"),
        ({"url": "http://x:secret@h"}, "queue.redis.url must start with redis://"),
    ],
)
def test_bad_values_name_their_key(section, message):
    with pytest.raises(ConfigError, match=message) as info:
        QueueFactory(config={"connection": "redis", "redis": section})
    assert "secret" not in str(info.value)


def test_bad_timezone_names_its_key():
    with pytest.raises(ConfigError, match="queue.timezone must be an IANA zone"):
        QueueFactory(config={"timezone": "Mars/Olympus"})


def test_importing_the_factory_loads_neither_redis_nor_rq():
    code = (
        "import sys, equipment, equipment.Queue.QueueFactory as f;"
        "f.QueueFactory({'connection': 'sync'});"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'rq')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
