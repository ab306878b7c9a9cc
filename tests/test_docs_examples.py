"""The guides' examples are real code: each block marked `<!-- example: examples/X.py -->`
in docs/*.md must be the file docs/examples/X.py word for word, and every test function in
those files must pass."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
MARKED_BLOCK = re.compile(r"<!-- example: (examples/[\w.]+\.py) -->\s*```python\n(.*?)```", re.S)
EXAMPLES = sorted((DOCS / "examples").glob("*.py"))


def marked_blocks() -> list[tuple[str, str, str]]:
    return [
        (page.name, name, code)
        for page in sorted(DOCS.glob("*.md"))
        for name, code in MARKED_BLOCK.findall(page.read_text())
    ]


@pytest.mark.parametrize(("page", "name", "code"), marked_blocks())
def test_a_documented_example_is_its_file_word_for_word(page: str, name: str, code: str) -> None:
    assert code == (DOCS / name).read_text(), f"{page} shows an outdated copy of docs/{name}"


def test_every_example_file_is_shown_in_a_guide() -> None:
    shown = {name for _, name, _ in marked_blocks()}
    assert {f"examples/{path.name}" for path in EXAMPLES} <= shown


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_an_example_runs(path: Path) -> None:
    namespace = runpy.run_path(str(path))
    tests = [value for key, value in namespace.items() if key.startswith("test_")]
    assert tests, f"{path.name} has no test_ function"
    for test in tests:
        test()
