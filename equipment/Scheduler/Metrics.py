"""Prometheus metrics of the scheduler process, fed from the records of each pass.

Off by default; `metrics_port` in `config/scheduler.yaml` (`SCHEDULER_METRICS_PORT`) turns
on an HTTP endpoint on `metrics_host` (127.0.0.1 unless configured). `prometheus_client` is
imported only then, so `import equipment` stays light. Each scheduler has its own registry,
so several in one process (tests) never collide.

    equipment_job_runs_total{job,outcome}             runs that started: success | failure
    equipment_job_skipped_total{job,reason}           paused, condition, not the owner, ...
    equipment_job_duration_seconds{job}               histogram of run durations
    equipment_job_lateness_seconds{job}               histogram of start minus scheduled time
    equipment_job_last_success_timestamp_seconds{job} Unix time of the last success
    equipment_scheduler_heartbeat_timestamp_seconds   Unix time of the loop's last pass
    equipment_scheduler_next_pass_timestamp_seconds   Unix time its next pass is due by
    equipment_scheduler_leader                        1 when this process leads its replicas
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from equipment.Scheduler.RunRecord import SKIPPED, RunRecord

DURATION_BUCKETS = (0.005, 0.05, 0.25, 1, 5, 30, 60, 300, 900, 3600)
LATENESS_BUCKETS = (0.01, 0.1, 0.5, 1, 5, 30, 60, 300, 3600)


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter(
            "equipment_job_runs", "Runs that started, by outcome", ["job", "outcome"], registry=r
        )
        self.skipped = Counter(
            "equipment_job_skipped", "Occurrences skipped, by reason", ["job", "reason"],
            registry=r,
        )
        self.duration = Histogram(
            "equipment_job_duration_seconds", "How long runs took", ["job"],
            buckets=DURATION_BUCKETS, registry=r,
        )
        self.lateness = Histogram(
            "equipment_job_lateness_seconds", "Start minus scheduled instant", ["job"],
            buckets=LATENESS_BUCKETS, registry=r,
        )
        self.last_success = Gauge(
            "equipment_job_last_success_timestamp_seconds", "Unix time of the last success",
            ["job"], registry=r,
        )
        self.heartbeat = Gauge(
            "equipment_scheduler_heartbeat_timestamp_seconds",
            "Unix time of the scheduler loop's last pass", registry=r,
        )
        self.next_pass = Gauge(
            "equipment_scheduler_next_pass_timestamp_seconds",
            "Unix time by which the loop makes its next pass (an idle loop sleeps until its "
            "next job)", registry=r,
        )
        self.leader = Gauge(
            "equipment_scheduler_leader", "1 when this process leads its replicas", registry=r
        )
        self._server: Any = None

    def serve(self, host: str, port: int) -> None:
        """Listen on host:port in a daemon thread (prometheus_client's own server)."""
        from prometheus_client import start_http_server

        self._server = start_http_server(port, addr=host, registry=self.registry)

    def observe(
        self,
        records: Iterable[RunRecord],
        now: dt.datetime,
        leader: bool,
        next_pass: dt.datetime | None = None,
    ) -> None:
        for record in records:
            if record.outcome == SKIPPED or record.started_at is None:
                self.skipped.labels(record.job_id, record.reason or "unknown").inc()
                continue
            self.runs.labels(record.job_id, record.outcome).inc()
            self.duration.labels(record.job_id).observe(record.duration)
            self.lateness.labels(record.job_id).observe(max(0.0, record.lateness))
            if record.succeeded and record.finished_at is not None:
                self.last_success.labels(record.job_id).set(record.finished_at.timestamp())
        self.heartbeat.set(now.timestamp())
        self.next_pass.set((next_pass or now).timestamp())
        self.leader.set(1 if leader else 0)

    def close(self) -> None:
        server = self._server
        if server is None:
            return
        self._server = None
        if isinstance(server, tuple):  # prometheus_client >= 0.20: (server, thread)
            server[0].shutdown()
            server[0].server_close()
