from __future__ import annotations

import logging
from pathlib import Path

import pytest

from equipment.Config.Values import (
    as_bool,
    as_choice,
    as_int,
    as_level,
    as_list,
    as_path,
    as_seconds,
    as_str,
)
from equipment.Errors import ConfigError


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" Debug ", logging.DEBUG), ("INFO", logging.INFO), ("warn", logging.WARNING),
     ("warning", logging.WARNING), ("Error", logging.ERROR), ("critical", logging.CRITICAL),
     ("15", 15), (30, 30), (None, logging.INFO), ("  ", logging.INFO)],
)
def test_as_level_accepts_any_case_spaces_and_numbers(value, expected: int) -> None:
    assert as_level(value, "log.level", logging.INFO) == expected


def test_as_level_names_the_key_and_the_valid_levels() -> None:
    with pytest.raises(ConfigError) as caught:
        as_level("loud", "log.level", logging.INFO)

    assert str(caught.value) == (
        "log.level must be a log level (debug, info, warning, error, critical), got 'loud'"
    )


def test_as_level_rejects_booleans() -> None:
    with pytest.raises(ConfigError, match="log.level"):
        as_level(True, "log.level", logging.INFO)


def test_as_choice_ignores_case_and_returns_the_listed_spelling() -> None:
    assert as_choice(" Daily ", "k", ["console", "daily"], "console") == "daily"
    assert as_choice("", "k", ["console", "daily"], "console") == "console"


def test_as_choice_lists_the_valid_values() -> None:
    with pytest.raises(ConfigError, match=r"^log\.default must be one of console, daily; got 'x'"):
        as_choice("x", "log.default", ["console", "daily"], "console")


def test_as_list_accepts_lists_and_comma_separated_text() -> None:
    assert as_list(["a", "b"], "k", []) == ["a", "b"]
    assert as_list(" a, b ,,c ", "k", []) == ["a", "b", "c"]
    assert as_list(None, "k", ["x"]) == ["x"]
    with pytest.raises(ConfigError, match="k must be a list"):
        as_list({"a": 1}, "k", [])


def test_as_path_is_relative_to_the_base(tmp_path: Path) -> None:
    assert as_path("logs/a.log", "k", tmp_path, "x.log") == tmp_path / "logs/a.log"
    assert as_path(None, "k", tmp_path, "x.log") == tmp_path / "x.log"
    absolute = tmp_path / "abs.log"
    assert as_path(str(absolute), "k", Path("/elsewhere"), "x.log") == absolute


def test_existing_converters_take_strings_from_the_environment() -> None:
    assert as_seconds(" 1.5 ", "k", 0) == 1.5
    assert as_int("7", "k", 0) == 7
    assert as_bool(" Yes ", "k", False) is True
    assert as_str(" text ", "k", "") == "text"
    with pytest.raises(ConfigError, match="queue.port must be a whole number, got 'abc'"):
        as_int("abc", "queue.port", 0)


@pytest.mark.parametrize("value", ["-1", "0", 0, "3601", "1e12"])
def test_as_seconds_states_the_whole_range_on_either_side(value) -> None:
    with pytest.raises(ConfigError) as caught:
        as_seconds(value, "k", 1.0, above_minimum=True, maximum=3600)

    assert str(caught.value) == f"k must be more than 0 and at most 3600 seconds, got {value!r}"


def test_as_seconds_with_an_inclusive_range() -> None:
    assert as_seconds("0", "k", 1.0, maximum=10) == 0
    with pytest.raises(ConfigError, match=r"^k must be between 0 and 10 seconds, got '11'$"):
        as_seconds("11", "k", 1.0, maximum=10)


@pytest.mark.parametrize("value", ["0", "257", 10**12])
def test_as_int_states_the_whole_range_on_either_side(value) -> None:
    with pytest.raises(ConfigError) as caught:
        as_int(value, "k", 8, minimum=1, maximum=256)

    assert str(caught.value) == f"k must be between 1 and 256, got {value!r}"


def test_as_int_with_one_bound_names_that_bound() -> None:
    with pytest.raises(ConfigError, match=r"^k must be at least 0, got '-1'$"):
        as_int("-1", "k", 0, minimum=0)
    with pytest.raises(ConfigError, match=r"^k must be at most 9, got '10'$"):
        as_int("10", "k", 0, maximum=9)
