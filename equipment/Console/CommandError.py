"""How every `equipment` command reports a user's mistake: one line, exit code 2.

`EquipmentGroup` turns an `EquipmentError` raised by any command below it into a
`CommandError`, so commands raise the framework's own errors and never format them.
"""

from __future__ import annotations

from typing import Any

import click
import schedule

from equipment.Errors import EquipmentError

#: The exit code for a user's mistake: click uses 2 for usage errors too.
USER_ERROR = 2

#: What a user's mistake raises: ours, and `schedule`'s own errors for a wrong schedule
#: (`every(2).monday`), which registration may let through unchanged.
USER_MISTAKES = (EquipmentError, schedule.ScheduleError)


class CommandError(click.ClickException):
    """A user's mistake: `error: <message>` on stderr, exit code 2, no traceback."""

    exit_code = USER_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class OneLineUsageError(click.UsageError):
    """A command line click cannot parse (`-x`, a missing argument): one line, exit code 2.

    Click's own shows the usage block and the message on separate lines; this says what is
    wrong and which `--help` to run, on one line.
    """

    def show(self, file: Any = None) -> None:
        message = self.format_message().rstrip(".")
        hint = f" (run '{self.ctx.command_path} --help' for help)" if self.ctx else ""
        click.echo(f"error: {message}{hint}", err=True)


def _one_line(error: click.UsageError) -> click.UsageError:
    if isinstance(error, OneLineUsageError) or _shows_help(error):
        return error
    # format_message(), not .message: a missing argument builds its text there.
    return OneLineUsageError(error.format_message(), error.ctx)


def _shows_help(error: click.UsageError) -> bool:
    """Click (8.2+) raises this for a group called without a command: it prints the help."""
    shows_help = getattr(click.exceptions, "NoArgsIsHelpError", None)
    return shows_help is not None and isinstance(error, shows_help)


class EquipmentCommand(click.Command):
    """A command whose command-line mistakes are one line naming its `--help`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            error.ctx = error.ctx or ctx  # some parser errors come without one
            raise _one_line(error) from error


class EquipmentGroup(click.Group):
    """A group whose commands report every mistake as one line with exit code 2.

    `EquipmentError`s (and `schedule`'s `ScheduleError`s) become `CommandError`s; click's
    usage errors (an unknown option or command, a missing argument) become
    `OneLineUsageError`s, for the group's own options and for its commands', which are
    `EquipmentCommand`s.
    """

    command_class = EquipmentCommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            error.ctx = error.ctx or ctx
            raise _one_line(error) from error

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # an unknown command
            raise _one_line(error) from error
        except USER_MISTAKES as error:
            raise CommandError(str(error)) from error
