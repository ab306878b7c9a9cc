"""The status page's routes, through FastAPI's TestClient, on a scheduler with state."""

from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("fastapi", reason="the status page needs the web extra")

from fastapi.testclient import TestClient  # noqa: E402

from equipment.Scheduler.Clock import FakeClock  # noqa: E402
from equipment.Scheduler.Scheduler import Scheduler  # noqa: E402
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore  # noqa: E402
from equipment.Scheduler.State.StateStore import ProcessInfo  # noqa: E402
from equipment.Scheduler.Testing import run_until  # noqa: E402
from equipment.Web.StatusApp import status_app  # noqa: E402

START = dt.datetime(2026, 3, 28, 12, 0, tzinfo=dt.UTC)
SECRET = "s3cret-value-never-shown"


def fail() -> None:
    raise ValueError("boom")


@pytest.fixture
def scheduler() -> Scheduler:
    clock = FakeClock(START)
    scheduler = Scheduler(clock=clock, settings={"timezone": "Europe/Madrid"})
    scheduler.schedule.every().day.at("02:30").name("nightly").do(print, SECRET)
    scheduler.schedule.every(10).minutes.name("flaky").do(fail)
    run_until(scheduler, dt.timedelta(hours=1))
    scheduler.state.set_paused("nightly", True, clock.now())
    scheduler.state.heartbeat(ProcessInfo("host", 1, clock.now(), clock.now()))
    return scheduler


def test_the_jobs_json_has_one_row_per_job(scheduler: Scheduler) -> None:
    client = TestClient(status_app(scheduler))

    data = client.get("/scheduler/api/jobs").json()

    rows = {row["id"]: row for row in data["jobs"]}
    assert rows["nightly"]["paused"] is True
    assert rows["nightly"]["next_run"].startswith("2026-03-29 03:00:00 CEST")
    assert rows["flaky"]["failures_24h"] == 5  # 12:10 to 12:50
    assert rows["flaky"]["last_outcome"] == "failure"
    assert rows["flaky"]["last_outcome_text"] == "failure: ValueError: boom (5 failures in a row)"
    assert rows["flaky"]["zone"] == "Europe/Madrid"
    assert data["health"]["ok"] is True
    assert SECRET not in client.get("/scheduler/api/jobs").text


def test_before_any_scheduler_ran_the_next_run_is_a_start_nows_and_moves_with_time() -> None:
    """No grid is stored yet: the page's process must not keep the next run it computed
    when it started (it falls into the past); it says what a start now would make, as
    `schedule list` does."""
    clock = FakeClock(START)
    scheduler = Scheduler(clock=clock, settings={"timezone": "UTC"})
    scheduler.schedule.every(10).minutes.name("sync").do(print)
    client = TestClient(status_app(scheduler))

    clock.advance(dt.timedelta(hours=2))
    [row] = client.get("/scheduler/api/jobs").json()["jobs"]

    assert row["next_run"] == "2026-03-28 14:10:00 UTC (2026-03-28T14:10:00Z) if started now"


def test_a_day_job_without_at_is_shown_on_the_stored_grid_not_the_pages_start() -> None:
    """`every().day` takes its time of day from its anchor: the page's process registered
    it at its own start (09:00), and kept that time of day after a scheduler stored its
    grid (15:00), or when telling what a start now would make."""
    clock = FakeClock(dt.datetime(2026, 3, 28, 9, 0, tzinfo=dt.UTC))
    state = MemoryStateStore()
    page = Scheduler(clock=clock, settings={"timezone": "UTC"}, state=state)
    page.schedule.every().day.name("daily").do(print)
    client = TestClient(status_app(page))
    clock.advance(dt.timedelta(hours=6))

    [row] = client.get("/scheduler/api/jobs").json()["jobs"]
    assert row["schedule"] == "every day at 15:00:00 (UTC)"
    assert row["next_run"] == "2026-03-29 15:00:00 UTC (2026-03-29T15:00:00Z) if started now"

    scheduler = Scheduler(clock=clock, settings={"timezone": "UTC"}, state=state)
    scheduler.schedule.every().day.name("daily").do(print)
    run_until(scheduler, dt.timedelta(minutes=1))  # anchored at 15:00
    clock.advance(dt.timedelta(hours=1))

    [row] = client.get("/scheduler/api/jobs").json()["jobs"]
    assert row["schedule"] == "every day at 15:00:00 (UTC)"
    assert row["next_run"] == "2026-03-29 15:00:00 UTC (2026-03-29T15:00:00Z)"


def test_a_skip_is_told_with_its_reason_and_instant_not_as_the_last_runs_outcome(
    scheduler: Scheduler,
) -> None:
    scheduler.state.set_paused("flaky", True, scheduler.clock.now())
    run_until(scheduler, dt.timedelta(minutes=10))  # 13:00 (14:00 in Madrid) is skipped

    rows = {row["id"]: row for row in status_rows(scheduler)}

    assert rows["flaky"]["last_run"].startswith("2026-03-28 13:50:00 CET")
    assert rows["flaky"]["last_outcome"] == "skipped"
    assert rows["flaky"]["last_outcome_text"] == (
        "skipped (paused) at 2026-03-28 14:00:00 CET (2026-03-28T13:00:00Z); "
        "the 5 runs before it failed"
    )


def test_a_skipped_jobs_newest_row_is_read_once_per_render(
    scheduler: Scheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler.state.set_paused("flaky", True, scheduler.clock.now())
    run_until(scheduler, dt.timedelta(minutes=10))
    reads = count_history_reads(scheduler, monkeypatch)

    rows = {row["id"]: row for row in status_rows(scheduler)}

    assert rows["flaky"]["last_outcome_text"].startswith("skipped (paused) at")
    assert reads.count("flaky") == 1  # the day's rows: their head is the newest row


def test_a_skip_older_than_the_day_read_is_still_told_with_its_reason(
    scheduler: Scheduler,
) -> None:
    scheduler.state.set_paused("flaky", True, scheduler.clock.now())
    run_until(scheduler, dt.timedelta(minutes=10))
    scheduler.clock.advance(2 * 86400)  # type: ignore[attr-defined]  # no scheduler since

    rows = {row["id"]: row for row in status_rows(scheduler)}

    assert rows["flaky"]["last_outcome_text"].startswith(
        "skipped (paused) at 2026-03-28 14:00:00 CET"
    )


def test_a_jobs_page_reads_that_jobs_history_not_every_jobs(
    scheduler: Scheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_history_reads(scheduler, monkeypatch)

    answer = TestClient(status_app(scheduler)).get("/scheduler/api/jobs/flaky/history").json()

    assert answer["job"]["last_outcome_text"].startswith("failure: ValueError: boom")
    assert set(reads) == {"flaky"}


def count_history_reads(scheduler: Scheduler, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The job IDs of the state store's history reads from now on, one per read."""
    reads: list[str] = []
    read = scheduler.state.history

    def counted(job_id: str, *args: object, **kwargs: object) -> object:
        reads.append(job_id)
        return read(job_id, *args, **kwargs)

    monkeypatch.setattr(scheduler.state, "history", counted)
    return reads


def status_rows(scheduler: Scheduler) -> list[dict]:
    return TestClient(status_app(scheduler)).get("/scheduler/api/jobs").json()["jobs"]


def test_pages_history_and_health(scheduler: Scheduler) -> None:
    client = TestClient(status_app(scheduler))

    assert "<table id=\"jobs\">" in client.get("/scheduler").text
    assert client.get("/scheduler/jobs/flaky").status_code == 200
    assert client.get("/scheduler/jobs/nope").status_code == 404
    history = client.get("/scheduler/api/jobs/flaky/history").json()["history"]
    assert history[0]["outcome"] == "failure: ValueError: boom"
    assert history[0]["lateness"] == "0.0 ms"  # worded as `schedule history` words it
    assert client.get("/scheduler/health").json()["ok"] is True


def test_the_page_words_a_history_line_as_schedule_history_does(scheduler: Scheduler) -> None:
    from equipment.Console.OperateCommand import _history_row
    from equipment.Scheduler import History

    job = scheduler.schedule.get_job("flaky")
    now = scheduler.clock.now()
    [line] = History.timeline(job, scheduler.state, now, 30, 1, 30)

    [row] = TestClient(status_app(scheduler)).get("/scheduler/api/jobs/flaky/history").json()[
        "history"
    ][:1]

    cli = _history_row(line, job.trigger.zone)
    assert [row[key] for key in ("scheduled", "outcome", "replica", "lateness", "duration")] == [
        *cli[:5]
    ]


def test_health_is_503_when_no_scheduler_beats(scheduler: Scheduler) -> None:
    scheduler.clock.advance(3600)  # type: ignore[attr-defined]

    response = TestClient(status_app(scheduler)).get("/scheduler/health")

    assert response.status_code == 503 and "last scheduler heartbeat" in response.json()["reason"]


def test_a_token_protects_every_route(scheduler: Scheduler) -> None:
    client = TestClient(status_app(scheduler, token="t0ken"))

    assert client.get("/scheduler").status_code == 401
    assert client.get("/scheduler/health").status_code == 401
    assert client.get("/scheduler/api/jobs?token=wrong").status_code == 401
    assert client.get("/scheduler/api/jobs?token=t0ken").status_code == 200
    headers = {"Authorization": "Bearer t0ken"}
    assert client.get("/scheduler/health", headers=headers).status_code == 200


def test_a_job_left_out_for_its_deadline_has_its_page_which_says_so() -> None:
    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    scheduler.schedule.every().hour.until("2026-03-01 00:00").name("promo").do(print)
    client = TestClient(status_app(scheduler))

    page = client.get("/scheduler/jobs/promo")
    answer = client.get("/scheduler/api/jobs/promo/history").json()

    assert page.status_code == 200
    assert answer["job"]["next_run"] == (
        "none: its until() deadline, 2026-03-01 00:00:00 UTC (2026-03-01T00:00:00Z), has passed"
    )
    assert answer["history"] == []


def test_a_job_left_out_as_its_deadline_comes_before_its_first_run_is_not_said_past() -> None:
    """until(timedelta(minutes=30)) on an hourly job: the deadline is still ahead."""
    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    scheduler.schedule.every().hour.until(dt.timedelta(minutes=30)).name("promo").do(print)
    client = TestClient(status_app(scheduler))

    answer = client.get("/scheduler/api/jobs/promo/history").json()

    assert answer["job"]["next_run"] == (
        "none: its until() deadline, 2026-03-28 12:30:00 UTC (2026-03-28T12:30:00Z), comes "
        "before its first run, 2026-03-28 13:00:00 UTC (2026-03-28T13:00:00Z)"
    )


def test_a_job_removed_from_the_code_has_its_page_of_stored_runs_which_says_so(
    scheduler: Scheduler,
) -> None:
    shell = Scheduler(clock=scheduler.clock, state=scheduler.state, settings={"timezone": "UTC"})
    shell.schedule.every().day.at("02:30").name("nightly").do(print)  # flaky is gone
    client = TestClient(status_app(shell))

    page = client.get("/scheduler/jobs/flaky")
    answer = client.get("/scheduler/api/jobs/flaky/history").json()

    assert page.status_code == 200
    assert answer["job"] == {
        "id": "flaky",
        "registered": False,
        "zone": "UTC",
        "note": "no longer registered in this project's code: no schedule, no next run; its "
        "stored runs (times in UTC) stay until they age out (history_days)",
    }
    assert [row["scheduled"][:19] for row in answer["history"]] == [
        f"2026-03-28 12:{minute}:00" for minute in (50, 40, 30, 20, 10)
    ]
    assert answer["history"][0]["outcome"] == "failure: ValueError: boom"
    assert client.get("/scheduler/api/jobs/nightly/history").json()["job"]["registered"] is True


def test_an_id_neither_registered_nor_stored_is_404_in_one_line(scheduler: Scheduler) -> None:
    client = TestClient(status_app(scheduler))

    page = client.get("/scheduler/jobs/never-was")
    api = client.get("/scheduler/api/jobs/never-was/history")

    assert page.status_code == api.status_code == 404
    assert api.json()["detail"] == (
        "no job 'never-was': the code does not register it and no run of it is stored"
    )


def test_an_until_timedelta_jobs_next_run_is_in_the_running_schedulers_window() -> None:
    """The page registers the jobs itself, opening an until(timedelta) window of its own
    from now: the next run it shows is in the window of the scheduler that runs the job."""
    from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore

    state = MemoryStateStore()

    def windowed(clock: FakeClock) -> Scheduler:
        scheduler = Scheduler(clock=clock, settings={"timezone": "UTC"}, state=state)
        scheduler.schedule.every(10).minutes.until(dt.timedelta(minutes=30)).name("promo").do(
            print
        )
        return scheduler

    running = windowed(FakeClock(START))
    run_until(running, dt.timedelta(minutes=45))  # its window closed at 12:30
    now = running.clock.now()
    state.heartbeat(ProcessInfo("host", 1, START, now))
    client = TestClient(status_app(windowed(FakeClock(now))))

    row = client.get("/scheduler/api/jobs").json()["jobs"][0]

    assert row["next_run"] == (
        "none: its until() window closed at 2026-03-28 12:30:00 UTC (2026-03-28T12:30:00Z)"
    )


@pytest.fixture
def redis_gone(scheduler: Scheduler) -> Scheduler:
    """The page's scheduler, its state now in a Redis that went down (coordination's: a
    port where nothing listens)."""
    import socket

    redis = pytest.importorskip("redis")
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from equipment.Scheduler.State.RedisStateStore import RedisStateStore

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = redis.Redis(port=port, retry=Retry(NoBackoff(), 0))
    where = f"redis redis://127.0.0.1:{port}/0 (test:*)"
    scheduler.state = RedisStateStore(client, "test:", where)
    return scheduler


def test_a_redis_gone_is_an_unhealthy_503_with_its_reason_not_a_500(redis_gone) -> None:
    client = TestClient(status_app(redis_gone), raise_server_exceptions=False)

    health = client.get("/scheduler/health")
    jobs = client.get("/scheduler/api/jobs")
    history = client.get("/scheduler/api/jobs/flaky/history")

    assert health.status_code == 503
    assert health.json()["ok"] is False
    assert health.json()["reason"].startswith(
        "the scheduler state in Redis cannot be read (ConnectionError"
    )
    for response in (jobs, history):
        assert response.status_code == 503
        assert response.json()["detail"] == health.json()["reason"]
