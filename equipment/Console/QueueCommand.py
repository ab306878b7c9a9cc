"""`equipment queue work`: run a worker for the project in the current directory."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click


@click.group(name="queue")
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


def load_app(app_ref: str, root: Path) -> Any:
    """Import `module:factory` from the project at `root` and build its container."""
    module_name, _, attr = app_ref.partition(":")
    if not module_name or not attr:
        raise click.UsageError(f"--app must look like module:factory, got {app_ref!r}")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise click.UsageError(
            f"cannot load {app_ref} from {root} ({exc}); run this from the project's root"
        ) from None
    return factory.make(root)
