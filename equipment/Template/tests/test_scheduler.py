from unittest import mock

import schedule

from tests.TestCase import TestCase


class TestScheduler(TestCase):
    def test_registers_its_jobs_and_returns_after_one_pass(self) -> None:
        scheduler = self.scheduler()
        scheduler.should_exit = True

        scheduler.run()

        self.assertEqual(len(scheduler.schedule.get_jobs()), 2)
        self.assertTrue(all(job.id for job in scheduler.schedule.get_jobs()))

    def test_patched_run_pending_runs_nothing(self) -> None:
        scheduler = self.scheduler()
        scheduler.should_exit = True

        with mock.patch.object(schedule.Scheduler, "run_pending") as run_pending:
            scheduler.run()

        run_pending.assert_called()

    def test_quotes_are_logged_as_time_passes(self) -> None:
        scheduler = self.scheduler()
        scheduler.should_exit = True
        scheduler.run()
        quotes = set(self.app.inspiring().quotes)

        self.clock.advance(5)
        scheduler.tick()

        # The every-second job logs a quote at debug level; the every-5-seconds job pushes
        # `_inspire`, which the sync queue runs at once and which logs one at info level.
        logged = [record for record in self.log.records if record.message in quotes]
        self.assertGreaterEqual(len(logged), 2)
        self.assertEqual({record.level_name for record in logged}, {"DEBUG", "INFO"})
