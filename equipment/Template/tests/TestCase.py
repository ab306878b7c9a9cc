"""The base of this project's tests: a fresh app, a logger you can read, no Redis, no sleeping.

    class TestReports(TestCase):
        def test_something(self) -> None:
            scheduler = self.scheduler()
            ...
            self.assertTrue(self.log.find("report rebuilt"))
"""

from __future__ import annotations

import os
import unittest
from unittest import mock

from dependency_injector import providers
from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock

from app import BASE_PATH, App, app


class TestCase(unittest.TestCase):
    #: Environment for every test: the sync queue runs pushed work at once.
    #: Job state stays in memory: a test never reads or writes storage/.
    environment = {
        "APP_ENV": "testing",
        "LOG_CHANNEL": "null",
        "QUEUE_CONNECTION": "sync",
        "SCHEDULER_STATE": "memory",
    }

    def setUp(self) -> None:
        super().setUp()
        environment = mock.patch.dict(os.environ, self.environment)
        environment.start()
        self.addCleanup(environment.stop)

        App.forget(BASE_PATH)
        self.addCleanup(App.forget, BASE_PATH)
        self.app = app()

        # Every service gets this logger: tests read what was logged with `self.log.find()`.
        self.log = MemoryLogger()
        self.app.log.override(providers.Object(self.log))
        self.addCleanup(self.app.log.reset_override)

        # A clock that moves only when told: `self.clock.advance(5)` is five seconds later.
        self.clock = FakeClock()

    def scheduler(self):
        """The app's scheduler, on the fake clock."""
        return self.app.scheduler(clock=self.clock)
