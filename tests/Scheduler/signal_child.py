"""A scheduler process for the signal tests: `python signal_child.py JOB_SECONDS GRACE`."""

import sys
import time

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Scheduler import Scheduler


class StderrLogger(AbstractLogger):
    def log(self, level, msg, *args, **kwargs):
        print(msg % args if args else msg, file=sys.stderr, flush=True)


class SlowScheduler(Scheduler):
    def run(self) -> None:
        self.schedule.every(1).seconds.name("slow").do(self.slow)
        super().run()

    def slow(self) -> None:
        time.sleep(float(sys.argv[1]))


if __name__ == "__main__":
    scheduler = SlowScheduler(log=StderrLogger(), settings={"shutdown_grace": sys.argv[2]})
    scheduler.schedule.jobs  # noqa: B018
    try:
        scheduler.run()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
    print("exited cleanly", file=sys.stderr, flush=True)
