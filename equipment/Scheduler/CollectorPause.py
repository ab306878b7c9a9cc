"""Registration is a burst of small objects: the cyclic garbage collector waits it out.

Registering 100,000 jobs allocates a million small containers, and each automatic
collection of the oldest generation walks all of them: registration then grows faster
than the job count. Nothing registered is garbage, so the collector is paused from the
start of a subclass's `run()` until the loop starts (or `run()` ends), then resumes.
"""

from __future__ import annotations

import gc


class CollectorPause:
    def __init__(self) -> None:
        self._paused = False

    def begin(self) -> None:
        if gc.isenabled():
            gc.disable()
            self._paused = True

    def end(self) -> None:
        if self._paused:
            self._paused = False
            gc.enable()
