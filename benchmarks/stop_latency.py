"""How fast a scheduler stops when `should_exit` is set from another thread.

Equipment's loop waits on an event, so setting `should_exit` wakes it at once; the original
framework's loop (`while not should_exit: run_pending(); sleep(1)`) notices only after its
sleep ends. Both are idle (one hourly job) when the flag is set, at a random moment.

    .venv/bin/python benchmarks/stop_latency.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections.abc import Callable

import schedule

from equipment.Scheduler.Scheduler import Scheduler


def noop() -> None:
    pass


class OriginalLoop:
    """The loop the original framework ran, with its `should_exit` flag."""

    def __init__(self) -> None:
        self.should_exit = False
        self.schedule = schedule.Scheduler()
        self.schedule.every().hour.do(noop)

    def run(self) -> None:
        while not self.should_exit:
            self.schedule.run_pending()
            time.sleep(1)


def equipment_loop() -> Scheduler:
    scheduler = Scheduler(settings={"max_sleep": 30})
    scheduler.schedule.every().hour.do(noop)
    return scheduler


def stop_latency(make: Callable[[], object]) -> float:
    """Seconds from setting `should_exit` to `run()` returning, the flag set at random."""
    loop = make()
    thread = threading.Thread(target=loop.run)
    thread.start()
    time.sleep(random.uniform(0.2, 1.2))
    began = time.perf_counter()
    loop.should_exit = True
    thread.join()
    return time.perf_counter() - began


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    ours = summary([stop_latency(equipment_loop) for _ in range(rounds)])
    plain = summary([stop_latency(OriginalLoop) for _ in range(rounds)])
    print(f"should_exit from another thread -> run() returns, {rounds} rounds each")
    print(f"{'loop':<24}{'median ms':>12}{'max ms':>12}")
    print(f"{'equipment':<24}{ours[0] * 1000:>12.2f}{ours[1] * 1000:>12.2f}")
    print(f"{'run_pending; sleep(1)':<24}{plain[0] * 1000:>12.2f}{plain[1] * 1000:>12.2f}")
    print(f"median ratio: {plain[0] / ours[0]:.0f}x faster (target: within 50 ms)")


if __name__ == "__main__":
    main()
