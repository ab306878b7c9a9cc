"""Fixtures every test folder may use: a clean environment and a throw-away project."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

DEFAULT_CONFIG = {
    "app.yaml": "name: test-app\nenv: testing\n",
    "log.yaml": "default: \"null\"\n",
    "queue.yaml": "connection: sync\n",
}


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    """Loading a `.env` writes to `os.environ`; put it back as it was after each test."""
    before = dict(os.environ)
    yield
    for key in set(os.environ) - set(before):
        del os.environ[key]
    for key, value in before.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


class TmpProject:
    """A project folder under tmp_path: `write("config/x.yaml", text)` adds a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, relative: str, text: str) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def config(self, name: str, text: str) -> Path:
        """Write `config/<name>` (with its suffix, e.g. "app.yaml")."""
        return self.write(f"config/{name}", text)


@pytest.fixture
def tmp_project(tmp_path: Path) -> TmpProject:
    """A project with a quiet app config: app (name, env), log (null channel), queue (sync)."""
    project = TmpProject(tmp_path)
    for name, text in DEFAULT_CONFIG.items():
        project.config(name, text)
    return project


@pytest.fixture
def http_port() -> Iterator[int]:
    """The port of a server that answers like an HTTP server, not like Redis."""
    from tests.not_redis import http_server

    with http_server() as port:
        yield port
