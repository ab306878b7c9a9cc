from equipment.Errors import ConfigError

from app.Inspire import Inspire
from app.Scheduler import _inspire

from tests.TestCase import TestCase


class TestInspire(TestCase):
    def test_quotes_come_from_config(self) -> None:
        inspiring = self.app.inspiring()

        self.assertGreater(len(inspiring.quotes), 0)
        self.assertIn(inspiring.quote(), inspiring.quotes)

    def test_no_quotes_is_a_config_error_that_names_the_file(self) -> None:
        # A ConfigError: `python scheduler.py` prints it as one line and exits 2.
        for quotes in ([], None, ["", "  "], "not a list"):
            with self.assertRaisesRegex(ConfigError, "config/inspiring.json"):
                Inspire(quotes)

    def test_the_queued_task_logs_a_quote(self) -> None:
        # Task functions are tested apart from their schedule.
        _inspire(self.log, Inspire(["Keep going."]))

        self.assertEqual(self.log.messages(), ["Keep going."])
