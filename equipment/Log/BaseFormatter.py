"""What the text and JSON formats share: the time stamp and the extra fields."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from equipment.Log.Extra import Extra


class BaseFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """ISO 8601 local time with its UTC offset, so a line is unambiguous across zones."""
        moment = dt.datetime.fromtimestamp(record.created).astimezone()
        if datefmt:
            return moment.strftime(datefmt)
        return moment.isoformat(timespec="milliseconds")

    @staticmethod
    def extra(record: logging.LogRecord) -> dict[str, Any]:
        return Extra.of(record)
