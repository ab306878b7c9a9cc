"""Packaging metadata that installs without setuptools' deprecation warnings."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_the_license_is_an_spdx_string_with_a_setuptools_that_reads_it() -> None:
    # A `{text = "MIT"}` table makes every install print setuptools' deprecation warning;
    # the string form needs setuptools 77 or newer at build time.
    data = load(ROOT / "pyproject.toml")

    assert data["project"]["license"] == "MIT"
    assert "setuptools>=77" in data["build-system"]["requires"]


def test_the_templates_pyproject_has_no_license_table() -> None:
    project = load(ROOT / "equipment" / "Template" / "pyproject.toml")["project"]

    assert not isinstance(project.get("license"), dict)
