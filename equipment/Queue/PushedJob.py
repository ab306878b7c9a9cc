"""The RQ job class our queue builds its jobs with: RQ's own, without one slow check.

Each new RQ job checks its serializer against a runtime-checkable `Protocol`. On Python
3.11 that `isinstance` walks the Protocol's members every time: about a fifth of the cost
of a batched push. RQ resolves a serializer of None to its default without the check, so
a job given the default is handed on as None: the same serializer, the same stored job.
Workers read these jobs with any job class (the class is not stored); RQ documents
`job_class` as the way to bring one's own.
"""

from __future__ import annotations

from typing import Any

from rq.job import Job
from rq.serializers import DefaultSerializer


class PushedJob(Job):
    def __init__(self, id: str | None = None, connection: Any = None, serializer: Any = None):  # noqa: A002 (RQ's name)
        super().__init__(id, connection, None if serializer is DefaultSerializer else serializer)
