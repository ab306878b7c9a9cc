"""The `equipment` command: `equipment new`, and the `schedule` and `queue` groups.

Every `EquipmentError` a command raises becomes one line on stderr, `error: <message>`,
with exit code 2, the code click uses for usage mistakes.
"""

from __future__ import annotations

import click

from equipment import __version__
from equipment.Console import OperateCommand  # noqa: F401  (adds run/pause/health/... to `schedule`)
from equipment.Console.CommandError import EquipmentGroup
from equipment.Console.NewCommand import new
from equipment.Console.QueueCommand import queue
from equipment.Console.ScheduleCommand import schedule


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
