"""A generated project works: its own tests pass, its scripts run, the guide's examples run.

Each check runs the project in a subprocess with the current interpreter (Equipment is
installed there), `cwd` the project and `PYTHONPATH` the project, as a user would after
`equipment new`. Every subprocess is bounded by a timeout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import textwrap
import time
import venv
from pathlib import Path

import pytest

from equipment.Console.NewCommand import create_project

TIMEOUT = 60
# Settings of the generated .env: the parent's environment must not leak into the project.
PROJECT_VARIABLES = ("APP_", "LOG_", "QUEUE_", "REDIS_", "SCHEDULER_")

ONE_PASS = textwrap.dedent(
    """
    import json

    from app import app
    app = app()  # the original framework's idiom

    scheduler = app.scheduler()
    scheduler.should_exit = True
    scheduler.run()
    print("JOBS=" + json.dumps(sorted(job.id for job in scheduler.schedule.get_jobs())))
    """
)

HEADER = "from equipment.Scheduler.Scheduler import Scheduler as Equipment\n\n\n"

REBUILD_REPORT = textwrap.dedent(
    """
    def rebuild_report(report_id: int) -> None:
        print(f"rebuilt report {report_id}", flush=True)


    report_id = 42

    """
)

E2 = '''
def cleanup() -> None:
    pass


class Scheduler(Equipment):
    def run(self) -> None:
        self.schedule.every(10).minutes.do(cleanup)
        self.schedule.every().day.at("03:00").do(cleanup)
        self.schedule.every().monday.do(cleanup)
        self.schedule.every().hour.do(cleanup)
        self.schedule.every(5).to(10).minutes.do(cleanup)

        super().run()
'''

E3_E4 = '''
def enqueue_report_rebuild(queue, report_id: int) -> None:
    queue.push(rebuild_report, report_id)


class Scheduler(Equipment):
    def run(self) -> None:
        self.schedule.every().hour.do(self.queue.push, rebuild_report, report_id)
        enqueue_report_rebuild(self.queue, 7)
        super().run()
'''

E5 = '''
class Scheduler(Equipment):
    def run(self) -> None:
        if self.config.app.env() != "production":
            self.log.info("Skipping production-only jobs")
            super().run()
            return

        self.schedule.every().day.at("03:00").do(self.queue.push, rebuild_report, 123)
        super().run()
'''


def clean_environment(project: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_VARIABLES)}
    env.update(PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1", **variables)
    return env


def run_python(project: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=clean_environment(project, **variables),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def jobs_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("JOBS="))
    return json.loads(line.removeprefix("JOBS="))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return create_project("demo-app", tmp_path / "demo-app")


def with_scheduler(project: Path, source: str) -> Path:
    (project / "app" / "Scheduler.py").write_text(source)
    return project


def test_the_projects_own_tests_pass(project: Path) -> None:
    result = run_python(project, "-m", "pytest", "-q", "-p", "no:cacheprovider")

    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def test_main_logs_a_quote(project: Path) -> None:
    quotes = json.loads((project / "config" / "inspiring.json").read_text())["quotes"]

    result = run_python(project, "main.py")

    assert result.returncode == 0, result.stderr
    assert any(quote in result.stdout + result.stderr for quote in quotes)


def test_a_config_mistake_is_one_line_and_exit_two(project: Path) -> None:
    result = run_python(project, "scheduler.py", SCHEDULER_MAX_SLEEP="abc")

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1
    assert "max_sleep" in result.stderr


def test_e1_the_generated_scheduler_registers_its_two_jobs(project: Path) -> None:
    jobs = jobs_of(run_python(project, "-c", ONE_PASS))

    assert len(jobs) == 2


def test_e2_common_patterns(project: Path) -> None:
    jobs = jobs_of(run_python(with_scheduler(project, HEADER + E2), "-c", ONE_PASS))

    assert len(jobs) == 5
    assert all("cleanup" in job for job in jobs)


def test_e3_e4_queue_integration(project: Path) -> None:
    source = HEADER + REBUILD_REPORT + E3_E4
    result = run_python(with_scheduler(project, source), "-c", ONE_PASS)

    jobs = jobs_of(result)
    assert len(jobs) == 1 and "rebuild_report" in jobs[0]
    assert "rebuilt report 7" in result.stdout  # the sync queue ran E4's push at once


@pytest.mark.parametrize(("env", "count"), [("local", 0), ("production", 1)])
def test_e5_environment_specific_scheduling(project: Path, env: str, count: int) -> None:
    source = HEADER + REBUILD_REPORT + E5
    result = run_python(with_scheduler(project, source), "-c", ONE_PASS, APP_ENV=env)

    jobs = jobs_of(result)
    assert len(jobs) == count
    skipped = "Skipping production-only jobs" in result.stdout + result.stderr
    assert skipped == (env != "production")


def test_scheduler_py_logs_quotes_and_stops_on_ctrl_c(project: Path) -> None:
    quotes = json.loads((project / "config" / "inspiring.json").read_text())["quotes"]
    process = subprocess.Popen(
        [sys.executable, "scheduler.py"],
        cwd=project,
        env=clean_environment(project, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = read_until(process, lambda line: any(q in line for q in quotes), seconds=10)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert any(q in output for q in quotes), output
    assert process.returncode == 0, output + rest


def read_until(process: subprocess.Popen[str], found, seconds: float) -> str:
    """Lines from `process` until one satisfies `found` or `seconds` pass."""
    deadline = time.monotonic() + seconds
    lines: list[str] = []
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline and process.poll() is None:
        line = process.stdout.readline()
        if not line:
            time.sleep(0.05)  # waiting on a real process, not on the code under test
            continue
        lines.append(line)
        if found(line):
            break
    os.set_blocking(process.stdout.fileno(), True)
    return "".join(lines)


def test_pip_install_editable_needs_no_network(project: Path, tmp_path: Path) -> None:
    """`pip install -e . && python -m pytest` with build isolation and no index: the backend
    needs nothing, and the test runner comes with Equipment."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    # The new environment sees this one's packages (Equipment, pip), as if installed there.
    parent = sysconfig.get_paths()["purelib"]
    (purelib / "_parent.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
    offline = {
        **clean_environment(project),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    offline = {k: v for k, v in offline.items() if k not in ("PIP_FIND_LINKS", "PYTHONPATH")}

    install = subprocess.run(
        [python, "-m", "pip", "install", "-e", "."],
        cwd=project, env=offline, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    imported = subprocess.run(
        [python, "-c", "import app, importlib.metadata as m; print(app.__file__, "
         "m.version('demo-app'))"],
        cwd=tmp_path, env=offline, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert imported.returncode == 0, imported.stderr
    assert str(project / "app" / "__init__.py") in imported.stdout
    assert "0.1.0" in imported.stdout

    # and the second command: the project's own tests, with that environment
    tested = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, env=offline, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_build_backend_makes_a_wheel_and_an_sdist(project: Path, tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, tarfile, zipfile
        sys.path.insert(0, "_build")
        import backend
        out = sys.argv[1]
        wheel = zipfile.ZipFile(f"{out}/{backend.build_wheel(out)}").namelist()
        sdist = tarfile.open(f"{out}/{backend.build_sdist(out)}").getnames()
        print("app/__init__.py" in wheel, "demo_app-0.1.0.dist-info/METADATA" in wheel)
        print("demo_app-0.1.0/pyproject.toml" in sdist, "demo_app-0.1.0/PKG-INFO" in sdist)
        """
    )
    result = run_python(project, "-c", script, str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"] * 4


def test_queues_py_explains_that_sync_needs_no_worker(project: Path) -> None:
    result = run_python(project, "queues.py", "--burst", QUEUE_CONNECTION="sync")

    assert result.returncode == 2, result.stdout + result.stderr
    assert "QUEUE_CONNECTION=redis" in result.stdout + result.stderr


def test_equipment_schedule_list_shows_the_generated_jobs(project: Path) -> None:
    cli = "from equipment.Console.Cli import main; main()"
    result = run_python(project, "-c", cli, "schedule", "list")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 job(s)" in result.stdout
    assert "_inspire" in result.stdout


@pytest.mark.parametrize("script", [("scheduler.py",), ("queues.py", "--burst")])
def test_a_queue_timeout_beyond_its_bound_stops_the_start_in_one_line(
    project: Path, script: tuple[str, ...]
) -> None:
    # 1e12 started fine, then every push logged "OverflowError: timestamp out of range".
    queue_yaml = project / "config" / "queue.yaml"
    text = queue_yaml.read_text().replace("connect_timeout: 1", "connect_timeout: 1e12")
    queue_yaml.write_text(text)

    result = run_python(project, *script, QUEUE_CONNECTION="redis", REDIS_DB="12")

    assert result.returncode == 2, result.stdout + result.stderr
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].endswith(
        "queue.redis.connect_timeout must be between 0.01 and 300 seconds, got '1e12'"
    )


def test_a_database_its_redis_does_not_have_stops_the_scheduler_in_one_line(
    project: Path,
) -> None:
    # Accepted, then every push failed with "DB index is out of range".
    result = run_python(project, "scheduler.py", QUEUE_CONNECTION="redis", REDIS_DB="99999999")

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: queue.redis.db: Redis at redis://127.0.0.1:6379/99999999 has no such database "
        "(DB index is out of range); it has as many as its `databases` setting says, 16 by "
        "default (0 to 15)"
    ]
