"""Keyword arguments the queue consumes itself; every other one goes to the function.

Only two names are reserved, chosen to be unlikely in application code: `retry` (a count or
a `Retry`) and `job_timeout` (seconds a worker lets the job run: 1 to a week, the bounds of
`queue.redis.job_timeout`; RQ would take a larger value and fail the job in the worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from equipment.Queue.Retry import Retry, as_retry
from equipment.Queue.Settings import JOB_TIMEOUT_LIMIT

RESERVED = ("retry", "job_timeout")


@dataclass(frozen=True)
class PushOptions:
    retry: Retry | None = None
    job_timeout: int | None = None


NO_OPTIONS = PushOptions()


def split_options(kwargs: dict[str, Any]) -> tuple[PushOptions, dict[str, Any]]:
    """(the queue's options, the function's kwargs); ValueError for a bad option value."""
    if not kwargs:
        return NO_OPTIONS, {}
    rest = {k: v for k, v in kwargs.items() if k not in RESERVED}
    timeout = kwargs.get("job_timeout")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int)
        or not 1 <= timeout <= JOB_TIMEOUT_LIMIT
    ):
        raise ValueError(
            f"job_timeout must be whole seconds from 1 to {JOB_TIMEOUT_LIMIT} (a week), "
            f"got {timeout!r}"
        )
    return PushOptions(as_retry(kwargs.get("retry")), timeout), rest
