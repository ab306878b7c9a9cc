"""A scheduler process for the signal tests: `python signal_child.py JOB_SECONDS GRACE [KIND]`.

With STATE_PATH in the environment, its state and history go to that SQLite file; with
SLOW_STORE=S, each write of records to it takes S seconds more; with BACKGROUND=1, `slow`
runs on the background pool.

KIND is what the job named `slow` does:
- `sleep` (the default): sleeps JOB_SECONDS, then returns;
- `swallow`: loops for ever, swallowing every BaseException (stop signals, the grace);
- `thread`: starts, once, a non-daemon thread named `stuck-poller` that never ends, and
  returns at once.
"""

import os
import sys
import threading
import time

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Scheduler import Scheduler


class StderrLogger(AbstractLogger):
    def log(self, level, msg, *args, **kwargs):
        print(msg % args if args else msg, file=sys.stderr, flush=True)


class SlowScheduler(Scheduler):
    def run(self) -> None:
        job = self.schedule.every(1).seconds.name("slow")
        if os.environ.get("BACKGROUND"):  # on the pool instead of in the loop
            job = job.in_background()
        job.do(self.slow)
        super().run()

    def slow(self) -> None:
        kind = sys.argv[3] if len(sys.argv) > 3 else "sleep"
        if kind == "swallow":
            swallow_everything()
        elif kind == "thread":
            leave_a_thread_running()
        else:
            time.sleep(float(sys.argv[1]))


def swallow_everything() -> None:
    while True:
        try:
            time.sleep(0.05)
        except BaseException:  # the hostile job under test
            pass


def leave_a_thread_running() -> None:
    if not any(thread.name == "stuck-poller" for thread in threading.enumerate()):
        threading.Thread(target=threading.Event().wait, name="stuck-poller").start()


if __name__ == "__main__":
    settings = {"shutdown_grace": sys.argv[2]}
    if os.environ.get("STATE_PATH"):
        settings.update(state="sqlite", state_path=os.environ["STATE_PATH"])
    scheduler = SlowScheduler(log=StderrLogger(), settings=settings)
    if os.environ.get("SLOW_STORE"):
        record = scheduler.state.record

        def slow_record(records) -> None:
            time.sleep(float(os.environ["SLOW_STORE"]))
            record(records)

        scheduler.state.record = slow_record
    scheduler.schedule.jobs  # noqa: B018
    try:
        scheduler.run()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
    print("exited cleanly", file=sys.stderr, flush=True)
