"""A project of one job, `report`, written to a test's folder for the CLI to load as
`app:App` (its source, its schedule and its scheduler settings are the test's)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = """
from equipment.Scheduler.Scheduler import Scheduler

{report}

class Jobs(Scheduler):
    def run(self):
        self.schedule.{every}.name("report").do(report)
        super().run()


class App:
    @classmethod
    def make(cls, base_path):
        return cls()

    def scheduler(self):
        return Jobs(settings={settings!r})
"""


def write_one_job_project(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    report: str,
    every: str,
    settings: dict[str, Any],
) -> None:
    """`app.py` in `folder` (made the working directory and importable): `report`'s source
    (a function named report), run `every` (`every(10).minutes`), with `settings`."""
    source = TEMPLATE.format(report=textwrap.dedent(report), every=every, settings=settings)
    (folder / "app.py").write_text(source)
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
