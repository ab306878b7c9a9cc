"""Carry `extra={...}` fields from a log call to the formatters, whatever their names."""

from __future__ import annotations

import logging
from typing import Any

# Attributes every stdlib LogRecord has; an extra field with one of these names would make
# `logging.Logger.log` raise, so such a field travels only inside the private dict.
RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}
_ATTRIBUTE = "equipment_extra"


class Extra:
    @staticmethod
    def attach(fields: dict[str, Any] | None) -> dict[str, Any]:
        """The `extra=` mapping to give the stdlib: safe fields as attributes, all in a dict."""
        fields = dict(fields or {})
        attributes = {
            key: value
            for key, value in fields.items()
            if isinstance(key, str) and key not in RESERVED and key != _ATTRIBUTE
        }
        attributes[_ATTRIBUTE] = fields
        return attributes

    @staticmethod
    def of(record: logging.LogRecord) -> dict[str, Any]:
        """The extra fields of `record`, whether it came from our Logger or plain stdlib."""
        fields = getattr(record, _ATTRIBUTE, None)
        if isinstance(fields, dict):
            return fields
        return {
            key: value
            for key, value in record.__dict__.items()
            if key not in RESERVED and not key.startswith("_")
        }
