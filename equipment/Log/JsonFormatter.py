"""One JSON object per line: time, level, logger, message, every extra field, the traceback."""

from __future__ import annotations

import json
import logging
from typing import Any

from equipment.Log.BaseFormatter import BaseFormatter


class JsonFormatter(BaseFormatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in self.extra(record).items():
            # An extra named like a core field keeps its value under a prefixed name.
            payload[f"extra_{key}" if key in payload else str(key)] = value
        if record.exc_info and record.exc_info[0] is not None:
            payload["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exception"] = record.exc_text
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        try:
            return _dumps(payload)
        except (TypeError, ValueError):  # NaN, a tuple key, a loop, an int too long for text
            return _dumps({key: _holdable(value) for key, value in payload.items()})


def _dumps(payload: dict[str, Any]) -> str:
    # allow_nan=False: `NaN` and `Infinity` are not JSON, and strict readers drop the line.
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, default=_text)


def _holdable(value: Any) -> Any:
    """`value` itself when JSON can hold it, else its text."""
    try:
        json.dumps(value, allow_nan=False, default=_text)
    except (TypeError, ValueError):
        return _text(value)
    return value


def _text(value: Any) -> str:
    try:
        return str(value)
    except ValueError:  # an int beyond sys.get_int_max_str_digits()
        return f"<{type(value).__name__} too long to write>"
