"""Registration is a burst of small objects: the cyclic garbage collector waits it out.

Registering 100,000 jobs allocates a million small containers, and each automatic
collection of the oldest generation walks all of them: registration then grows faster
than the job count. Nothing registered is garbage, so the collector is paused from the
start of a subclass's `run()` until the loop starts (or `run()` ends), then resumes.

When the loop starts, what registration built is frozen (`gc.freeze()`): it lives as long
as the scheduler, so no later collection walks it (unless the application froze objects
itself before, which the loop then leaves as they are).

And while the loop runs, automatic collection is off (`hold`): a collection starts whenever
enough objects were allocated, which in a burst of a thousand runs is a dozen times, a walk
of the oldest generation taking tens of milliseconds, and every run after it would start
that much later. Instead the loop collects between passes, just what the collector's own
thresholds say is due (`collect_due`); while a single inline job runs long, the heartbeat
thread does the same every 10 s, so a job that runs for an hour is collected as it goes.
The loop's end restores both.

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
        self._held = False  # automatic collection turned off for the loop

    def begin(self) -> None:
        if gc.isenabled():
            gc.disable()
            self._paused = True

    def end(self) -> None:
        if self._paused:
            self._paused = False
            gc.enable()

    def freeze(self) -> None:
        """The loop starts: what exists now outlives it, so collections skip it; from now
        on, collections happen through `collect_due`."""
        if not self._frozen and gc.get_freeze_count() == 0:
            gc.freeze()
            self._frozen = True
        if not self._held and gc.isenabled():
            gc.disable()
            self._held = True

    def thaw(self) -> None:
        if self._frozen:
            self._frozen = False
            gc.unfreeze()
        if self._held:
            self._held = False
            gc.enable()

    def collect_due(self) -> int | None:
        """While the loop holds the collector: collect the oldest generation whose
        threshold is reached, as an automatic collection would; returns it (None: none
        was due, or the collector is not held). Safe from any thread."""
        if not self._held:
            return None
        counts, thresholds = gc.get_count(), gc.get_threshold()
        due = None
        for generation in range(3):
            if not (thresholds[generation] and counts[generation] >= thresholds[generation]):
                break
            due = generation
        if due is not None:
            gc.collect(due)
        return due


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection during the block."""
    pause = CollectorPause()
    pause.begin()
    try:
        yield
    finally:
        pause.end()
