"""The status page in a real browser: a generated project's `scheduler.py` and `web.py` run
as processes; headless Chromium (Debian's, driven by Playwright, which never downloads a
browser here) finds a job row with its next run; `equipment schedule pause` in a third
process shows on the page within its refresh; a job removed from the code, with a run in
the store, has its page saying so; a screenshot is saved.

Skips, saying why, where no Chromium or Playwright can be had, except under CI=true
(`.ci/run` installs both). `UPDATE_SCREENSHOTS=1` also writes the screenshot to
docs/images/status-page.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from equipment.Console.NewCommand import create_project

CHROMIUM = Path("/usr/bin/chromium")
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "status-page.png"
DEADLINE = 20.0
PROJECT_VARIABLES = ("APP_", "LOG_", "QUEUE_", "REDIS_", "SCHEDULER_", "WEB_")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires it (.ci/run installs it)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(project: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_VARIABLES)}
    env.update(PYTHONPATH=str(project), PYTHONUNBUFFERED="1", **variables)
    return env


def wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 in time")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A generated project with its scheduler and status page running; yields (root, url)."""
    project = create_project("status-demo", tmp_path / "status-demo")
    port = free_port()
    env = environment(project, WEB_PORT=str(port), APP_ENV="local", LOG_LEVEL="info")
    logs = [open(tmp_path / name, "w") for name in ("scheduler.log", "web.log")]  # noqa: SIM115
    processes = [
        subprocess.Popen([sys.executable, script], cwd=project, env=env, stdout=log, stderr=log)
        for script, log in zip(("scheduler.py", "web.py"), logs, strict=True)
    ]
    try:
        url = f"http://127.0.0.1:{port}/scheduler"
        wait_for(f"{url}/health", time.monotonic() + DEADLINE)
        yield project, url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def test_the_status_page_shows_jobs_and_a_pause_made_by_the_cli(
    running: tuple[Path, str], tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    project, url = running
    equipment = shutil.which("equipment", path=str(Path(sys.executable).parent))
    assert equipment is not None
    job_id = "_inspire:every-5-seconds"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 420})
            page.set_default_timeout(10_000)
            page.goto(url)
            row = page.locator(f'tr[data-job="{job_id}"]')
            expect(row.locator("td.next-run")).to_contain_text(" (20")  # "<local> (<UTC>Z)"
            expect(row.locator("td.state")).to_have_text("active")

            paused = subprocess.run(
                [equipment, "schedule", "pause", job_id],
                cwd=project, env=environment(project), capture_output=True, text=True,
                timeout=30,
            )
            assert paused.returncode == 0, paused.stderr

            expect(row.locator("td.state")).to_contain_text("paused since")
            expect(page.locator("#health")).to_contain_text("healthy")
            shot = tmp_path / "status-page.png"
            page.screenshot(path=str(shot), full_page=True)

            page.locator(f'tr[data-job="{job_id}"] a').click()  # the job's own page
            expect(page.locator("#title")).to_have_text(job_id)
            expect(page.locator("#history tbody tr").first).to_contain_text("skipped: paused")

            store_a_run_of_a_removed_job(project, "gone")
            page.goto(f"{url}/jobs/gone")  # its stored runs, and a note that it is gone
            expect(page.locator("#health")).to_have_text("not registered")
            expect(page.locator("#summary")).to_contain_text("no longer registered")
            expect(page.locator("#history tbody tr").first).to_contain_text("success")
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)


def store_a_run_of_a_removed_job(project: Path, job_id: str) -> None:
    """A run of `job_id`, which the project's code does not register, in its state store."""
    from equipment.Scheduler.RunRecord import SUCCESS, RunRecord
    from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore

    at = datetime.now(UTC).replace(microsecond=0)
    ran = RunRecord.of_occurrence(job_id, at)
    ran.started_at, ran.finished_at, ran.duration, ran.outcome = at, at, 0.01, SUCCESS
    store = SqliteStateStore(project / "storage" / "scheduler.sqlite3")
    try:
        store.record([ran])
    finally:
        store.close()


def test_web_py_without_fastapi_says_so_in_one_line(tmp_path: Path) -> None:
    project = create_project("no-web", tmp_path / "no-web")
    block = "import sys; sys.modules['fastapi'] = None; import runpy; "
    block += "runpy.run_path('web.py', run_name='__main__')"

    result = subprocess.run(
        [sys.executable, "-c", block], cwd=project, env=environment(project),
        capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the status page needs FastAPI and uvicorn (fastapi is not installed): "
        "pip install 'equipment[web]'"
    ]


def test_web_py_with_a_misspelt_token_exits_2_without_serving(tmp_path: Path) -> None:
    project = create_project("typo-web", tmp_path / "typo-web")
    web_yaml = project / "config" / "web.yaml"
    web_yaml.write_text(web_yaml.read_text().replace("token:", "tokn:"))

    result = subprocess.run(
        [sys.executable, "web.py"], cwd=project, env=environment(project, WEB_TOKEN="secret"),
        capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: config/web.yaml: unknown key 'tokn' (known keys: host, port, token)"
    ]
