"""The file channels: `daily` shared by several writers, `single` following a moved file."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from equipment.Errors import ConfigError
from equipment.Log.DailyFileHandler import DailyFileHandler
from equipment.Log.LoggerFactory import LoggerFactory

MADRID = ZoneInfo("Europe/Madrid")


def at(day: int, hour: int, minute: int = 0) -> float:
    """A time stamp on 2026-11-<day> at hour:minute, Madrid time."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MADRID).timestamp()


def record(message: str, created: float) -> logging.LogRecord:
    return logging.makeLogRecord({"msg": message, "levelno": logging.INFO, "created": created})


def writer(path: Path, days: int = 14) -> DailyFileHandler:
    handler = DailyFileHandler(path, days, zone=MADRID)
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_two_writers_of_one_daily_channel_lose_nothing_across_midnight(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    scheduler, worker = writer(path), writer(path)

    scheduler.handle(record("s1", at(29, 23, 58)))
    worker.handle(record("w1", at(29, 23, 59)))
    worker.handle(record("w2", at(30, 0, 0)))  # the worker reaches midnight first
    scheduler.handle(record("s2", at(29, 23, 59)))  # late, but before its own switch
    scheduler.handle(record("s3", at(30, 0, 1)))
    scheduler.close()
    worker.close()

    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["app-2026-11-29.log", "app-2026-11-30.log"]
    assert lines(tmp_path / "app-2026-11-29.log") == ["s1", "w1", "s2"]
    assert lines(tmp_path / "app-2026-11-30.log") == ["w2", "s3"]


def test_the_day_switches_at_midnight_in_the_channels_zone(tmp_path: Path) -> None:
    handler = writer(tmp_path / "app.log")

    handler.handle(record("late evening", at(29, 23, 30)))  # 22:30 UTC, still the 29th
    handler.handle(record("after midnight", at(30, 0, 30)))  # 23:30 UTC on the 29th
    handler.close()

    assert lines(tmp_path / "app-2026-11-29.log") == ["late evening"]
    assert lines(tmp_path / "app-2026-11-30.log") == ["after midnight"]


def test_whoever_switches_prunes_files_older_than_days(tmp_path: Path) -> None:
    for day in ("2026-11-20", "2026-11-27", "2026-11-28"):
        (tmp_path / f"app-{day}.log").write_text("old\n")
    (tmp_path / "other-2026-11-01.log").write_text("not this channel's\n")
    first, second = writer(tmp_path / "app.log", days=3), writer(tmp_path / "app.log", days=3)

    first.handle(record("29th", at(29, 12)))
    second.handle(record("29th too", at(29, 12)))  # finds nothing left to prune: no error
    first.handle(record("30th", at(30, 0)))
    second.handle(record("30th too", at(30, 0)))
    first.close()
    second.close()

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "app-2026-11-28.log", "app-2026-11-29.log", "app-2026-11-30.log", "other-2026-11-01.log",
    ]


def test_days_zero_keeps_every_file(tmp_path: Path) -> None:
    (tmp_path / "app-2020-01-01.log").write_text("old\n")
    handler = writer(tmp_path / "app.log", days=0)

    handler.handle(record("today", at(30, 9)))
    handler.close()

    assert (tmp_path / "app-2020-01-01.log").exists()


def test_the_daily_channel_writes_todays_dated_file(tmp_path: Path) -> None:
    log = LoggerFactory(name="app", base_path=tmp_path, config={
        "default": "daily", "channels": {"daily": {"path": "logs/app.log", "days": 3}},
    })

    log.info("dated")

    [written] = (tmp_path / "logs").iterdir()
    assert re.fullmatch(r"app-\d{4}-\d{2}-\d{2}\.log", written.name)
    assert "dated" in written.read_text()


def test_single_follows_its_file_when_it_is_moved_away(tmp_path: Path) -> None:
    log = LoggerFactory(name="app", base_path=tmp_path, config={
        "default": "single", "channels": {"single": {"path": "app.log"}},
    })
    log.info("before the move")

    os.replace(tmp_path / "app.log", tmp_path / "app.log.1")  # what logrotate does
    log.info("after the move")

    assert "before the move" in (tmp_path / "app.log.1").read_text()
    assert "after the move" not in (tmp_path / "app.log.1").read_text()
    assert "after the move" in (tmp_path / "app.log").read_text()


@pytest.mark.parametrize("driver", ["single", "daily"])
def test_a_path_ending_with_a_slash_names_a_folder_even_before_it_exists(
    tmp_path: Path, driver: str
) -> None:
    """`path: logs/` wrote the file `logs` (single) or `logs-2026-12-01` (daily) beside
    the folder the user meant, as the slash was dropped."""
    config = {"default": driver, "channels": {driver: {"path": "logs/"}}}

    with pytest.raises(ConfigError) as caught:
        LoggerFactory(name="app", base_path=tmp_path, config=config)

    assert str(caught.value) == (
        f"log.channels.{driver}.path: 'logs/' ends with a '/', so it names a folder; give the "
        "path of a file in it (e.g. logs/app.log)"
    )
    assert list(tmp_path.iterdir()) == []


def test_daily_on_a_device_is_refused_and_single_writes_to_it(tmp_path: Path) -> None:
    """daily on /dev/null created /dev/null-<date>, a file beside the device."""
    config = {"default": "daily", "channels": {"daily": {"path": "/dev/null"}}}

    with pytest.raises(ConfigError) as caught:
        LoggerFactory(name="app", base_path=tmp_path, config=config)

    assert str(caught.value) == (
        "log.channels.daily.path: /dev/null is not a regular file, and daily writes dated "
        "files beside it (/dev/null-YYYY-MM-DD); give a file path, or use the null channel "
        "to keep no logs"
    )
    single = {"default": "single", "channels": {"single": {"path": "/dev/null"}}}
    LoggerFactory(name="app", base_path=tmp_path, config=single).info("to the device")


@pytest.mark.parametrize("driver", ["single", "daily"])
def test_a_folder_as_path_is_one_line_naming_the_key(tmp_path: Path, driver: str) -> None:
    (tmp_path / "logs").mkdir()
    config = {"default": driver, "channels": {driver: {"path": "logs"}}}

    with pytest.raises(ConfigError) as caught:
        LoggerFactory(name="app", base_path=tmp_path, config=config)

    assert str(caught.value).startswith(f"log.channels.{driver}.path: ")
    assert "is a folder" in str(caught.value)


@pytest.mark.parametrize("driver", ["single", "daily"])
def test_a_file_where_a_folder_should_be_is_named_as_a_file(tmp_path: Path, driver: str) -> None:
    (tmp_path / "f").write_text("")
    path = tmp_path / "f" / "logs" / "app.log"
    config = {"default": driver, "channels": {driver: {"path": str(path)}}}

    with pytest.raises(ConfigError) as caught:
        LoggerFactory(name="app", base_path=tmp_path, config=config)

    # It said "cannot create .../f/logs: File exists".
    assert str(caught.value) == (
        f"log.channels.{driver}.path: {tmp_path / 'f'} is a file, not a folder, so {path} "
        "cannot be created in it"
    )


@pytest.mark.skipif(not Path("/proc/1").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("driver", ["single", "daily"])
def test_a_file_that_cannot_be_written_is_one_line_at_start(tmp_path: Path, driver: str) -> None:
    # /proc/1 is a folder in which nobody, root included, can create a file: the first
    # record raised FileNotFoundError from inside logging, with a traceback.
    config = {"default": driver, "channels": {driver: {"path": "/proc/1/x.log"}}}

    with pytest.raises(ConfigError) as caught:
        LoggerFactory(name="app", base_path=tmp_path, config=config)

    assert str(caught.value).startswith(f"log.channels.{driver}.path: cannot write /proc/1/x.log: ")


def test_the_daily_probe_leaves_nothing_behind(tmp_path: Path) -> None:
    config = {"default": "daily", "channels": {"daily": {"path": "logs/app.log"}}}

    LoggerFactory(name="app", base_path=tmp_path, config=config)

    assert list((tmp_path / "logs").iterdir()) == []
