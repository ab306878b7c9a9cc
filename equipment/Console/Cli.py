"""The `equipment` command: `equipment new`, and the `schedule` and `queue` groups.

Every `EquipmentError` a command raises becomes one line on stderr, `error: <message>`,
with exit code 2, the code click uses for usage mistakes.
"""

from __future__ import annotations

from typing import Any

import click

from equipment import __version__
from equipment.Console.NewCommand import new
from equipment.Console.QueueCommand import queue
from equipment.Console.ScheduleCommand import schedule
from equipment.Errors import EquipmentError

USER_ERROR = 2

class CommandError(click.ClickException):
    """A user's mistake: one line on stderr, exit code 2."""

    exit_code = USER_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class EquipmentGroup(click.Group):
    """A group that turns `EquipmentError` from any of its commands into a `CommandError`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EquipmentError as error:
            raise CommandError(str(error)) from error


@click.group(cls=EquipmentGroup)
@click.version_option(__version__, prog_name="equipment")
def cli() -> None:
    """Equipment: create a project, inspect its schedule, run its queue workers."""


cli.add_command(new)
cli.add_command(queue)
cli.add_command(schedule)


def main() -> None:
    """The console script `equipment`."""
    cli(prog_name="equipment")
