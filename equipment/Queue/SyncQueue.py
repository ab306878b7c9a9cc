"""The `sync` driver: runs the work at once, in the caller's thread.

Meant for development and tests (no Redis needed). A job that raises, `sys.exit()` included
(an RQ worker records that as a failure too), is logged and the push returns False: it never
ends the caller. An `async def` job is run to its end, as RQ runs it. It still applies the
rules of a real worker as warnings, once per function and reason, so code that only works
here is noticed before `QUEUE_CONNECTION=redis` is switched on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from logging import DEBUG
from typing import Any

from equipment.Coroutines import run_to_the_end
from equipment.Errors import at_caller
from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.AbstractQueue import AbstractQueue
from equipment.Queue.Options import PushOptions, split_options
from equipment.Queue.Pushable import (
    UNSERIALIZABLE,
    describe,
    why_not_callable_with,
    why_not_picklable,
    why_not_portable,
    why_result_not_stored,
)
from equipment.Queue.Retry import Retry, returned_retry
from equipment.Queue.RunContext import get_run_id
from equipment.Queue.Timing import as_delay_seconds, to_utc


class SyncQueue(AbstractQueue):
    def __init__(self, log: AbstractLogger | None = None, timezone: str = "local") -> None:
        self.log = log or NullLogger()
        self.timezone = timezone
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def push(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        return self._run(fn, args, kwargs)

    def push_at(self, when: dt.datetime, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        try:
            due = to_utc(when, self.timezone)
        except (TypeError, ValueError) as exc:
            return self._refuse(fn, str(exc))
        self.log.debug(
            f"sync queue: running {describe(fn)} now instead of at {due.isoformat()}",
            extra=self._extra(fn),
        )
        return self._run(fn, args, kwargs)

    def push_in(
        self, delay: dt.timedelta | float, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> bool:
        try:
            seconds = as_delay_seconds(delay)
        except (TypeError, ValueError) as exc:
            return self._refuse(fn, str(exc))
        self.log.debug(
            f"sync queue: running {describe(fn)} now instead of in {seconds:g}s",
            extra=self._extra(fn),
        )
        return self._run(fn, args, kwargs)

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        try:
            options, kwargs = split_options(kwargs)
        except ValueError as exc:
            return self._refuse(fn, str(exc))
        if not callable(fn):
            return self._refuse(fn, f"{fn!r} is not callable")
        problem = why_not_callable_with(fn, args, kwargs)
        if problem:  # refused, as the redis driver refuses it, rather than run to fail
            return self._refuse(fn, problem)
        self._warn_if_unportable(fn, args, kwargs)
        return self._attempts(fn, args, kwargs, options)

    def _attempts(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        options: PushOptions,
    ) -> bool:
        """Run `fn` as a worker would: again after a failure while the push's retries last,
        and again while it returns `Retry(...)`, up to that retry's `max`; at once, since
        the sync driver never sleeps in the caller's thread."""
        tries = 1 + (options.retry.max if options.retry else 0)
        failures = retries = 0
        while True:
            try:
                result = _call(fn, args, kwargs)
                retry = None if result is None else returned_retry(result)
            except (Exception, SystemExit) as exc:  # sys.exit() fails the job, as in a worker
                failures += 1
                if failures == tries:
                    self.log.exception(
                        f"{describe(fn)} failed: {type(exc).__name__}: {exc}",
                        extra=self._extra(fn, attempts=failures),
                    )
                    return False
                self.log.warning(
                    f"{describe(fn)} failed ({type(exc).__name__}: {exc}); sync queue retries "
                    f"at once, without the intervals ({failures}/{tries - 1})",
                    extra=self._extra(fn, attempts=failures),
                )
                continue
            if retry is None:
                if result is not None:
                    self._warn_if_result_lost(fn, result)
                if self.log.is_enabled_for(DEBUG):
                    what = describe(fn)
                    self.log.debug(f"sync queue: ran {what}", extra=self._extra(fn, what))
                return True
            retries += 1
            if not self._retried(fn, retry, retries):
                return False

    def _retried(self, fn: Callable[..., Any], retry: Retry, retries: int) -> bool:
        """The line for a run that returned `retry`, the `retries`-th such: whether the job
        is run again (RQ fails it once it has had `max` retries)."""
        extra = self._extra(fn, retries=retries)
        if retries > retry.max:
            self.log.error(
                f"{describe(fn)} failed: it returned Retry(max={retry.max}) once more after "
                f"{retries - 1} retries",
                extra=extra,
            )
            return False
        self.log.info(
            f"{describe(fn)} returned a retry; sync queue runs it again at once, without the "
            f"intervals ({retries}/{retry.max})",
            extra=extra,
        )
        return True

    def _warn_if_unportable(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        problem = why_not_portable(fn) or why_not_picklable(args, kwargs)
        if problem is not None:
            self._warn_once(fn, problem, "works with sync, will fail with redis")

    def _warn_if_result_lost(self, fn: Callable[..., Any], result: Any) -> None:
        problem = why_result_not_stored(result)
        if problem is not None:
            self._warn_once(
                fn, problem, f"runs with redis too, but RQ keeps {UNSERIALIZABLE!r} as its result"
            )

    def _warn_once(self, fn: Callable[..., Any], problem: str, what: str) -> None:
        """One warning per function and problem: a scheduler pushes the same ones again."""
        key = (describe(fn), problem)
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        self.log.warning(f"{describe(fn)} {what}: {problem}", extra=self._extra(fn))

    def _refuse(self, fn: Any, reason: str) -> bool:
        """One line: the push of `fn` is refused for a mistake in the call, `reason`, named
        with the line of the user's code that made it."""
        self.log.error(f"Refused to run {describe(fn)}: {at_caller(reason)}", extra=self._extra(fn))
        return False

    def _extra(self, fn: Any, what: str | None = None, **more: Any) -> dict[str, Any]:
        what = what or describe(fn)
        return {"function": what, "run_id": get_run_id(), "queue": "sync", **more}


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = fn(*args, **kwargs)
    if asyncio.iscoroutine(result):  # an `async def` job: RQ runs it to the end too
        result = run_to_the_end(result)
    return result
