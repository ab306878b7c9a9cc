"""`schedule.jobs` as a list that tells the schedule when jobs come and go.

Users (and `schedule` itself: `cancel_job`, `clear`) edit `scheduler.jobs` directly; every
mutation reports the jobs it added and removed, so the due index and the ID table stay right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, SupportsIndex

Listener = Callable[[list[Any], list[Any]], None]  # (added, removed)


class JobList(list):
    def __init__(self, jobs: Iterable[Any] = (), on_change: Listener | None = None) -> None:
        super().__init__()
        self._on_change = on_change
        self.extend(jobs)

    def _changed(self, added: list[Any], removed: list[Any]) -> None:
        if self._on_change is not None and (added or removed):
            self._on_change(added, removed)

    def _rewrite(self, edit: Callable[[], Any]) -> Any:
        """Apply a bulk edit and report the difference (slices, clear, in-place ops)."""
        before = {id(job): job for job in self}
        result = edit()
        after = {id(job): job for job in self}
        self._changed(
            [job for key, job in after.items() if key not in before],
            [job for key, job in before.items() if key not in after],
        )
        return result

    def append(self, job: Any) -> None:
        super().append(job)
        self._changed([job], [])

    def extend(self, jobs: Iterable[Any]) -> None:
        jobs = list(jobs)
        super().extend(jobs)
        self._changed(jobs, [])

    def insert(self, index: SupportsIndex, job: Any) -> None:
        super().insert(index, job)
        self._changed([job], [])

    def remove(self, job: Any) -> None:
        super().remove(job)
        if not any(other is job for other in self):
            self._changed([], [job])

    def pop(self, index: SupportsIndex = -1) -> Any:
        job = super().pop(index)
        self._changed([], [job])
        return job

    def clear(self) -> None:
        self._rewrite(super().clear)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._rewrite(lambda: super(JobList, self).__setitem__(index, value))

    def __delitem__(self, index: Any) -> None:
        self._rewrite(lambda: super(JobList, self).__delitem__(index))

    def __iadd__(self, jobs: Iterable[Any]) -> JobList:  # type: ignore[override, misc]
        self.extend(jobs)
        return self

    def __imul__(self, count: SupportsIndex) -> JobList:  # type: ignore[override, misc]
        return self._rewrite(lambda: super(JobList, self).__imul__(count))
