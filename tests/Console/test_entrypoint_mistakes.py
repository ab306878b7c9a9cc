"""A generated project's scripts turn every user mistake into one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.Console.test_generated_project import HEADER, project, run_python, with_scheduler

__all__ = ["project"]  # the fixture, shared with test_generated_project


def assert_one_line(result, *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr


@pytest.mark.parametrize("script", ["main.py", "scheduler.py"])
def test_a_log_path_that_is_a_folder_is_one_line(project: Path, script: str) -> None:
    (project / "storage" / "logs" / "app.log").mkdir(parents=True)

    result = run_python(project, script, LOG_CHANNEL="single")

    assert_one_line(result, "log.channels.single.path", "is a folder")


@pytest.mark.parametrize(
    "registration",
    [
        # schedule's own errors, raised by a call the scheduler passes through unchanged
        "raise schedule.IntervalError('every(2).monday: use every().monday')",
        "raise schedule.ScheduleValueError('a wrong time')",
        # ours, from registration
        "self.schedule.every(0).seconds.do(print)",
        "self.schedule.every().day.at('25:00').do(print)",
    ],
)
def test_a_registration_mistake_is_one_line(project: Path, registration: str) -> None:
    with_scheduler(project, "import schedule\n" + HEADER + (
        "class Scheduler(Equipment):\n"
        "    def run(self) -> None:\n"
        f"        {registration}\n"
        "        super().run()\n"
    ))

    assert_one_line(run_python(project, "scheduler.py"))


CLI = "from equipment.Console.Cli import main; main()"


@pytest.mark.parametrize("command", [("scheduler.py",), ("-c", CLI, "schedule", "list")])
def test_a_bad_queue_name_in_run_is_one_line_naming_its_file_and_line(
    project: Path, command: tuple[str, ...]
) -> None:
    with_scheduler(project, HEADER + (
        "class Scheduler(Equipment):\n"
        "    def run(self) -> None:\n"
        "        self.schedule.every(5).seconds.do(self.queue.on('').push, print)\n"
        "        super().run()\n"
    ))

    result = run_python(project, *command)

    assert_one_line(result)
    assert result.stderr == (
        "error: app/Scheduler.py:6: a queue name must be a non-empty string, got ''\n"
    )


def test_a_retry_spec_built_wrong_in_run_is_one_line(project: Path) -> None:
    with_scheduler(project, HEADER + (
        "from equipment.Queue.Retry import Retry\n"
        "class Scheduler(Equipment):\n"
        "    def run(self) -> None:\n"
        "        self.schedule.every(5).seconds.do(self.queue.push, print, retry=Retry(max=0))\n"
        "        super().run()\n"
    ))

    result = run_python(project, "scheduler.py")

    assert_one_line(result, "retry max must be a whole number of at least 1, got 0")


def test_a_bad_queue_name_in_main_py_is_one_line_naming_main_py(project: Path) -> None:
    (project / "main.py").write_text(
        "from equipment.Console.Entrypoint import entrypoint\n"
        "\n"
        "from app import app\n"
        "\n"
        "\n"
        "@entrypoint\n"
        "def main() -> None:\n"
        "    app().queue().on(7).push(print)\n"
        "\n"
        "\n"
        "main()\n"
    )

    result = run_python(project, "main.py", QUEUE_CONNECTION="redis", REDIS_DB="15")

    assert_one_line(result)
    assert result.stderr == (
        "error: main.py:8: a queue name must be a non-empty string, got 7\n"
    )


def test_a_config_mistake_in_the_worker_is_one_line(project: Path) -> None:
    result = run_python(project, "queues.py", "--burst", SCHEDULER_TIMEZONE="Mars/Olympus")

    # The worker reports through the app's logger (a time-stamped line), still one line.
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Mars/Olympus" in result.stderr


def test_an_unknown_app_key_is_one_line(project: Path) -> None:
    with (project / "config" / "app.yaml").open("a") as file:
        file.write("debug: true\n")

    assert_one_line(run_python(project, "main.py"), "config/app.yaml", "'debug'")


def test_a_state_path_that_cannot_be_created_is_one_line_naming_it(project: Path) -> None:
    (project / "blocked").write_text("a file where the state folder should be")

    result = run_python(project, "scheduler.py", SCHEDULER_STATE_PATH="blocked/scheduler.sqlite3")

    assert_one_line(result, "scheduler state: cannot create", str(project / "blocked"))


def test_the_scheduler_keeps_its_state_in_storage(project: Path) -> None:
    result = run_python(
        project,
        "-c",
        "from app import app\n"
        "scheduler = app().scheduler()\n"
        "scheduler.should_exit = True\n"
        "scheduler.run()\n",
    )

    assert result.returncode == 0, result.stderr
    assert (project / "storage" / "scheduler.sqlite3").is_file()
