"""One readable line per record: time, level, logger, message, then `key=value` extras."""

from __future__ import annotations

import json
import logging
from typing import Any

from equipment.Log.BaseFormatter import BaseFormatter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class TextFormatter(BaseFormatter):
    def __init__(self) -> None:
        super().__init__(_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        # The stdlib appends the traceback after this, so extras stay on the message line.
        line = super().formatMessage(record)
        pairs = " ".join(f"{key}={_value(value)}" for key, value in self.extra(record).items())
        return f"{line} {pairs}" if pairs else line


def _value(value: Any) -> str:
    """Plain when unambiguous (`job_id=backup`), JSON-quoted when it has spaces or quotes."""
    text = value if isinstance(value, str) else _json(value)
    if text == "" or any(c.isspace() or c in "=\"'" for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def _json(value: Any) -> str:
    if isinstance(value, (int, float, bool)) or value is None:
        return json.dumps(value)
    if not isinstance(value, (dict, list, tuple)):
        # A datetime, Path, UUID, Decimal...: its text, quoted once by `_value` if need be
        # (JSON-encoding it first quoted it twice: when="\"2026-01-01 00:00:00\"").
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)
