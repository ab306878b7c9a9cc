"""Registration is a burst of small objects: the cyclic garbage collector waits it out.

Registering 100,000 jobs allocates a million small containers, and each automatic
collection of the oldest generation walks all of them: registration then grows faster
than the job count. Nothing registered is garbage, so the collector is paused from the
start of a subclass's `run()` until the loop starts (or `run()` ends), then resumes.

When the loop starts, what registration built is frozen (`gc.freeze()`): it lives as long
as the scheduler, so no later collection walks it. And while the loop runs, the collector
runs between passes, never inside one: an automatic collection starts whenever enough
objects were allocated, which in a burst of a thousand runs is a dozen times, the oldest
generation's walk taking up to tens of milliseconds, and every run after it starts that much
later. Between passes, the loop collects the generations the collector's own thresholds
say are due (`collect_between_passes`). The loop's end restores both.

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
        self._held = False  # the collector was on when the loop began

    def begin(self) -> None:
        if gc.isenabled():
            gc.disable()
            self._paused = True

    def end(self) -> None:
        if self._paused:
            self._paused = False
            gc.enable()

    def freeze(self) -> None:
        """The loop starts: what exists now outlives it, so collections skip it; from
        now on the loop collects between passes."""
        if not self._frozen:
            gc.freeze()
            self._frozen = True
            self._held = gc.isenabled()
            gc.disable()

    def thaw(self) -> None:
        if self._frozen:
            self._frozen = False
            gc.unfreeze()
            if self._held:
                gc.enable()

    def collect_between_passes(self) -> int | None:
        """Collect the oldest generation whose threshold is reached, as the collector
        would have during the pass; returns it (None: nothing was due)."""
        if not (self._frozen and self._held):
            return None
        counts, thresholds = gc.get_count(), gc.get_threshold()
        due = None
        for generation in range(3):
            if thresholds[generation] and counts[generation] >= thresholds[generation]:
                due = generation
            else:
                break
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
