"""Every `equipment` command reports a command line it cannot parse as one line, exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from equipment.Console.Cli import cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "-x", "--path", "D"], "No such option '-x' (run 'equipment new --help' for help)"),
        (["new"], "Missing argument 'NAME' (run 'equipment new --help' for help)"),
        (["-x"], "No such option '-x' (run 'equipment --help' for help)"),
        (
            ["schedule", "plan", "--hour", "2"],
            "No such option '--hour'. Did you mean '--hours'? "
            "(run 'equipment schedule plan --help' for help)",
        ),
        (
            ["schedule", "plan", "--hours"],
            "Option '--hours' requires an argument (run 'equipment schedule plan --help' for help)",
        ),
        (
            ["queue", "work", "--nope"],
            "No such option '--nope' (run 'equipment queue work --help' for help)",
        ),
        (["schedule", "nope"], "No such command 'nope' (run 'equipment schedule --help' for help)"),
    ],
)
def test_a_command_line_mistake_is_one_line_naming_the_help_to_run(args, message) -> None:
    result = CliRunner().invoke(cli, args, prog_name="equipment")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_help_still_shows_the_usage() -> None:
    result = CliRunner().invoke(cli, ["new", "--help"], prog_name="equipment")

    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: equipment new [OPTIONS] NAME")
