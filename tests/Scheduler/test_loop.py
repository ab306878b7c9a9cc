import datetime as dt
import threading
import time

from equipment.Scheduler.Clock import SystemClock
from equipment.Scheduler.Scheduler import Scheduler
from tests.Scheduler.conftest import START


def test_should_exit_before_run_makes_exactly_one_pass_without_sleeping(scheduler, clock):
    ran = []
    scheduler.schedule.every(1).seconds.do(lambda: ran.append(clock.now()))
    clock.advance(1)
    scheduler.should_exit = True

    assert scheduler.run() is None
    assert len(ran) == 1
    assert clock.sleeps == []


def test_the_loop_sleeps_until_the_next_job_is_due(scheduler, clock):
    scheduler.schedule.every(5).seconds.do(lambda: None)
    runs = []

    def stop_after_three() -> None:
        runs.append(clock.now())
        if len(runs) == 3:
            scheduler.should_exit = True

    scheduler.schedule.every(5).seconds.name("stopper").do(stop_after_three)
    scheduler.run()

    assert runs == [START + dt.timedelta(seconds=5 * k) for k in (1, 2, 3)]
    assert clock.sleeps == [5.0, 5.0, 5.0]


def test_sleep_is_capped_by_max_sleep(clock, log):
    scheduler = Scheduler(log=log, clock=clock, settings={"max_sleep": 30, "timezone": "UTC"})
    scheduler.schedule.every(10).minutes.do(lambda: setattr(scheduler, "should_exit", True))
    scheduler.run()

    assert clock.sleeps == [30.0] * 20
    assert clock.now() == START + dt.timedelta(minutes=10)


def test_should_exit_set_from_another_thread_interrupts_the_sleep(log):
    scheduler = Scheduler(log=log, clock=SystemClock(), settings={"max_sleep": 30})
    scheduler.schedule.every(1).hours.do(lambda: None)
    started = threading.Event()
    scheduler.schedule.every(1).seconds.do(started.set)  # proves the loop is running
    scheduler.schedule.jobs[-1].next_run = dt.datetime.now()  # due at once

    thread = threading.Thread(target=scheduler.run)
    thread.start()
    assert started.wait(5)
    began = time.monotonic()
    scheduler.should_exit = True
    thread.join(5)

    assert not thread.is_alive()
    assert time.monotonic() - began < 5  # far below max_sleep: the wait was interrupted


def test_tick_runs_due_jobs_and_returns_their_records(scheduler, clock):
    scheduler.schedule.every(1).minutes.name("a").do(lambda: None)
    scheduler.schedule.every(2).minutes.name("b").do(lambda: None)

    assert scheduler.tick() == []
    clock.advance(120)
    records = scheduler.tick()

    runs = [r for r in records if r.outcome != "skipped"]  # a's 12:01 is skipped: it is late
    assert sorted(r.job_id for r in runs) == ["a", "b"]
    assert all(r.succeeded for r in runs)


def test_startup_is_logged_with_every_job(scheduler, log):
    scheduler.schedule.every().day.at("03:00").name("nightly").do(lambda: None)
    scheduler.schedule.every().hour.until("2026-02-01 00:00").name("promo").do(lambda: None)
    scheduler.should_exit = True
    scheduler.run()

    messages = log.messages()
    assert messages[0].startswith(
        "Scheduler starting: 2 job(s), time zone UTC, queue sync, state memory, pid "
    )
    nightly, promo = sorted(messages[1:3], key=lambda line: "promo" in line)
    assert "nightly: every day at 03:00:00 (UTC), next run 2026-01-06 03:00:00 UTC" in nightly
    assert promo.endswith(", until 2026-02-01 00:00:00 UTC (2026-02-01T00:00:00Z)")
    assert messages[-1] == "Scheduler stopped"


def test_stop_lets_no_new_run_start(scheduler, clock):
    ran = []
    scheduler.schedule.every(1).seconds.name("first").do(scheduler.stop)
    scheduler.schedule.every(1).seconds.name("second").do(lambda: ran.append(1))
    clock.advance(1)
    scheduler.run()

    assert ran == []
    assert scheduler.schedule.get_job("second").next_run_at == START + dt.timedelta(seconds=1)


def test_the_start_line_names_the_redis_queue_with_its_password_masked(clock, log):
    from equipment.Queue.RedisQueue import RedisQueue
    from equipment.Queue.Settings import QueueSettings

    settings = QueueSettings.from_config(
        {"connection": "redis", "redis": {"url": "redis://:hunter2@127.0.0.1:6390/9"}}
    )
    queue = RedisQueue(settings, log=log)
    scheduler = Scheduler(log=log, clock=clock, queue=queue, settings={"timezone": "UTC"})
    scheduler.should_exit = True
    scheduler.run()

    first = log.messages()[0]
    assert "queue redis at redis://:***@127.0.0.1:6390/9" in first
    assert "hunter2" not in first


def test_the_system_clock_ends_a_sleep_until_due_on_time_and_readies_the_pass_first():
    import time

    from equipment.Scheduler.Clock import SPIN_AFTER, SystemClock
    from equipment.Scheduler.Wakeup import Wakeup

    calls = []
    started = time.monotonic()
    woken = SystemClock().sleep_until_due(
        SPIN_AFTER, Wakeup(), ready=lambda: calls.append(time.monotonic() - started)
    )
    ended = time.monotonic() - started

    assert woken is False
    assert ended >= SPIN_AFTER  # never early: polled out to the due time
    assert len(calls) == 1 and calls[0] < SPIN_AFTER


def test_a_pass_known_to_take_long_to_get_ready_is_got_ready_earlier():
    import time

    from equipment.Scheduler.Clock import SystemClock
    from equipment.Scheduler.Wakeup import Wakeup

    calls = []
    started = time.monotonic()
    SystemClock().sleep_until_due(
        0.3, Wakeup(), ready=lambda: calls.append(time.monotonic() - started), ready_ahead=0.2
    )

    assert time.monotonic() - started >= 0.3  # the due time itself does not move
    assert len(calls) == 1 and calls[0] < 0.2  # about 0.2 s ahead, not 5 ms


def test_a_sleep_until_due_ends_at_once_when_woken():
    from equipment.Scheduler.Clock import SystemClock
    from equipment.Scheduler.Wakeup import Wakeup

    wake = Wakeup()
    wake.set()
    assert SystemClock().sleep_until_due(60.0, wake) is True


def test_records_made_ahead_are_the_ones_the_runs_use_and_only_for_their_occurrence():
    import datetime as dt

    from equipment.Scheduler.Clock import FakeClock
    from equipment.Scheduler.Scheduler import Scheduler

    clock = FakeClock()
    scheduler = Scheduler(clock=clock, settings={"timezone": "UTC"})
    job = scheduler.schedule.every(10).seconds.name("ahead").do(lambda: None)
    dispatcher = scheduler.schedule.dispatcher

    staged = scheduler.schedule.index.stage(job.next_run_at)
    [made] = dispatcher.prepare_records(staged)
    clock.set(job.next_run_at)
    [ran] = scheduler.tick()
    assert ran is made and ran.run_id == "ahead@2026-01-05T12:00:10Z"

    [stale] = dispatcher.prepare_records([job])  # for 12:00:20; the clock then skips it
    clock.advance(dt.timedelta(seconds=25))
    [skipped, ran] = scheduler.tick()  # 12:00:20, late: skipped; 12:00:30 runs
    assert skipped.reason == "catch-up policy" and skipped.run_id == stale.run_id
    assert ran is not stale and ran.run_id == "ahead@2026-01-05T12:00:30Z"


def test_the_next_run_is_computed_after_the_hooks_however_long_they_take():
    from equipment.Scheduler.Clock import FakeClock
    from equipment.Scheduler.Scheduler import Scheduler

    clock = FakeClock()
    scheduler = Scheduler(clock=clock, settings={"timezone": "UTC"})
    job = scheduler.schedule.every(1).seconds.name("hooked").do(lambda: None)
    job.on_success(lambda record: clock.advance(2.5))  # a slow hook

    clock.set(job.next_run_at)
    scheduler.tick()

    assert job.next_run_at > clock.now()  # the next occurrence after the hook, not one past
