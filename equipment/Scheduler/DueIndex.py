"""Jobs ordered by their next run: a heap with lazy invalidation.

Re-timing a job pushes a new entry and makes the old one stale; stale entries are skipped
when they reach the top, and the heap is rebuilt when they outnumber the live ones. Knowing
the next wake-up is O(1), and a pass with nothing due touches no job at all.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from typing import Any

_Entry = tuple[dt.datetime, int, int, Any]  # next run, registration order, sequence, job


class DueIndex:
    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._current: dict[int, int] = {}  # id(job) -> sequence number of its live entry
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._current)

    def push(self, job: Any) -> None:
        """(Re)index `job` at its `next_run_at`; a job with none is only forgotten."""
        at = job.next_run_at
        if at is None:
            self._current.pop(id(job), None)
            return
        sequence = next(self._sequence)
        self._current[id(job)] = sequence
        # Jobs due at the same instant run in the order they were registered, as
        # `schedule`'s stable sort of its job list has them.
        heapq.heappush(self._heap, (at, getattr(job, "order", 0), sequence, job))
        if len(self._heap) > 2 * len(self._current) + 64:
            self._compact()

    def discard(self, job: Any) -> None:
        self._current.pop(id(job), None)

    def clear(self) -> None:
        self._heap.clear()
        self._current.clear()

    def holds(self, job: Any) -> bool:
        return id(job) in self._current

    def peek(self) -> Any | None:
        """The job due first, or None."""
        heap = self._heap
        while heap and self._current.get(id(heap[0][3])) != heap[0][2]:
            heapq.heappop(heap)
        return heap[0][3] if heap else None

    def pop_due(self, now: dt.datetime) -> list[Any]:
        """Every job due at `now`, earliest first, taken out of the index (a run re-indexes
        it when it sets the next run)."""
        due: list[Any] = []
        heap, current = self._heap, self._current
        while heap:
            entry = heap[0]
            job = entry[3]
            if current.get(id(job)) != entry[2]:
                heapq.heappop(heap)  # stale: the job was re-timed or removed since
            elif job.next_run_at <= now:
                heapq.heappop(heap)
                del current[id(job)]
                due.append(job)
            else:
                break
        return due

    def _compact(self) -> None:
        self._heap = [entry for entry in self._heap if self._current.get(id(entry[3])) == entry[2]]
        heapq.heapify(self._heap)
