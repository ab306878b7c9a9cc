from __future__ import annotations

import threading
from pathlib import Path

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.Logger import Logger
from equipment.Log.LoggerFactory import LoggerFactory

CONFIG = {"default": "single", "channels": {"single": {"path": "app.log"}}}


def test_calling_the_factory_returns_a_logger(tmp_path: Path) -> None:
    log = LoggerFactory(name="x", base_path=tmp_path, config=CONFIG)

    assert isinstance(log, Logger) and isinstance(log, AbstractLogger)
    assert log.name == "x"


def test_same_name_and_config_give_the_same_logger_without_new_handlers(tmp_path: Path) -> None:
    first = LoggerFactory(name="x", base_path=tmp_path, config=CONFIG)
    second = LoggerFactory(name="x", base_path=str(tmp_path), config=dict(CONFIG))

    assert first is second
    assert len(second.handlers) == 1
    second.info("only once")
    assert (tmp_path / "app.log").read_text().count("only once") == 1


def test_a_different_config_gives_an_independent_logger(tmp_path: Path) -> None:
    to_file = LoggerFactory(name="x", base_path=tmp_path, config=CONFIG)
    quiet = LoggerFactory(name="x", base_path=tmp_path, config={"default": "null"})

    quiet.info("dropped")
    to_file.info("kept")

    assert quiet is not to_file
    assert (tmp_path / "app.log").read_text().count("INFO x:") == 1


def test_concurrent_creation_makes_one_logger(tmp_path: Path) -> None:
    made: list[AbstractLogger] = []
    start = threading.Barrier(8)

    def create() -> None:
        start.wait()
        made.append(LoggerFactory(name="x", base_path=tmp_path, config=CONFIG))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(log) for log in made}) == 1
    assert len(made[0].handlers) == 1


def test_missing_name_falls_back_to_equipment(tmp_path: Path) -> None:
    assert LoggerFactory(name=None, base_path=tmp_path, config=None).name == "equipment"


def test_close_all_closes_files_and_forgets_loggers(tmp_path: Path) -> None:
    first = LoggerFactory(name="x", base_path=tmp_path, config=CONFIG)
    first.info("written")

    LoggerFactory.close_all()

    assert first.handlers == []
    assert LoggerFactory(name="x", base_path=tmp_path, config=CONFIG) is not first


def test_level_and_enabled_for(tmp_path: Path) -> None:
    log = LoggerFactory(name="x", base_path=tmp_path, config={"level": "warning"})
    assert log.level == 30
    assert log.is_enabled_for(40) and not log.is_enabled_for(20)
