"""The Prometheus endpoint: off by default, on with metrics_port, scraped over real HTTP."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import urllib.request

import pytest

from equipment.Errors import ConfigError
from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.Settings import SchedulerSettings

START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fail() -> None:
    raise ValueError("boom")


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def test_metrics_are_served_while_the_scheduler_runs() -> None:
    port = free_port()
    clock = FakeClock(START)
    scheduler = Scheduler(
        log=MemoryLogger(), clock=clock, settings={"timezone": "UTC", "metrics_port": port}
    )
    scheduler.schedule.every(10).seconds.name("ok").do(lambda: None)
    scheduler.schedule.every(10).seconds.name("bad").do(fail)
    scheduler.schedule.every(10).seconds.name("off").do(lambda: None)
    scheduler.state.set_paused("off", True, clock.now())
    scraped: list[str] = []
    next_job: list[dt.datetime | None] = []
    passes = 0

    def tick_then_scrape() -> None:
        nonlocal passes
        passes += 1
        if passes == 3:
            scraped.append(scrape(port))
            next_job.append(scheduler.schedule.next_run_at())
            scheduler.should_exit = True

    original = scheduler.tick

    def tick() -> list:
        records = original()
        tick_then_scrape()
        return records

    scheduler.tick = tick  # type: ignore[method-assign]
    scheduler.run()

    text = scraped[0]
    assert 'equipment_job_runs_total{job="ok",outcome="success"}' in text
    assert 'equipment_job_runs_total{job="bad",outcome="failure"}' in text
    assert 'equipment_job_skipped_total{job="off",reason="paused"}' in text
    assert 'equipment_job_duration_seconds_count{job="ok"}' in text
    assert 'equipment_job_lateness_seconds_bucket{job="ok",le="0.01"}' in text
    assert 'equipment_job_last_success_timestamp_seconds{job="ok"}' in text
    assert "equipment_scheduler_heartbeat_timestamp_seconds" in text
    (promise,) = [
        float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("equipment_scheduler_next_pass_timestamp_seconds ")
    ]
    assert next_job[0] is not None and promise == next_job[0].timestamp()  # its next job
    assert "equipment_scheduler_leader 1.0" in text
    with pytest.raises(OSError):
        scrape(port)  # the endpoint stopped with the scheduler
    assert not [t for t in threading.enumerate() if t.name == "equipment-heartbeat"]


def test_metrics_are_off_by_default() -> None:
    assert SchedulerSettings.from_config({}).metrics_port == 0


def test_a_bad_metrics_port_is_refused_at_load() -> None:
    with pytest.raises(ConfigError, match="scheduler.metrics_port"):
        SchedulerSettings.from_config({"metrics_port": "http"})


def test_a_port_in_use_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        scheduler = Scheduler(clock=FakeClock(START), settings={"metrics_port": port})
        scheduler.should_exit = True
        with pytest.raises(SchedulerError, match=f"cannot listen on 127.0.0.1:{port}"):
            scheduler.run()


def test_a_start_refused_for_its_port_leaves_no_heartbeat_span() -> None:
    """It ran nothing. A span of it (begun, never ended with a goodbye) made `history` and
    `why` tell what fell due in the next 10 s + max_sleep as "missed: the scheduler running
    then died without a stop (a kill -9, a crash): it may have started", and the next start
    take it for a crash."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = {"timezone": "UTC", "metrics_port": taken.getsockname()[1]}
        scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(START), settings=settings)
        scheduler.schedule.every(10).seconds.name("sync").do(lambda: None)
        with pytest.raises(SchedulerError, match="cannot listen"):
            scheduler.run()

    assert scheduler.state.spans() == []
    assert scheduler.state.processes() == []
