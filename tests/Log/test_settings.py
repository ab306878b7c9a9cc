from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from equipment.Errors import ConfigError
from equipment.Log.LoggerFactory import LoggerFactory
from equipment.Log.LogSettings import LogSettings


def error_for(config: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        LoggerFactory(name="app", base_path="/tmp", config=config)
    return str(caught.value)


def test_unknown_default_channel_lists_the_channels() -> None:
    message = error_for({"default": "papertrail"})
    assert message.startswith("log.default must be one of console, single, daily, stack, null")
    assert "'papertrail'" in message


def test_unknown_driver_names_the_key_and_lists_drivers() -> None:
    message = error_for({"channels": {"x": {"driver": "syslog"}}})
    assert message == (
        "log.channels.x.driver must be one of console, single, daily, stack, null; got 'syslog'"
    )


def test_missing_driver_is_named() -> None:
    assert error_for({"channels": {"x": {"level": "info"}}}).startswith(
        "log.channels.x.driver is missing; valid drivers: console"
    )


def test_unknown_level_names_the_key() -> None:
    assert error_for({"level": "verbose"}).startswith("log.level must be a log level (debug,")
    assert error_for({"channels": {"console": {"level": "loud"}}}).startswith(
        "log.channels.console.level must be a log level"
    )


def test_a_setting_the_driver_does_not_have_is_named() -> None:
    assert error_for({"channels": {"console": {"path": "x.log"}}}) == (
        "log.channels.console.path is not a setting of the console driver; "
        "valid settings: driver, level, json"
    )
    assert error_for({"chanels": {}}) == (
        "config/log.yaml: unknown key 'chanels' (known keys: channels, default, level)"
    )


def test_stack_of_an_unknown_channel_is_named() -> None:
    assert error_for({"channels": {"s": {"driver": "stack", "channels": ["console", "nope"]}}})\
        .startswith("log.channels.s.channels names an unknown channel 'nope'; valid channels:")


def test_a_stack_loop_is_an_error() -> None:
    message = error_for({
        "default": "a",
        "channels": {
            "a": {"driver": "stack", "channels": ["b"]},
            "b": {"driver": "stack", "channels": ["a"]},
        },
    })
    assert message == "log.channels.b.channels makes a loop: a -> b -> a"


def test_bad_days_and_json_values_are_named() -> None:
    assert error_for({"channels": {"daily": {"days": "two weeks"}}}).startswith(
        "log.channels.daily.days must be a whole number"
    )
    assert error_for({"channels": {"console": {"json": "maybe"}}}).startswith(
        "log.channels.console.json must be true or false"
    )


def test_days_too_large_for_the_calendar_is_refused_at_start() -> None:
    assert error_for({"channels": {"daily": {"days": 10**9}}}) == (
        "log.channels.daily.days must be between 0 and 3650, got 1000000000"
    )


def test_the_documented_yaml_parses_including_an_unquoted_null(tmp_path: Path) -> None:
    config = yaml.safe_load(
        "default: console\n"
        "level: ' Warning '\n"
        "channels:\n"
        "  console: {driver: console, level: debug, json: false}\n"
        "  single: {driver: single, path: storage/logs/equipment.log}\n"
        "  daily: {driver: daily, path: storage/logs/equipment.log, days: 14}\n"
        "  stack: {driver: stack, channels: [console, daily]}\n"
        "  null: {driver: null}\n"
    )

    settings = LogSettings.from_config(config, tmp_path)

    assert settings.level == logging.WARNING and settings.default == "console"
    assert settings.channels["null"].driver == "null"
    assert settings.channels["daily"].path == tmp_path / "storage/logs/equipment.log"
    assert settings.channels["daily"].days == 14


def test_driver_defaults_to_a_channel_named_after_it(tmp_path: Path) -> None:
    settings = LogSettings.from_config({"channels": {"daily": None}}, tmp_path)
    assert settings.channels["daily"].driver == "daily"


def test_blank_values_from_the_environment_fall_back_to_defaults(tmp_path: Path) -> None:
    settings = LogSettings.from_config({"default": "", "level": ""}, tmp_path)
    assert settings.default == "console" and settings.level == logging.DEBUG


def test_a_loop_in_an_unused_stack_is_found_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"makes a loop: a -> a$"):
        LogSettings.from_config({"channels": {"a": {"driver": "stack", "channels": ["a"]}}},
                                tmp_path)


def test_a_stack_level_is_a_floor_for_its_members(tmp_path: Path, capsys) -> None:
    log = LoggerFactory(name="app", base_path=tmp_path, config={
        "default": "stack",
        "channels": {
            "stack": {"driver": "stack", "channels": ["console"], "level": "error"},
            "console": {"driver": "console", "level": "debug"},
        },
    })

    log.warning("below the floor")
    log.error("at the floor")

    err = capsys.readouterr().err
    assert "below the floor" not in err and "at the floor" in err
