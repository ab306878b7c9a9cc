"""Registration is a burst of small objects: the cyclic garbage collector waits it out.

Registering 100,000 jobs allocates a million small containers, and each automatic
collection of the oldest generation walks all of them: registration then grows faster
than the job count. Nothing registered is garbage, so the collector is paused from the
start of a subclass's `run()` until the loop starts (or `run()` ends), then resumes.

When the loop starts, what registration built is frozen (`gc.freeze()`): it lives as long
as the scheduler, so no later collection walks it (unless the application froze objects
itself before, which the loop then leaves as they are). The loop's end unfreezes it.

A pass of several due jobs (a burst) runs with automatic collection paused too
(`Schedule.run_due`): a collection starts whenever enough objects were allocated, which in
a burst of a thousand runs is a dozen times, a walk of the oldest generation taking tens of
milliseconds, and every run after it would start that much later. It resumes when the pass
ends. A pass of one job runs with the collector on, so a long inline job is collected as
it goes.

A simulated run of the test kit (`run_until`) pauses the collector too: it allocates
hundreds of thousands of run and log records, none of them cyclic garbage.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


class CollectorPause:
    def __init__(self) -> None:
        self._paused = False
        self._frozen = False

    def begin(self) -> None:
        if gc.isenabled():
            gc.disable()
            self._paused = True

    def end(self) -> None:
        if self._paused:
            self._paused = False
            gc.enable()

    def freeze(self) -> None:
        """The loop starts: what exists now outlives it, so collections skip it."""
        if not self._frozen and gc.get_freeze_count() == 0:
            gc.freeze()
            self._frozen = True

    def thaw(self) -> None:
        if self._frozen:
            self._frozen = False
            gc.unfreeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection during the block."""
    pause = CollectorPause()
    pause.begin()
    try:
        yield
    finally:
        pause.end()
