"""A logger passed to a queued job must survive pickling: `push(_inspire, self.log, ...)`."""

import logging
import pickle

import pytest

from equipment.Log.Arrival import loggers_arrive_in
from equipment.Log.Logger import Logger
from equipment.Log.LoggerFactory import LoggerFactory
from equipment.Log.MemoryLogger import MemoryLogger


def test_a_factory_logger_pickles_to_the_same_channels(tmp_path):
    config = {"default": "single", "channels": {"single": {"path": "logs/app.log"}}}
    logger = LoggerFactory(name="app", base_path=tmp_path, config=config)

    copy = pickle.loads(pickle.dumps(logger))
    copy.info("from the worker", extra={"run_id": "r1"})
    LoggerFactory.close_all()

    assert copy.name == "app"
    text = (tmp_path / "logs" / "app.log").read_text()
    assert "from the worker" in text and "run_id=r1" in text


def test_a_hand_made_logger_says_why_it_cannot_be_pickled():
    logger = Logger("loose", logging.INFO, [])
    with pytest.raises(TypeError, match="was not made by LoggerFactory"):
        pickle.dumps(logger)


def test_a_memory_logger_pickles_as_its_recipe_not_its_records():
    """The sync queue pickles a pushed logger on every push; with the records in the pickle
    that cost grew with every record logged (a simulated day: quadratic)."""
    empty, full = MemoryLogger(logging.INFO), MemoryLogger(logging.INFO)
    for n in range(1000):
        full.info("record %s", n, extra={"n": n})

    assert len(pickle.dumps(full)) == len(pickle.dumps(empty))
    copy = pickle.loads(pickle.dumps(full))
    assert isinstance(copy, MemoryLogger) and copy.level == logging.INFO and copy.records == []


def test_a_logger_arriving_in_a_worker_is_the_workers_own(tmp_path):
    """A scheduler on LOG_CHANNEL=null must not silence its worker's jobs."""
    pusher = LoggerFactory(name="app", base_path=tmp_path, config={"default": "null"})
    worker_log = MemoryLogger()
    with loggers_arrive_in(worker_log):
        arrived = pickle.loads(pickle.dumps(pusher))
        arrived_memory = pickle.loads(pickle.dumps(MemoryLogger()))
    assert arrived is worker_log and arrived_memory is worker_log
    assert pickle.loads(pickle.dumps(pusher)) is pusher  # elsewhere: rebuilt from the recipe
