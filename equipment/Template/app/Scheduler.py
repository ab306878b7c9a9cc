"""The application's recurring work: register jobs in `run()`, then call `super().run()`.

`python scheduler.py` runs this loop. Keep jobs short; push slow work to the queue.
"""

from equipment.Scheduler.Scheduler import Scheduler as Equipment


def _inspire(log, inspiring) -> None:
    """A queued task: it lives at module level so that a Redis worker can import it."""
    log.info(inspiring.quote())


class Scheduler(Equipment):
    def run(self) -> None:
        self.schedule.every(1).seconds.do(
            lambda: self.log.debug(self.inspiring.quote())
        )

        self.schedule.every(5).seconds.do(
            self.queue.push,
            _inspire,
            self.log,
            self.inspiring,
        )

        super().run()
