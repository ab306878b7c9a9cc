"""Queues: hand slow work to workers. `QueueFactory` picks the driver named in config."""
