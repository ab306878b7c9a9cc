"""The scheduler's settings, read from `config/scheduler.yaml` and checked once, at start."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from equipment.Config.Values import as_bool, as_choice, as_int, as_seconds, as_str
from equipment.Errors import ConfigError
from equipment.Scheduler.Errors import ScheduleValueError
from equipment.Scheduler.Occurrences import CatchUp
from equipment.Scheduler.Zones import resolve_zone

STATE_KINDS = ("memory", "sqlite")
COORDINATION_KINDS = ("none", "redis")
#: A lease shorter than a second renews too often to be reliable; longer than an hour
#: leaves a project without a leader for that long after a crash.
LEASE_LIMITS = (1.0, 3600.0)
#: The bounds checked at start: a day each. A longer sleep only delays noticing a changed clock,
#: and a grace beyond a day is a typo (10**12 overflowed the stop's timer, at the stop).
MAX_SLEEP_LIMIT = 86400.0
#: Looking at the clock more often than ten times a second notices a step no sooner that
#: matters, and an idle loop waking every 1e-9 s spent 15% of a CPU doing it.
MAX_SLEEP_MINIMUM = 0.1
SHUTDOWN_GRACE_LIMIT = 86400.0
#: A catch-up window longer than a year is a typo.
CATCH_UP_LIMIT = 366 * 86400.0


@dataclass(frozen=True)
class SchedulerSettings:
    #: IANA zone name, or "local" for the machine's zone.
    timezone: str = "local"
    #: The longest the loop sleeps without looking at the clock, in seconds.
    max_sleep: float = 30.0
    #: How long a running job may take to finish after a stop signal, in seconds.
    shutdown_grace: float = 20.0
    #: Where job state lives: "memory" (this process only) or "sqlite" (`state_path`).
    state: str = "memory"
    #: The SQLite file, relative to the project's folder.
    state_path: str = "storage/scheduler.sqlite3"
    #: Jobs without `.catch_up()` run occurrences missed while no scheduler ran if they are
    #: at most this many seconds old (0: missed occurrences are skipped and reported).
    catch_up_within: float = 0.0
    #: With `catch_up_within`: run each missed occurrence, not only the latest.
    catch_up_all: bool = False
    #: "none" (one scheduler process) or "redis" (any number of replicas, one leader).
    coordination: str = "none"
    #: With coordination: the leader's lease, in seconds; a standby takes over at most
    #: this long after the leader died (kill -9, a lost machine).
    lease_seconds: float = 10.0
    #: With coordination: its Redis, if not the queue's (config/queue.yaml's redis).
    redis_url: str = ""
    #: With coordination: the prefix of its Redis keys ('' : derived from app.name).
    key_prefix: str = ""
    #: How many `.in_background()` runs go at once.
    background_threads: int = 8
    #: History rows older than this many days are dropped (operations: `schedule history`).
    history_days: float = 30.0
    #: ... and at most this many rows are kept per job.
    history_per_job: int = 1000
    #: The Prometheus endpoint's port; 0 (the default) leaves it off.
    metrics_port: int = 0
    #: The address the metrics endpoint listens on.
    metrics_host: str = "127.0.0.1"

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> SchedulerSettings:
        section = section or {}
        if not isinstance(section, Mapping):
            raise ConfigError(f"config/scheduler.yaml must be a mapping, got {section!r}")
        unknown = sorted(set(section) - set(cls.__dataclass_fields__))
        if unknown:
            known = ", ".join(sorted(cls.__dataclass_fields__))
            raise ConfigError(
                f"config/scheduler.yaml: unknown key {unknown[0]!r} (known keys: {known})"
            )
        timezone = as_str(section.get("timezone"), "scheduler.timezone", "local")
        try:
            resolve_zone(timezone, "scheduler.timezone")
        except ScheduleValueError as error:
            raise ConfigError(str(error)) from None
        max_sleep = as_seconds(
            section.get("max_sleep"),
            "scheduler.max_sleep",
            30.0,
            minimum=MAX_SLEEP_MINIMUM,
            maximum=MAX_SLEEP_LIMIT,
        )
        grace = as_seconds(
            section.get("shutdown_grace"),
            "scheduler.shutdown_grace",
            20.0,
            maximum=SHUTDOWN_GRACE_LIMIT,
        )
        return cls(
            timezone=timezone,
            max_sleep=max_sleep,
            shutdown_grace=grace,
            state=as_choice(section.get("state"), "scheduler.state", STATE_KINDS, "memory"),
            state_path=as_str(section.get("state_path"), "scheduler.state_path", cls.state_path),
            catch_up_within=as_seconds(
                section.get("catch_up_within"),
                "scheduler.catch_up_within",
                0.0,
                maximum=CATCH_UP_LIMIT,
            ),
            catch_up_all=as_bool(section.get("catch_up_all"), "scheduler.catch_up_all", False),
            coordination=as_choice(
                section.get("coordination"), "scheduler.coordination", COORDINATION_KINDS, "none"
            ),
            lease_seconds=as_seconds(
                section.get("lease_seconds"),
                "scheduler.lease_seconds",
                10.0,
                minimum=LEASE_LIMITS[0],
                maximum=LEASE_LIMITS[1],
            ),
            redis_url=_redis_url(section.get("redis_url")),
            key_prefix=as_str(section.get("key_prefix"), "scheduler.key_prefix", ""),
            background_threads=as_int(
                section.get("background_threads"),
                "scheduler.background_threads",
                8,
                minimum=1,
                maximum=256,
            ),
            **_operations(section),
        )

    def catch_up(self) -> CatchUp:
        """The default catch-up rule for jobs that do not set their own."""
        within = dt.timedelta(seconds=self.catch_up_within) if self.catch_up_within else None
        return CatchUp(within, self.catch_up_all)

    @classmethod
    def coerce(cls, value: SchedulerSettings | Mapping[str, Any] | None) -> SchedulerSettings:
        if isinstance(value, SchedulerSettings):
            return value
        return cls.from_config(value)


def _redis_url(value: Any) -> str:
    url = as_str(value, "scheduler.redis_url", "")
    if url:
        from equipment.Queue.Settings import check_url

        try:
            check_url(url)
        except ConfigError as error:
            message = str(error).replace("queue.redis.url", "scheduler.redis_url")
            raise ConfigError(message) from None
    return url
def _operations(section: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of operations: history retention and the metrics endpoint."""
    return {
        "history_days": as_seconds(
            section.get("history_days"), "scheduler.history_days", 30.0, above_minimum=True,
            maximum=36600.0, unit="days",
        ),
        "history_per_job": as_int(
            section.get("history_per_job"), "scheduler.history_per_job", 1000, minimum=1
        ),
        "metrics_port": as_int(
            section.get("metrics_port"), "scheduler.metrics_port", 0, minimum=0, maximum=65535
        ),
        "metrics_host": as_str(section.get("metrics_host"), "scheduler.metrics_host", "127.0.0.1"),
    }
