"""`@entrypoint`: user mistakes are one line and exit 2, Ctrl-C is 130, bugs keep tracebacks."""

from __future__ import annotations

import pytest
import schedule

from equipment.Console.Entrypoint import entrypoint, run_entrypoint
from equipment.Errors import ConfigError, EquipmentError


def exit_code(fn) -> int:
    with pytest.raises(SystemExit) as exited:
        entrypoint(fn)()
    return exited.value.code


def test_returning_none_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(lambda: None) == 0
    assert capsys.readouterr().err == ""


def test_an_int_return_value_is_the_exit_code() -> None:
    assert exit_code(lambda: 3) == 3


def test_a_bool_return_value_is_not_an_exit_code() -> None:
    assert exit_code(lambda: True) == 0


def test_an_equipment_error_is_one_line_and_exit_two(capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> None:
        raise ConfigError("config/scheduler.yaml: max_sleep must be a number, got 'abc'")

    assert exit_code(main) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: config/scheduler.yaml: max_sleep must be a number, got 'abc'\n"


def test_keyboard_interrupt_is_one_line_and_exit_130(capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> None:
        raise KeyboardInterrupt

    assert exit_code(main) == 130
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_other_exceptions_propagate_with_their_traceback() -> None:
    def main() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        entrypoint(main)()


def test_arguments_are_passed_through_and_the_name_kept() -> None:
    def main(a: int, b: int = 0) -> int:
        return a + b

    assert run_entrypoint(main, 1, b=2) == 3
    assert entrypoint(main).__name__ == "main"


def test_system_exit_inside_is_left_alone() -> None:
    def main() -> None:
        raise SystemExit(5)

    assert exit_code(main) == 5


def test_run_entrypoint_returns_instead_of_exiting() -> None:
    def main() -> None:
        raise EquipmentError("bad")

    assert run_entrypoint(main) == 2


@pytest.mark.parametrize(
    "error",
    [
        schedule.ScheduleError("bad"),
        schedule.ScheduleValueError("bad"),
        schedule.IntervalError("bad"),
    ],
)
def test_schedules_own_errors_are_one_line_and_exit_two(
    error: Exception, capsys: pytest.CaptureFixture[str]
) -> None:
    def main() -> None:
        raise error

    assert exit_code(main) == 2
    assert capsys.readouterr().err == "error: bad\n"
