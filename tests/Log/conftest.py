from __future__ import annotations

from collections.abc import Iterator

import pytest

from equipment.Log.LoggerFactory import LoggerFactory


@pytest.fixture(autouse=True)
def _close_loggers() -> Iterator[None]:
    """Each test starts with no cached logger and leaves no open log file behind."""
    LoggerFactory.close_all()
    yield
    LoggerFactory.close_all()
