"""Run a queue worker: `python queues.py [QUEUE ...] [--burst]`.

Only needed with QUEUE_CONNECTION=redis: it runs the work `self.queue.push(...)` stored.
Start as many as the work needs, on as many machines as reach the same Redis.
"""

import argparse

from equipment.Console.Entrypoint import entrypoint
from equipment.Queue.Worker import work

from app import app


@entrypoint
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queues", nargs="*", help="queue names (default: config/queue.yaml)")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args()
    return work(app(), queues=args.queues or None, burst=args.burst)


if __name__ == "__main__":
    main()
