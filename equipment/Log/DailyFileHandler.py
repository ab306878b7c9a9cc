"""The `daily` channel's handler: one dated file per day, safe for several processes.

`path: logs/app.log` writes `logs/app-2026-11-30.log`. No file is ever renamed, so a
scheduler and a worker (or any number of processes) can write the same channel at once:
each appends to the day's file and moves to the next day's file when the first record of
that day arrives. The day of a record is the local date of its time stamp (`created`) in
the handler's zone, the machine's zone unless one is given. Whoever moves to a new day
deletes the dated files older than `days` days (0 keeps every file); a file another
process deleted first is simply skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path


class DailyFileHandler(logging.FileHandler):
    def __init__(self, path: Path, days: int, zone: dt.tzinfo | None = None) -> None:
        self.pattern = Path(path)
        self.days = days
        self.zone = zone
        self.day: dt.date | None = None
        self._dated = re.compile(
            re.escape(self.pattern.stem) + r"-(\d{4}-\d{2}-\d{2})" + re.escape(self.pattern.suffix)
        )
        super().__init__(self.pattern, encoding="utf-8", delay=True)
        self.baseFilename = ""  # no file until the first record says which day it is

    def file_for(self, day: dt.date) -> Path:
        """The file a record of `day` goes to: `app.log` -> `app-2026-11-30.log`."""
        return dated(self.pattern, day.isoformat())

    def day_of(self, record: logging.LogRecord) -> dt.date:
        moment = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        return moment.astimezone(self.zone).date()

    def emit(self, record: logging.LogRecord) -> None:
        day = self.day_of(record)
        # Records of one process arrive almost in order; one stamped just before midnight
        # that arrives after the switch goes to the new file rather than reopening the old.
        if self.day is None or day > self.day:
            self._switch(day)
        super().emit(record)

    def _switch(self, day: dt.date) -> None:
        if self.stream is not None:
            stream, self.stream = self.stream, None  # type: ignore[assignment]
            stream.close()
        self.day = day
        self.baseFilename = os.path.abspath(self.file_for(day))
        self.prune(day)

    def prune(self, today: dt.date) -> None:
        """Delete the dated files of this channel older than `days` days before `today`."""
        if self.days <= 0:
            return
        oldest_kept = today - dt.timedelta(days=self.days - 1)
        try:
            names = os.listdir(self.pattern.parent)
        except OSError:
            return
        for name in names:
            match = self._dated.fullmatch(name)
            if match is None or _date(match.group(1)) >= oldest_kept:
                continue
            try:
                os.unlink(self.pattern.parent / name)
            except OSError:  # another process pruned it first, or it is not ours to delete
                pass


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # 2026-13-45: not one of ours; keep it
        return dt.date.max


def dated(pattern: Path, day: str) -> Path:
    """The daily file of `pattern` for `day` (an ISO date, or a placeholder for one)."""
    return pattern.with_name(f"{pattern.stem}-{day}{pattern.suffix}")
