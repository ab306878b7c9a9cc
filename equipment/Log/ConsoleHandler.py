"""The console channel's handler: writes to whatever `sys.stderr` is at the moment of writing."""

from __future__ import annotations

import logging
import sys
from typing import TextIO


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Looks `sys.stderr` up on every record (like the stdlib's last-resort handler), so a
    logger made before stderr was redirected (pytest's capture, a daemon) follows it."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass
