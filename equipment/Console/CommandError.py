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


class EquipmentGroup(click.Group):
    """A group whose commands' `EquipmentError`s (and `ScheduleError`s) become `CommandError`s."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_MISTAKES as error:
            raise CommandError(str(error)) from error
