from __future__ import annotations

import datetime as dt
import io
import logging
import logging.handlers
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.LoggerFactory import LoggerFactory


def make(tmp_path: Path, config: dict | None, name: str = "app") -> AbstractLogger:
    return LoggerFactory(name=name, base_path=tmp_path, config=config)


def test_missing_config_logs_to_console_at_debug(tmp_path: Path, capsys) -> None:
    log = make(tmp_path, None)

    log.debug("hello %s", "world")

    err = capsys.readouterr().err
    assert " DEBUG app: hello world" in err
    assert capsys.readouterr().out == ""


def test_console_prints_extra_fields_as_key_value_pairs(tmp_path: Path, capsys) -> None:
    log = make(tmp_path, {"default": "console"})

    log.info("job done", extra={"job_id": "backup", "attempt": 2, "note": "took long"})

    line = capsys.readouterr().err.strip()
    assert line.endswith('INFO app: job done job_id=backup attempt=2 note="took long"')


def test_text_extras_json_cannot_hold_are_their_text_quoted_once(tmp_path: Path, capsys) -> None:
    log = make(tmp_path, {"default": "console"})
    when = dt.datetime(2026, 1, 1, 3, 0)

    log.info("x", extra={"when": when, "path": tmp_path, "price": Decimal("1.5"), "ids": [1]})

    line = capsys.readouterr().err.strip()
    assert line.endswith(f'x when="2026-01-01 03:00:00" path={tmp_path} price=1.5 ids=[1]')


def test_extra_fields_named_like_record_attributes_do_not_break_logging(
    tmp_path: Path, capsys
) -> None:
    log = make(tmp_path, None)

    log.info("odd names", extra={"name": "x", "message": "y", "args": 1})

    assert 'odd names name=x message=y args=1' in capsys.readouterr().err


def test_console_follows_a_redirected_stderr(tmp_path: Path, monkeypatch) -> None:
    log = make(tmp_path, None)
    redirected = io.StringIO()
    monkeypatch.setattr(sys, "stderr", redirected)

    log.info("after the redirect")

    assert "after the redirect" in redirected.getvalue()


def test_exception_logs_the_traceback(tmp_path: Path, capsys) -> None:
    log = make(tmp_path, None)

    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("job failed", extra={"job_id": "j1"})

    err = capsys.readouterr().err
    assert "ERROR app: job failed job_id=j1\nTraceback (most recent call last):" in err
    assert "ValueError: bad value" in err


@pytest.mark.parametrize("level", ["info", " Info ", "INFO"])
def test_global_level_filters_in_any_case(tmp_path: Path, capsys, level: str) -> None:
    log = make(tmp_path, {"level": level})

    log.debug("hidden")
    log.info("shown")

    err = capsys.readouterr().err
    assert "hidden" not in err and "shown" in err


def test_channel_level_filters_only_that_channel(tmp_path: Path, capsys) -> None:
    log = make(tmp_path, {
        "default": "both",
        "channels": {
            "both": {"driver": "stack", "channels": ["console", "file"]},
            "console": {"driver": "console", "level": "warning"},
            "file": {"driver": "single", "path": "app.log"},
        },
    })

    log.info("routine")
    log.warning("careful")

    assert "routine" not in capsys.readouterr().err
    assert "routine" in (tmp_path / "app.log").read_text()


def test_single_writes_a_file_and_creates_its_folder(tmp_path: Path) -> None:
    log = make(tmp_path, {
        "default": "single",
        "channels": {"single": {"driver": "single", "path": "storage/logs/app.log"}},
    })

    log.info("to the file", extra={"run_id": 7})

    text = (tmp_path / "storage/logs/app.log").read_text(encoding="utf-8")
    assert "INFO app: to the file run_id=7" in text


def test_single_accepts_an_absolute_path(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "abs.log"
    log = make(tmp_path / "project", {
        "default": "single", "channels": {"single": {"path": str(target)}}
    })

    log.warning("absolute")

    assert "absolute" in target.read_text()


def test_single_uses_the_default_path_when_none_is_given(tmp_path: Path) -> None:
    make(tmp_path, {"default": "single"}).info("default path")

    assert "default path" in (tmp_path / "storage/logs/equipment.log").read_text()


def test_stack_writes_to_every_member(tmp_path: Path, capsys) -> None:
    log = make(tmp_path, {
        "default": "stack",
        "channels": {
            "stack": {"driver": "stack", "channels": ["console", "daily"]},
            "daily": {"driver": "daily", "path": "logs/app.log"},
        },
    })

    log.error("everywhere")

    assert "everywhere" in capsys.readouterr().err
    [written] = (tmp_path / "logs").glob("app-*.log")
    assert "everywhere" in written.read_text()


def test_nested_stacks_write_each_channel_once(tmp_path: Path, capsys) -> None:
    log = make(tmp_path, {
        "default": "outer",
        "channels": {
            "outer": {"driver": "stack", "channels": ["inner", "console"]},
            "inner": {"driver": "stack", "channels": "console, null"},
        },
    })

    log.info("once")

    assert capsys.readouterr().err.count("once") == 1


def test_null_channel_writes_nothing(tmp_path: Path, capfd) -> None:
    log = make(tmp_path, {"default": "null"})

    log.critical("into the void")
    log.exception("still nothing")

    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert not (tmp_path / "storage").exists()


def test_builtin_channels_exist_without_being_listed(tmp_path: Path) -> None:
    log = make(tmp_path, {"default": " Daily ", "level": "info"})

    log.info("built in")

    [written] = (tmp_path / "storage/logs").glob("equipment-*.log")
    assert "built in" in written.read_text()


def test_logs_do_not_reach_the_root_logger(tmp_path: Path, caplog, capsys) -> None:
    log = make(tmp_path, {"default": "null"})

    with caplog.at_level(logging.DEBUG):
        log.error("private")

    assert caplog.records == []
