"""Running an `async def` job's coroutine to its end, wherever a job is run: by the sync
queue (as RQ's worker runs one) and by the scheduler's runner."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any


def run_to_the_end(coroutine: Any) -> Any:
    """The result of an `async def` job, as RQ's `Job._execute` gets it (`asyncio.run`). A
    caller inside an event loop (an async web handler) cannot start another in its thread:
    the job then runs in a thread of its own, and the caller waits, as for any sync push."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = asyncio.run(coroutine)
        except BaseException as error:  # re-raised in the caller's thread, below
            outcome["error"] = error

    context = contextvars.copy_context()  # the caller's context variables, as inline
    thread = threading.Thread(target=context.run, args=(run,), name="sync-queue-async-job")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
