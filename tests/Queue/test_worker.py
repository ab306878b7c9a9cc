import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from rq import Queue
from rq.registry import FailedJobRegistry

from equipment.Console.Cli import cli
from equipment.Queue.QueueFactory import QueueFactory
from equipment.Queue.RunContext import run_context
from equipment.Queue.Worker import served_queues, work
from equipment.Queue.WorkerClasses import job_name
from tests.Queue import jobs
from tests.Queue.conftest import make_settings
from tests.Queue.helpers import (
    alive,
    burst,
    kill_alive,
    recorded,
    wait_for,
    worker_process,
    write_print_app,
)

ROOT = Path(__file__).resolve().parents[2]


def fake_app(queue_config, log):
    return SimpleNamespace(log=lambda: log, config=SimpleNamespace(queue=lambda: queue_config))


def redis_config(queue_name, **more):
    return {
        "connection": "redis",
        "redis": {"host": "127.0.0.1", "port": "6379", "db": "15", "queues": queue_name, **more},
    }


def test_work_refuses_the_sync_driver(log):
    assert work(fake_app({"connection": "sync"}, log)) == 2
    assert "QUEUE_CONNECTION=redis" in log.messages(logging.ERROR)[0]


def test_work_reports_a_config_mistake(log):
    assert work(fake_app({"connection": "redis", "redis": {"port": "x"}}, log)) == 2
    assert "queue.redis.port" in log.messages(logging.ERROR)[0]


@pytest.mark.parametrize("given", ["", "  ", "high,", ",default"])
def test_work_refuses_an_empty_queue_name_before_it_connects(log, given):
    # port 1: nothing answers, so a worker that went on would say so (exit 1)
    config = {"connection": "redis", "redis": {"port": 1}}
    assert work(fake_app(config, log), queues=["reports", given]) == 2
    [error] = log.messages(logging.ERROR)
    assert error.startswith(
        f"a queue name given to the worker must be a non-empty name, got {given!r}"
    )


def test_served_queues_reads_names_as_redis_queue_does():
    assert served_queues(None) is None and served_queues([]) is None
    assert served_queues(["high,default", " reports ", "high"]) == ["high", "default", "reports"]


def test_a_worker_given_high_comma_default_serves_both_queues(log, redis_conn, queue_name, key):
    config = redis_config(queue_name)
    queue = QueueFactory(config, log)
    other = f"{queue_name}-reports"
    try:
        assert queue.push(jobs.record, key, "first") is True
        assert queue.on(other).push(jobs.record, key, "second") is True
        assert work(fake_app(config, log), queues=[f"{other}, {queue_name}"], burst=True) == 0
    finally:
        Queue(other, connection=redis_conn).delete(delete_jobs=True)
    assert sorted(recorded(redis_conn, key)) == ["first", "second"]
    assert any(f"(queues: {other}, {queue_name})" in m for m in log.messages(logging.INFO))


def test_work_without_redis_exits_1_without_the_password(log):
    config = {"connection": "redis", "redis": {"url": "redis://u:pw-9876@127.0.0.1:1/0"}}
    assert work(fake_app(config, log)) == 1
    [error] = log.messages(logging.ERROR)
    assert "pw-9876" not in error and "u:***@127.0.0.1:1" in error


def test_work_without_redis_masks_userinfo_without_a_colon(log):
    config = {"connection": "redis", "redis": {"url": "redis://Us3rSecret@127.0.0.1:1/0"}}
    assert work(fake_app(config, log)) == 1
    [error] = log.messages(logging.ERROR)
    assert "Us3rSecret" not in error and "redis://***@127.0.0.1:1/0" in error


def test_forking_worker_in_burst_runs_jobs_and_logs_through_the_app(
    log, redis_conn, queue_name, key
):
    config = redis_config(queue_name)
    assert QueueFactory(config, log).push(jobs.record, key) is True
    assert work(fake_app(config, log), burst=True) == 0
    assert recorded(redis_conn, key) == ["done"]
    messages = log.messages()
    start = f"started: queue driver redis at redis://127.0.0.1:6379/15 (queues: {queue_name})"
    assert any(m.startswith("Worker ") and start in m for m in messages)
    # RQ's own lines arrive through the app logger (demoted from INFO to DEBUG)
    assert any("Listening on" in m for m in log.messages(logging.DEBUG))


def test_a_job_whose_work_horse_dies_has_a_failure_line_with_its_run_id(
    log, redis_conn, queue_name
):
    # os._exit(), a segfault or the OOM killer end the horse before the job's exception
    # handlers run: only RQ's warnings said so, without the function or the run ID.
    config = redis_config(queue_name)
    with run_context("nightly@2026-12-01T03:00:00Z"):
        assert QueueFactory(config, log).push(jobs.exit_hard, 3, retry=1) is True
    assert work(fake_app(config, log), burst=True) == 0
    base = "failed: tests.Queue.jobs.exit_hard (run nightly@2026-12-01T03:00:00Z): its work horse"
    [retried] = log.find(base, logging.WARNING)
    exited = "exited with code 3 before the job returned (os._exit()?)"
    assert retried.message.endswith(f"{exited}; 1 retries left")
    [failed] = log.find(base, logging.ERROR)
    assert failed.message.endswith(f"; kept in the failed job registry of {queue_name}")
    assert failed.extra["run_id"] == "nightly@2026-12-01T03:00:00Z"
    assert failed.extra["function"] == "tests.Queue.jobs.exit_hard"
    job_id = failed.extra["rq_job_id"]
    assert FailedJobRegistry(queue_name, connection=redis_conn).get_job_ids() == [job_id]


def test_a_job_the_worker_cannot_load_fails_alone_and_the_worker_goes_on(
    log, redis_conn, queue_name, key, monkeypatch
):
    class Vanishing:  # in the pusher's code, not in the worker's
        pass

    Vanishing.__module__, Vanishing.__qualname__ = jobs.__name__, "Vanishing"
    monkeypatch.setattr(jobs, "Vanishing", Vanishing, raising=False)
    raw = Queue(queue_name, connection=redis_conn)  # other code's push: no name in its meta
    job = raw.enqueue(jobs.noop, Vanishing())
    raw.enqueue(jobs.record, key, "next")
    monkeypatch.delattr(jobs, "Vanishing")

    assert burst(make_settings(queue_name), log) == 0

    [failed] = log.find(f"Job {job.id} failed", logging.ERROR)
    assert failed.message.startswith(
        f"Job {job.id} failed: (a job this worker cannot load) (run -): DeserializationError"
        ": AttributeError: Can't get attribute 'Vanishing' on <module 'tests.Queue.jobs'"
    )
    assert recorded(redis_conn, key) == ["next"]  # the worker went on
    assert log.find("unhandled exception") == []


def test_a_job_whose_data_loads_is_named_by_its_function_even_when_that_is_gone():
    """Other code's job on an object whose class (a newer or older version of it) lacks
    the method: its data loads, so it is named by the method it calls, not as a job the
    worker cannot load; its failure (an AttributeError) says the rest."""
    job = SimpleNamespace(meta={}, instance=jobs.Greeter("k"), func_name="renamed")

    assert job_name(job) == "renamed"


def test_cli_rejects_a_bad_app_reference(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["queue", "work", "--app", "nope"])
    assert result.exit_code == 2 and "error: --app must look like module:factory" in result.output
    result = CliRunner().invoke(cli, ["queue", "work", "--app", "missing_mod:App"])
    assert result.exit_code == 2 and "error: no module 'missing_mod'" in result.output


def test_worker_process_runs_delayed_jobs_and_stops_warmly_on_sigterm(
    tmp_path, log, redis_conn, queue_name, key
):
    """The one integration test with real waiting (bounded): a real worker process."""
    config = redis_config(queue_name)
    proc = worker_process(tmp_path, config)
    try:
        queue = QueueFactory(config, log)
        assert queue.push_in(1, jobs.record, f"{key}:delayed") is True
        assert wait_for(lambda: recorded(redis_conn, f"{key}:delayed"), 10)  # RQ's scheduler
        assert queue.push(jobs.slow_record, key, 1.5) is True
        assert wait_for(lambda: recorded(redis_conn, f"{key}:started"), 10)
        proc.send_signal(signal.SIGTERM)  # warm shutdown: the running job finishes first
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert recorded(redis_conn, key) == ["done"], output
    assert "Job " in output and "finished" in output
    redis_conn.delete(f"{key}:delayed")


def test_sighup_is_a_warm_shutdown_like_sigterm(tmp_path, log, redis_conn, queue_name, key):
    """Bounded: a 1 s job and the worker's start and stop."""
    from rq import Worker

    config = redis_config(queue_name)
    proc = worker_process(tmp_path, config)
    try:
        assert QueueFactory(config, log).push(jobs.slow_record, key, 1) is True
        assert wait_for(lambda: recorded(redis_conn, f"{key}:started"), 10)
        proc.send_signal(signal.SIGHUP)  # the terminal closed: the running job finishes first
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert recorded(redis_conn, key) == ["done"], output
    assert any(line.startswith("INFO Worker ") and line.endswith(" stopped")
               for line in output.splitlines()), output
    assert not [w for w in Worker.all(connection=redis_conn) if w.pid == proc.pid]


def test_a_cold_shutdown_names_the_job_it_cuts_short(tmp_path, log, redis_conn, queue_name, key):
    config = redis_config(queue_name)
    proc = worker_process(tmp_path, config)
    try:
        assert QueueFactory(config, log).push(jobs.slow_record, key, 30) is True
        assert wait_for(lambda: recorded(redis_conn, f"{key}:started"), 10)
        proc.send_signal(signal.SIGINT)  # warm: wait for the job...
        time.sleep(1.2)  # (RQ ignores a second signal within a second)
        proc.send_signal(signal.SIGINT)  # ...cold: now
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    [line] = [text for text in output.splitlines() if "cut short by the cold shutdown" in text]
    assert line.startswith("WARNING Job ") and "AbandonedJobError" in line


def unstarted_worker(log, queue_name):
    """A forking worker on the test Redis, built as `queues.py` builds it, not started."""
    from equipment.Queue.RedisConnection import make_redis
    from equipment.Queue.Worker import build_worker
    from tests.Queue.conftest import make_settings

    settings = make_settings(queue_name).redis
    return build_worker(settings, log, make_redis(settings), [queue_name])


def test_a_stop_between_a_blpop_and_its_reply_neither_breaks_the_stop_nor_loses_a_job(
    log, redis_conn, queue_name
):
    """RQ's stop signal raises StopRequested wherever the worker is. Landing between the
    idle BLPOP's send and its reply, it puts back in the pool a connection that still owes
    that reply: read by the next command, it broke the last writes ("Wrong number of
    response items"), and a job pushed meanwhile was popped for nobody."""
    from rq import Queue
    from rq import Worker as RQWorker

    worker = unstarted_worker(log, queue_name)
    connection = worker.connection
    worker.register_birth()
    queue = Queue(queue_name, connection=redis_conn)

    interrupted = connection.connection_pool.get_connection()
    interrupted.send_command("BLPOP", queue.key, 2)  # its reply is never read
    connection.connection_pool.release(interrupted)

    worker.teardown()

    assert redis_conn.hget(worker.key, "death")
    assert worker.name not in {w.name for w in RQWorker.all(connection=redis_conn)}
    job = queue.enqueue(jobs.noop)
    assert queue.job_ids == [job.id]  # still queued for the next worker
    assert not log.messages(logging.WARNING)


def test_a_last_write_that_fails_is_a_warning_not_a_crash(log, redis_conn, queue_name):
    import redis

    worker = unstarted_worker(log, queue_name)

    def register_death() -> None:
        raise redis.exceptions.ResponseError("READONLY You can't write against a read only replica")

    worker.register_death = register_death
    worker.teardown()

    [warning] = log.messages(logging.WARNING)
    expected = f"Worker {worker.name}: register_death failed (ResponseError: READONLY"
    assert warning.startswith(expected)
    assert warning.endswith("its registration expires on its own")


def test_a_password_in_the_url_query_never_reaches_a_log_line(log, server):
    """redis-py reads `?password=`; the worker's start line, the pushes and RQ's own lines
    all show it masked."""
    from urllib.parse import quote

    from tests.Queue.helpers import PASSWORD

    url = f"redis://127.0.0.1:{server.port}/0?password={quote(PASSWORD)}"
    config = {"connection": "redis", "redis": {"url": url, "queues": "masked"}}
    assert QueueFactory(config, log).push(jobs.noop) is True
    assert work(fake_app(config, log), burst=True) == 0
    shown = f"redis://127.0.0.1:{server.port}/0?password=***"
    assert any(f"queue driver redis at {shown} (queues: masked)" in m for m in log.messages())
    for record in log.records:
        text = f"{record.message} {record.extra} {record.traceback}"
        assert "s3cret" not in text and "s3cret" not in text.replace("%20", " ")


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_workers_children_end_within_seconds(tmp_path, log, redis_conn, queue_name, key):
    """kill -9 of the worker left its work horse and RQ's scheduler process running for
    minutes, the scheduler holding its lock. Bounded: about 10 s."""
    write_print_app(tmp_path, redis_config(queue_name))
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    code = "from equipment.Console.QueueCommand import queue; queue(['work'])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    lock = f"rq:scheduler-lock:{queue_name}"
    kids: list[int] = []
    try:
        assert wait_for(lambda: redis_conn.exists(lock), 10)
        assert QueueFactory(redis_config(queue_name), log).push(jobs.slow_record, key, 60)
        assert wait_for(lambda: recorded(redis_conn, f"{key}:started"), 10)
        kids = children(proc.pid)
        assert len(kids) == 3  # the scheduler process, the work horse and the group guard
        proc.kill()
        proc.wait(5)
        assert wait_for(lambda: not any(alive(pid) for pid in kids), 5), kids
        assert wait_for(lambda: not redis_conn.exists(lock), 5)  # released by a clean stop
    finally:
        kill_alive([proc.pid, *kids])


def test_no_argument_value_reaches_a_log_line_or_a_job_description(
    log, redis_conn, queue_name, key
):
    """RQ names a job by its call, arguments and all, in its lines and dashboards, unless
    given a description; our pushes give the function's name and the worker names jobs by
    ID in RQ's lines."""
    from rq.job import Job

    config = redis_config(queue_name)
    queue = QueueFactory(config, log)
    assert queue.push(jobs.record, key, "Arg-S3cret!") is True
    batch = queue.batch()
    batched = [batch.add(jobs.record, (key, "Batch-S3cret!"), {}) for _ in range(2)]
    batch.send()
    assert all(push.accepted for push in batched)
    # And one queued by RQ itself, which describes it by its call, arguments and all.
    from rq import Queue

    Queue(queue_name, connection=redis_conn).enqueue(jobs.record, key, "Raw-S3cret!")
    assert work(fake_app(config, log), burst=True) == 0

    assert sorted(recorded(redis_conn, key)) == [
        "Arg-S3cret!", "Batch-S3cret!", "Batch-S3cret!", "Raw-S3cret!"
    ]
    for record in log.records:
        text = f"{record.message} {record.extra} {record.traceback}"
        assert "S3cret" not in text, text
    for job_id in [push.queue_job_id for push in batched]:
        assert Job.fetch(job_id, connection=redis_conn).description == "tests.Queue.jobs.record"


MISSING_DB = (
    "queue.redis.db: Redis at redis://127.0.0.1:6379/99999999 has no such database (DB index "
    "is out of range); it has as many as its `databases` setting says, 16 by default (0 to 15)"
)


def test_a_database_the_server_does_not_have_is_a_config_mistake(log, redis_conn, queue_name):
    config = redis_config(queue_name, db="99999999")

    assert work(fake_app(config, log)) == 2
    assert log.messages(logging.ERROR) == [MISSING_DB]


def test_a_database_the_server_does_not_have_stops_the_start_and_refuses_a_push(
    log, redis_conn, queue_name
):
    from equipment.Errors import ConfigError

    queue = QueueFactory(redis_config(queue_name, db="99999999"), log=log)

    with pytest.raises(ConfigError) as caught:
        queue.check()  # the scheduler's start
    assert str(caught.value) == MISSING_DB
    assert queue.push(jobs.noop) is False
    assert log.messages(logging.ERROR) == [f"Refused to queue tests.Queue.jobs.noop: {MISSING_DB}"]


def test_the_start_check_leaves_an_outage_to_the_pushes(log):
    queue = QueueFactory({"connection": "redis", "redis": {"port": "1"}}, log=log)

    queue.check()  # Redis down: nothing to refuse, the pushes ride it out
    assert log.messages(logging.ERROR) == []
