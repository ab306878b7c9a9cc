"""`equipment queue work`: run a worker for the project in the current directory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from equipment.Console.AppLoader import load_app
from equipment.Console.CommandError import EquipmentGroup


@click.group(name="queue", cls=EquipmentGroup)
def queue() -> None:
    """Work the project's Redis queues."""


@queue.command(name="work")
@click.option(
    "--app",
    "app_ref",
    default="app:App",
    show_default=True,
    help="module:factory of the project's container; its .make(base_path) builds the app.",
)
@click.option(
    "--queue", "-q", "queues", multiple=True, help="A queue to serve (repeatable; default: config)."
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def work_command(app_ref: str, queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker (with its scheduler) on the configured queues, from the project root."""
    from equipment.Queue.Worker import work

    root = Path.cwd()
    app = load_app(app_ref, root)
    sys.exit(work(app, queues=list(queues) or None, burst=burst))
