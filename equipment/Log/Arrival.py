"""Where a logger that arrives pickled (a queued job's argument, in a worker) writes.

Loggers pickle as a recipe, never with their handlers or records: `push(_inspire, self.log)`
sends a few words, not open files or every line logged so far. A process that receives
loggers (a queue worker) names its own logger with `loggers_arrive_in(log)`; an arriving
logger is then that one, so the worker's own configuration applies (a scheduler on
`LOG_CHANNEL=null` does not silence its worker's jobs). Elsewhere the recipe is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from equipment.Log.AbstractLogger import AbstractLogger

# Module state, not a contextvar: a worker forks a work horse per job, and the horse must
# see it; one worker per process.
_receiver: AbstractLogger | None = None


@contextmanager
def loggers_arrive_in(log: AbstractLogger) -> Iterator[AbstractLogger]:
    """While the block runs, every logger unpickled in this process (or a fork) is `log`."""
    global _receiver
    saved, _receiver = _receiver, log
    try:
        yield log
    finally:
        _receiver = saved


def receiving_logger() -> AbstractLogger | None:
    """The logger set by the innermost `loggers_arrive_in`, or None."""
    return _receiver
