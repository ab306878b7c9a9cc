"""`equipment new`: what it writes, and every refusal (exit 2, one line, nothing written)."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from equipment.Console.Cli import cli
from equipment.Console.NewCommand import TEMPLATE

EXPECTED = [
    ".env",
    ".env.example",
    "README.md",
    "app/Inspire.py",
    "app/Scheduler.py",
    "app/__init__.py",
    "config/app.yaml",
    "config/inspiring.json",
    "config/log.yaml",
    "config/queue.yaml",
    "config/scheduler.yaml",
    "config/web.yaml",
    "main.py",
    "pyproject.toml",
    "queues.py",
    "scheduler.py",
    "tests/TestCase.py",
    "web.py",
]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def assert_refused(result: Result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert text in lines[0]


def test_creates_the_project_in_the_given_path(tmp_path: Path) -> None:
    target = tmp_path / "some" / "dir"

    result = run("new", "my-app", "--path", str(target))

    assert result.exit_code == 0, result.output
    assert "Created my-app" in result.stdout
    written = files_under(target)
    assert set(EXPECTED) <= written
    assert any(name.startswith("tests/test_") for name in written)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in written)


def test_default_target_is_the_name_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("new", "shop")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "shop" / "scheduler.py").is_file()


def test_name_goes_into_pyproject_and_app_config(tmp_path: Path) -> None:
    run("new", "Reports.Service_2", "--path", str(tmp_path / "p"))

    with open(tmp_path / "p" / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    assert project["name"] == "Reports.Service_2"
    assert any(dep.startswith("equipment") for dep in project["dependencies"])
    assert "${APP_NAME:Reports.Service_2}" in (tmp_path / "p/config/app.yaml").read_text()
    assert not list((tmp_path / "p").rglob("*{{*"))
    for path in (tmp_path / "p").rglob("*"):
        if path.is_file():
            assert "{{ name }}" not in path.read_text(encoding="utf-8"), path


def test_env_is_written_from_env_example(tmp_path: Path) -> None:
    run("new", "shop", "--path", str(tmp_path / "p"))

    env = (tmp_path / "p" / ".env").read_text()
    assert env == (tmp_path / "p" / ".env.example").read_text()
    assert "APP_NAME=shop" in env
    assert "QUEUE_CONNECTION=sync" in env


def test_generated_scheduler_is_example_e1(tmp_path: Path) -> None:
    run("new", "shop", "--path", str(tmp_path / "p"))

    source = (tmp_path / "p" / "app" / "Scheduler.py").read_text()
    assert "from equipment.Scheduler.Scheduler import Scheduler as Equipment" in source
    assert "def _inspire(log, inspiring)" in source
    assert "self.schedule.every(5).seconds.do(\n            self.queue.push," in source


def test_an_empty_target_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()

    result = run("new", "shop", "--path", str(tmp_path / "p"))

    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "main.py").is_file()


def test_non_empty_target_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "p"
    target.mkdir()
    (target / "notes.txt").write_text("mine")

    result = run("new", "shop", "--path", str(target))

    assert_refused(result, "not empty; use --force")
    assert files_under(target) == {"notes.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no staging folder left


def test_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p").write_text("x")

    result = run("new", "shop", "--path", str(tmp_path / "p"), "--force")

    assert_refused(result, "not a folder")
    assert (tmp_path / "p").read_text() == "x"


def test_a_path_under_a_file_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")

    result = run("new", "shop", "--path", str(tmp_path / "plain" / "a" / "p"))

    assert_refused(result, "could not write the project to")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]


def test_a_path_under_an_unknown_users_home_is_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("new", "shop", "--path", "~no-such-user-here/shop")

    assert_refused(result, "cannot use ~no-such-user-here/shop: no home folder is known")
    assert list(tmp_path.iterdir()) == []


def test_a_path_the_system_refuses_to_look_at_is_one_line(tmp_path: Path) -> None:
    result = run("new", "shop", "--path", str(tmp_path / ("a" * 300) / "p"))

    assert_refused(result, "File name too long")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("../escape", "path separator"),
        ("..", "must not contain '..'"),
        ("a..b", "must not contain '..'"),
        ("-leading", "not a valid distribution name"),
        ("trailing-", "not a valid distribution name"),
        ("with space", "not a valid distribution name"),
        ("caf\u00e9", "not a valid distribution name"),
        ("a@b", "not a valid distribution name"),
        ("equipment", "is the name of a package installed here"),
        ("Schedule", "is the name of a package installed here"),
        ("python_dotenv", "is the name of a package installed here"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, reason: str
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("new", "--", name)

    assert_refused(result, reason)
    assert files_under(tmp_path) == set()


def test_bad_name_with_path_writes_nothing(tmp_path: Path) -> None:
    result = run("new", "a/b", "--path", str(tmp_path / "deep" / "p"))

    assert_refused(result, "path separator")
    assert list(tmp_path.iterdir()) == []


def test_force_replaces_template_files_and_keeps_the_users(tmp_path: Path) -> None:
    target = tmp_path / "p"
    run("new", "shop", "--path", str(target))
    (target / "main.py").write_text("changed")
    (target / "app" / "Reports.py").write_text("mine")
    (target / "notes.txt").write_text("mine")
    (target / ".env").write_text("SECRET=1\n")

    result = run("new", "shop", "--path", str(target), "--force")

    assert result.exit_code == 0, result.output
    assert (target / "main.py").read_bytes() == (TEMPLATE / "main.py").read_bytes()
    assert (target / "app" / "Reports.py").read_text() == "mine"
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / ".env").read_text() == "SECRET=1\n"  # this machine's settings are kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


def test_force_into_a_folder_without_env_writes_it(tmp_path: Path) -> None:
    target = tmp_path / "p"
    target.mkdir()
    (target / "notes.txt").write_text("mine")

    result = run("new", "shop", "--path", str(target), "--force")

    assert result.exit_code == 0, result.output
    assert (target / ".env").read_text() == (target / ".env.example").read_text()


def test_force_refuses_a_folder_in_the_way_of_a_file(tmp_path: Path) -> None:
    target = tmp_path / "p"
    (target / "main.py").mkdir(parents=True)

    result = run("new", "shop", "--path", str(target), "--force")

    assert_refused(result, "in the way")
    assert files_under(target) == {"main.py"}


def test_help_lists_the_commands() -> None:
    result = run("--help")

    assert result.exit_code == 0
    for command in ("new", "schedule", "queue"):
        assert f"  {command} " in result.stdout


def test_the_project_folder_gets_the_mode_mkdir_gives(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        assert run("new", "shop", "--path", str(tmp_path / "shop")).exit_code == 0
    finally:
        os.umask(umask)

    # as its subfolders: not mkdtemp's 0700, which hid it from the service's own user
    assert stat.S_IMODE((tmp_path / "shop").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "shop" / "app").stat().st_mode) == 0o755


def test_an_empty_target_folder_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "shop"
    target.mkdir()
    target.chmod(0o2775)

    assert run("new", "shop", "--path", str(target)).exit_code == 0

    assert stat.S_IMODE(target.stat().st_mode) == 0o2775


def test_in_a_setgid_folder_the_project_keeps_the_bit_mkdir_gives(tmp_path: Path) -> None:
    """A team's shared folder (chmod g+s): mkdir gives a new folder the setgid bit, so what
    is made in it later keeps the team's group; the project's folders get it as mkdir's do."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o2775)
    umask = os.umask(0o022)
    try:
        (shared / "plain").mkdir()
        assert run("new", "shop", "--path", str(shared / "shop")).exit_code == 0
    finally:
        os.umask(umask)

    given = stat.S_IMODE((shared / "plain").stat().st_mode)
    assert given == 0o2755
    assert stat.S_IMODE((shared / "shop").stat().st_mode) == given
    assert stat.S_IMODE((shared / "shop" / "app").stat().st_mode) == given
