"""RQ's log records, forwarded to the app's logger, so `LOG_CHANNEL` applies to workers too.

RQ logs its routine chatter ("Job OK", "Listening on") at INFO; the worker logs its own
start/finish lines with job and run IDs, so RQ's INFO is demoted to DEBUG here to keep one
line per event. Warnings and errors keep their level. Every forwarded message (and
traceback text) has the Redis credentials scrubbed, with the one masking rule of
`Settings.scrub`, so nothing RQ prints can show a password.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Queue.Settings import scrub

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
RQ_LOGGER = "rq"


class ForwardToAppLog(logging.Handler):
    def __init__(self, log: AbstractLogger, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(logging.DEBUG)
        self.app_log = log
        self.secrets = secrets

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = scrub(_ANSI.sub("", record.getMessage()), self.secrets)
            level = logging.DEBUG if record.levelno == logging.INFO else record.levelno
            kwargs = {"extra": {"logger": record.name}}
            if record.exc_info:
                trace = "".join(traceback.format_exception(*record.exc_info)).rstrip()
                if scrub(trace, self.secrets) == trace:
                    kwargs["exc_info"] = record.exc_info
                else:  # the traceback quotes a credential: it goes out as scrubbed text
                    message = f"{message}\n{scrub(trace, self.secrets)}"
            self.app_log.log(level, message, **kwargs)
        except Exception:  # a logging failure must never stop a worker
            self.handleError(record)


@contextmanager
def rq_logs_to(log: AbstractLogger, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Route the `rq` logger tree to `log`, `secrets` scrubbed, for the duration of the block.

    A handler on the `rq` parent also keeps RQ from installing its own stdout handlers.
    """
    logger = logging.getLogger(RQ_LOGGER)
    handler = ForwardToAppLog(log, secrets)
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved
