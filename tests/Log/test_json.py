from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from equipment.Log.LoggerFactory import LoggerFactory


def json_console(tmp_path: Path):
    return LoggerFactory(
        name="app",
        base_path=tmp_path,
        config={"channels": {"console": {"driver": "console", "json": True}}},
    )


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_line_has_time_level_logger_message_and_extras(tmp_path: Path, capsys) -> None:
    json_console(tmp_path).info("job %s done", "backup", extra={"job_id": "j1", "ms": 12.5})

    [record] = lines(capsys.readouterr().err)
    assert record["level"] == "INFO"
    assert record["logger"] == "app"
    assert record["message"] == "job backup done"
    assert record["job_id"] == "j1" and record["ms"] == 12.5
    assert dt.datetime.fromisoformat(record["time"]).tzinfo is not None
    assert "exception" not in record


def test_json_carries_the_traceback(tmp_path: Path, capsys) -> None:
    log = json_console(tmp_path)
    try:
        raise RuntimeError("kaput")
    except RuntimeError:
        log.exception("failed", extra={"run_id": 3})

    [record] = lines(capsys.readouterr().err)
    assert record["level"] == "ERROR" and record["run_id"] == 3
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: kaput" in record["exception"]


def test_json_keeps_core_fields_when_an_extra_has_the_same_name(tmp_path: Path, capsys) -> None:
    json_console(tmp_path).warning("real", extra={"message": "fake", "level": 1})

    [record] = lines(capsys.readouterr().err)
    assert record["message"] == "real" and record["level"] == "WARNING"
    assert record["extra_message"] == "fake" and record["extra_level"] == 1


def test_json_turns_other_values_into_text(tmp_path: Path, capsys) -> None:
    json_console(tmp_path).info("paths", extra={"where": tmp_path, "ids": [1, 2]})

    [record] = lines(capsys.readouterr().err)
    assert record["where"] == str(tmp_path) and record["ids"] == [1, 2]


def test_json_file_channel_writes_one_object_per_line(tmp_path: Path) -> None:
    log = LoggerFactory(
        name="app",
        base_path=tmp_path,
        config={
            "default": "single",
            "channels": {"single": {"driver": "single", "path": "a.log", "json": "true"}},
        },
    )

    log.info("one")
    log.info("two", extra={"n": 2})

    records = lines((tmp_path / "a.log").read_text())
    assert [r["message"] for r in records] == ["one", "two"] and records[1]["n"] == 2


def test_stack_json_is_a_default_for_its_members(tmp_path: Path, capsys) -> None:
    log = LoggerFactory(
        name="app",
        base_path=tmp_path,
        config={
            "default": "stack",
            "channels": {
                "stack": {"driver": "stack", "channels": ["console", "plain"], "json": True},
                "plain": {"driver": "single", "path": "plain.log", "json": False},
            },
        },
    )

    log.info("mixed")

    assert lines(capsys.readouterr().err)[0]["message"] == "mixed"
    assert "INFO app: mixed" in (tmp_path / "plain.log").read_text()


def test_json_writes_values_json_cannot_hold_as_text(tmp_path: Path, capsys) -> None:
    loop: list = []
    loop.append(loop)
    extra = {
        "ratio": float("nan"),
        "ceiling": float("inf"),
        "by_pair": {(1, 2): 3},
        "loop": loop,
        "ok": {"n": 1},
    }
    json_console(tmp_path).info("odd values", extra=extra)

    err = capsys.readouterr().err
    [record] = [json.loads(line, parse_constant=_refuse) for line in err.splitlines()]
    assert record["message"] == "odd values" and record["ok"] == {"n": 1}
    assert record["ratio"] == "nan" and record["ceiling"] == "inf"
    assert record["by_pair"] == "{(1, 2): 3}" and record["loop"] == "[[...]]"


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")
