"""The app container: config, a singleton logger, the queue and the scheduler, per project."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from dependency_injector import providers

from equipment.Equipment import Equipment, equipment
from equipment.Errors import ConfigError
from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.LoggerFactory import LoggerFactory
from equipment.Queue.AbstractQueue import AbstractQueue


@pytest.fixture
def project(tmp_project) -> Iterator:
    yield tmp_project
    Equipment.forget(tmp_project.path)
    LoggerFactory.close_all()


def test_make_loads_config_and_sets_base_path(project) -> None:
    container = Equipment.make(project.path)

    assert container.config.app.env() == "testing"
    assert container.config.app.name() == "test-app"
    assert container.config.base_path() == str(project.path.resolve())


def test_make_is_cached_per_base_path(project, tmp_path_factory) -> None:
    other = tmp_path_factory.mktemp("other")
    try:
        first = Equipment.make(project.path)
        assert Equipment.make(str(project.path)) is first
        assert equipment(project.path) is first
        assert Equipment.make(other) is not first
    finally:
        Equipment.forget(other)


def test_make_defaults_to_the_working_directory(project, monkeypatch) -> None:
    monkeypatch.chdir(project.path)

    assert Equipment.make() is Equipment.make(project.path)


def test_forget_reloads_the_config(project) -> None:
    first = Equipment.make(project.path)
    project.config("app.yaml", "name: renamed\nenv: production\n")

    assert Equipment.make(project.path).config.app.env() == "testing"  # still cached
    Equipment.forget(project.path)
    second = Equipment.make(project.path)

    assert second is not first
    assert second.config.app.env() == "production"


def test_environment_and_dotenv_reach_the_config(project, monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    project.write(".env", "APP_ENV=staging\nAPP_NAME=from-dotenv\n")
    project.config("app.yaml", "name: ${APP_NAME:x}\nenv: ${APP_ENV:local}\n")

    container = Equipment.make(project.path)

    assert container.config.app.env() == "production"
    assert container.config.app.name() == "from-dotenv"


def test_log_is_a_singleton_built_from_config_log(project) -> None:
    project.config("log.yaml", "default: single\nchannels:\n  single: {path: logs/app.log}\n")
    container = Equipment.make(project.path)

    log = container.log()
    log.info("through the container")

    assert isinstance(log, AbstractLogger)
    assert container.log() is log
    assert log.name == "test-app"
    assert "INFO test-app: through the container" in (project.path / "logs/app.log").read_text()


def test_missing_log_config_logs_to_the_console(project, capsys) -> None:
    (project.path / "config/log.yaml").unlink()

    Equipment.make(project.path).log().warning("no log.yaml")

    assert "WARNING test-app: no log.yaml" in capsys.readouterr().err


def test_bad_log_config_is_a_config_error_naming_the_key(project) -> None:
    project.config("log.yaml", "channels:\n  console: {driver: syslog}\n")

    with pytest.raises(ConfigError, match=r"log\.channels\.console\.driver"):
        Equipment.make(project.path).log()


def test_bad_yaml_fails_make_naming_file_and_line(project) -> None:
    project.config("app.yaml", "name: x\n  env: : y\n")

    with pytest.raises(ConfigError, match=r"^config/app\.yaml:2: "):
        Equipment.make(project.path)


def test_queue_and_scheduler_are_singletons_sharing_the_log(project) -> None:
    container = Equipment.make(project.path)

    queue = container.queue()
    scheduler = container.scheduler()

    assert isinstance(queue, AbstractQueue)
    assert container.queue() is queue and container.scheduler() is scheduler
    assert scheduler.log is container.log()
    assert scheduler.config.app.env() == "testing"


def test_subclass_containers_are_cached_apart(project) -> None:
    class App(Equipment):
        greeting = providers.Factory(str, Equipment.config.app.name)

    try:
        assert App.make(project.path) is not Equipment.make(project.path)
        assert App.make(project.path).greeting() == "test-app"
    finally:
        App.forget(project.path)


@pytest.mark.parametrize(
    "first",
    ["pass", "import equipment.Equipment", "from equipment.Equipment import Equipment"],
)
def test_the_package_exports_the_container_class(first: str) -> None:
    """`from equipment import Equipment` is what a generated app/__init__.py does; it must
    give the class even after the submodule of the same name was imported."""
    code = (
        f"{first}\n"
        "import equipment\n"
        "from equipment import Equipment, equipment as shortcut\n"
        "assert isinstance(Equipment, type), Equipment\n"
        "assert equipment.Equipment is Equipment and callable(shortcut)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr.strip().splitlines()[-1]
