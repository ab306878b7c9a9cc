"""RQ's log records, forwarded to the app's logger, so `LOG_CHANNEL` applies to workers too.

RQ logs its routine chatter ("Job OK", "Listening on") at INFO; the worker logs its own
start/finish lines with job and run IDs, so RQ's INFO is demoted to DEBUG here to keep one
line per event. Warnings and errors keep their level.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from equipment.Log.AbstractLogger import AbstractLogger

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
RQ_LOGGER = "rq"


class ForwardToAppLog(logging.Handler):
    def __init__(self, log: AbstractLogger) -> None:
        super().__init__(logging.DEBUG)
        self.app_log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = _ANSI.sub("", record.getMessage())
            level = logging.DEBUG if record.levelno == logging.INFO else record.levelno
            kwargs = {"extra": {"logger": record.name}}
            if record.exc_info:
                kwargs["exc_info"] = record.exc_info
            self.app_log.log(level, message, **kwargs)
        except Exception:  # a logging failure must never stop a worker
            self.handleError(record)


@contextmanager
def rq_logs_to(log: AbstractLogger) -> Iterator[None]:
    """Route the `rq` logger tree to `log` for the duration of the block.

    A handler on the `rq` parent also keeps RQ from installing its own stdout handlers.
    """
    logger = logging.getLogger(RQ_LOGGER)
    handler = ForwardToAppLog(log)
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved
