"""A build backend that needs nothing but the standard library.

`pip install -e .` builds a project in an isolated environment and installs the backend's
requirements there first. This backend has none, so installing the project works offline
in any environment where `equipment` is already installed. It reads `[project]` from
pyproject.toml and builds:

- an editable wheel: a `.pth` file that puts this folder on `sys.path` (so `app` imports);
- a wheel with the `app` package;
- an sdist with the project's files.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["app"]
SDIST_PATHS = [
    "pyproject.toml", "README.md", ".env.example", ".gitignore", "main.py", "scheduler.py",
    "queues.py", "web.py", "_build", "app", "config", "tests",
]


def _project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]


def _names() -> tuple[str, str]:
    project = _project()
    name = re.sub(r"[-_.]+", "_", project["name"]).lower()
    return name, str(project["version"])


def _metadata() -> str:
    project = _project()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
    ]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    for extra, deps in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f"Requires-Dist: {dep}; extra == {extra!r}" for dep in deps]
    return "\n".join(lines) + "\n"


def _dist_info_files() -> dict[str, str]:
    wheel = "Wheel-Version: 1.0\nGenerator: equipment-backend\nRoot-Is-Purelib: true\n"
    return {"METADATA": _metadata(), "WHEEL": wheel + "Tag: py3-none-any\n"}


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _write_wheel(directory: str, files: dict[str, bytes]) -> str:
    name, version = _names()
    dist_info = f"{name}-{version}.dist-info"
    files = dict(files)
    for filename, text in _dist_info_files().items():
        files[f"{dist_info}/{filename}"] = text.encode()
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel_name = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(Path(directory) / wheel_name, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return wheel_name


def _package_files() -> dict[str, bytes]:
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    return files


# -- PEP 517 / PEP 660 hooks ----------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    name, version = _names()
    dist_info = Path(metadata_directory) / f"{name}-{version}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    for filename, text in _dist_info_files().items():
        (dist_info / filename).write_text(text, encoding="utf-8")
    return dist_info.name


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _package_files())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    name, _ = _names()
    return _write_wheel(wheel_directory, {f"__editable__.{name}.pth": f"{ROOT}\n".encode()})


def build_sdist(sdist_directory, config_settings=None):
    name, version = _names()
    base = f"{name}-{version}"
    with tarfile.open(Path(sdist_directory) / f"{base}.tar.gz", "w:gz") as sdist:
        for entry in SDIST_PATHS:
            path = ROOT / entry
            if path.exists():
                sdist.add(path, arcname=f"{base}/{entry}", filter=_skip_caches)
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        data = _metadata().encode()
        info.size, info.mtime = len(data), int(time.time())
        sdist.addfile(info, io.BytesIO(data))
    return f"{base}.tar.gz"


def _skip_caches(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return None if "__pycache__" in info.name or info.name.endswith(".pyc") else info
