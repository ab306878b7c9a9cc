"""A logger passed to a queued job must survive pickling: `push(_inspire, self.log, ...)`."""

import logging
import pickle

import pytest

from equipment.Log.Logger import Logger
from equipment.Log.LoggerFactory import LoggerFactory


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
