"""Load a project's configuration: `.env`, then `config/*.{ini,yaml,yml,json}`.

Each file's stem becomes a top-level key (`config/app.yaml` -> `{"app": {...}}`). Before a
file is parsed, `${VAR}` and `${VAR:default}` in its text are replaced from the environment,
so a value can come from `.env` or the process environment and still be typed by the parser.
Every problem is a `ConfigError` whose one-line message starts with `file:line:`.
"""

from __future__ import annotations

import configparser
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from dotenv import load_dotenv

from equipment.Errors import ConfigError

_SUFFIXES = (".ini", ".yaml", ".yml", ".json")
_COMMENT_PREFIXES = {".ini": ("#", ";"), ".yaml": ("#",), ".yml": ("#",), ".json": ()}
# `$${...}` is an escaped, literal `${...}`; group 1 marks it.
_PLACEHOLDER = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")
_INI_ROOT = "__equipment_root__"


def load_config(base_path: Path) -> dict[str, Any]:
    """The configuration of the project at `base_path`, as one nested dict.

    `.env` is loaded into `os.environ` without overriding variables already set there. A
    project without a `config/` folder has an empty configuration.
    """
    base = Path(base_path)
    load_dotenv(base / ".env", override=False)
    folder = base / "config"
    if not folder.is_dir():
        return {}
    result: dict[str, Any] = {}
    for path in config_files(folder):
        _merge(result, {path.stem: load_file(path, base)})
    return result


def config_files(folder: Path) -> list[Path]:
    """The files of `folder` that `load_config` reads, in the order it reads them."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)


def load_file(path: Path, base: Path | None = None) -> dict[str, Any]:
    """One config file, interpolated and parsed; its top level must be a mapping."""
    name = _display_name(path, base)
    suffix = path.suffix.lower()
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name}: cannot be read: {error}") from None
    text = interpolate(raw, name, _COMMENT_PREFIXES[suffix])
    data = _PARSERS[suffix](text, name)
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{name}: the top level must be a mapping of keys to values, not {kind}")
    return data


def interpolate(text: str, name: str, comment_prefixes: tuple[str, ...] = ()) -> str:
    """Replace `${VAR}` / `${VAR:default}` in `text`; comment lines are left alone.

    `${VAR:}` means an empty default; `$${VAR}` is a literal `${VAR}`. A `${VAR}` without a
    default whose variable is unset is an error naming the file, line and variable.
    """
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        if comment_prefixes and line.lstrip().startswith(comment_prefixes):
            continue
        lines[number - 1] = _PLACEHOLDER.sub(_replacer(name, number), line)
    return "".join(lines)


def _replacer(name: str, line: int) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        escaped, variable, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        value = os.environ.get(variable)
        if value is not None:
            return value
        if default is not None:
            return default
        raise ConfigError(
            f"{name}:{line}: environment variable {variable} is not set; set it in .env "
            f"or the environment, or give a default as ${{{variable}:default}}"
        )

    return replace


def _parse_yaml(text: str, name: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError(f"{name}{line}: {problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{name}: {_first_line(error)}") from None


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError as error:
        raise ConfigError(f"{name}:{error.lineno}: {error.msg}") from None


def _parse_ini(text: str, name: str) -> dict[str, Any]:
    """INI sections become nested dicts; keys before the first section stay at the top."""
    parser = configparser.ConfigParser(interpolation=None, default_section=_INI_ROOT)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the key's case
    try:
        parser.read_string(f"[{_INI_ROOT}]\n{text}", source=name)
    except configparser.Error as error:
        raise ConfigError(f"{name}{_ini_line(error)}: {_ini_problem(error)}") from None
    result: dict[str, Any] = dict(parser.defaults())
    for section in parser.sections():
        result[section] = {
            key: value for key, value in parser.items(section) if key not in parser.defaults()
        }
    return result


def _ini_line(error: configparser.Error) -> str:
    line = getattr(error, "lineno", None)
    errors = getattr(error, "errors", None)
    if line is None and errors:
        line = errors[0][0]
    return f":{line - 1}" if isinstance(line, int) else ""  # -1: the root header we added


def _ini_problem(error: configparser.Error) -> str:
    if isinstance(error, configparser.ParsingError):
        return "expected `key = value` or a `[section]` header"
    if isinstance(error, configparser.DuplicateSectionError):
        return f"section [{error.section}] appears twice"
    if isinstance(error, configparser.DuplicateOptionError):
        return f"key {error.option!r} appears twice in [{error.section}]"
    return _first_line(error)


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    ".ini": _parse_ini,
    ".yaml": _parse_yaml,
    ".yml": _parse_yaml,
    ".json": _parse_json,
}


def _merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Deep-merge `source` into `target`: `app.yaml` and `app.json` both fill `app`."""
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _display_name(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            pass
    return str(path)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
