"""Jobs ordered by their next run: a heap with lazy invalidation.

Re-timing a job pushes a new entry and makes the old one stale; stale entries are skipped
when they reach the top, and the heap is rebuilt when they outnumber the live ones. Knowing
the next wake-up is O(1), and a pass with nothing due touches no job at all.

`stage(until)` takes the entries due by `until` off the heap ahead of time, in order: the
loop does it in the last moment before a burst falls due, so that the pass starts running
jobs at once instead of first popping a thousand entries. Staged entries stay in the index
(peek, holds and re-timing see them) until a pass takes them.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections import deque
from typing import Any

_Entry = tuple[dt.datetime, int, int, Any]  # next run, registration order, sequence, job


class DueIndex:
    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._staged: deque[_Entry] = deque()  # taken off the heap early, in order
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
        self._staged.clear()
        self._current.clear()

    def holds(self, job: Any) -> bool:
        return id(job) in self._current

    def stage(self, until: dt.datetime) -> list[Any]:
        """Take the entries due by `until` off the heap now (see the module's docstring);
        returns their jobs."""
        heap, current, staged = self._heap, self._current, self._staged
        while staged:  # staged before and not taken (an early wake-up): back in order
            heapq.heappush(heap, staged.popleft())
        jobs = []
        while heap and heap[0][0] <= until:
            entry = heapq.heappop(heap)
            if current.get(id(entry[3])) == entry[2]:
                staged.append(entry)
                jobs.append(entry[3])
        return jobs

    def peek(self) -> Any | None:
        """The job due first, or None."""
        entry = self._front()
        return entry[3] if entry is not None else None

    def next_at(self) -> dt.datetime | None:
        """When the job due first is due, or None."""
        entry = self._front()
        return entry[0] if entry is not None else None

    def pop_due(self, now: dt.datetime) -> list[Any]:
        """Every job due at `now`, earliest first, taken out of the index (a run re-indexes
        it when it sets the next run)."""
        due: list[Any] = []
        if not self._staged:  # nothing taken ahead: straight off the heap (most passes)
            heap, current = self._heap, self._current
            while heap and heap[0][0] <= now:
                _, _, sequence, job = heapq.heappop(heap)
                if current.get(id(job)) == sequence:  # (a stale entry is dropped)
                    del current[id(job)]
                    due.append(job)
            return due
        while (entry := self._front()) is not None and entry[0] <= now:  # a live entry's time
            if self._staged and self._staged[0] is entry:
                self._staged.popleft()
            else:
                heapq.heappop(self._heap)
            del self._current[id(entry[3])]
            due.append(entry[3])
        return due

    def _front(self) -> _Entry | None:
        """The earliest live entry, staged or on the heap; stale ones are dropped."""
        heap, staged, current = self._heap, self._staged, self._current
        while staged and current.get(id(staged[0][3])) != staged[0][2]:
            staged.popleft()
        while heap and current.get(id(heap[0][3])) != heap[0][2]:
            heapq.heappop(heap)
        if not staged:
            return heap[0] if heap else None
        if heap and heap[0] < staged[0]:
            return heap[0]
        return staged[0]

    def _compact(self) -> None:
        self._heap = [entry for entry in self._heap if self._current.get(id(entry[3])) == entry[2]]
        heapq.heapify(self._heap)
